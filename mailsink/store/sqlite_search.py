"""A `SearchQuery` compiled to an SQL condition on `messages m` (joined to the text tables
when it scans them), with the semantics of `mailsink.store.search.matches` exactly: the store
tests run one table of queries on both stores, and a randomized test compares them.

The text is lower-cased by Python on both sides, so a text term is a byte-exact substring test
(no second case-folding by SQLite that could disagree with `str.lower`), done one of two ways:

- through the trigram index: `GLOB '*value*'` on the FTS5 table, which finds the candidates
  holding every trigram of the value and re-checks each. Fast when few messages hold them;
- by scanning: `instr(column, value)` on the text row of each message considered. Needed for
  values under three characters (no trigram), and faster than the index when most messages
  hold the value: the index would re-check nearly every row, at a higher cost per row, and a
  newest-first page stops scanning after its 50 matches.

The caller decides per term with `use_index(table, column, value)` (the store asks the index's
vocabulary how many messages hold the value's rarest trigram).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailsink.store.search import (
    ADDRESS_FIELDS,
    Flag,
    FlagTerm,
    ReceivedTerm,
    SearchQuery,
    SizeTerm,
    TagTerm,
    Term,
    TextField,
    TextTerm,
)

TRIGRAM = 3

# Where each field's text is: (table, column). The tables are joined as their aliases.
TEXT_COLUMN = {
    TextField.TEXT: ("message_text", "search_text"),
    TextField.SUBJECT: ("message_fields", "subject"),
    TextField.MESSAGE_ID: ("message_fields", "message_id"),
    TextField.FROM: ("message_fields", "from_text"),
    TextField.TO: ("message_fields", "to_text"),
    TextField.CC: ("message_fields", "cc_text"),
    TextField.BCC: ("message_fields", "bcc_text"),
    TextField.REPLY_TO: ("message_fields", "reply_to_text"),
}
TABLE_ALIAS = {"message_text": "t", "message_fields": "f"}

_FLAG_CONDITION = {
    Flag.READ: "m.read = 1",
    Flag.TAGGED: "m.seq IN (SELECT seq FROM message_tags)",
    Flag.ATTACHMENT: "m.attachments > 0",
    Flag.INLINE: "m.inlines > 0",
}

IndexChoice = Callable[[str, str, str], bool]  # (table, column, value) → use the index?


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    condition: str  # "1" when there is nothing to test
    params: list[object]
    scanned: frozenset[str]  # text tables the condition reads: `joins()` joins them

    def joins(self) -> str:
        return "".join(
            f" JOIN {table} {alias} ON {alias}.seq = m.seq"
            for table, alias in TABLE_ALIAS.items()
            if table in self.scanned
        )


def compile_query(query: SearchQuery | None, use_index: IndexChoice) -> CompiledQuery:
    conditions: list[str] = []
    params: list[object] = []
    scanned: set[str] = set()
    for term in query.terms if query is not None else ():
        condition, term_params = _compile_term(term, use_index, scanned)
        conditions.append(condition)
        params += term_params
    return CompiledQuery(" AND ".join(conditions) or "1", params, frozenset(scanned))


def _compile_term(
    term: Term, use_index: IndexChoice, scanned: set[str]
) -> tuple[str, list[object]]:
    match term:
        case TextTerm(field, value, negated):
            fields = ADDRESS_FIELDS if field is TextField.ADDRESSED else (field,)
            parts = [_text_condition(*TEXT_COLUMN[f], value, use_index, scanned) for f in fields]
            condition = " OR ".join(sql for sql, _ in parts)
            params = [param for _, param in parts]
            return (f"NOT ({condition})" if negated else f"({condition})"), params
        case TagTerm(name, negated):
            lookup = (
                "SELECT mt.seq FROM message_tags mt JOIN tags tg ON tg.tag_id = mt.tag_id"
                " WHERE tg.name_lower = ?"
            )
            return f"m.seq {'NOT IN' if negated else 'IN'} ({lookup})", [name]
        case FlagTerm(flag, negated):
            condition = _FLAG_CONDITION[flag]
            return (f"NOT ({condition})" if negated else condition), []
        case ReceivedTerm(bound_ms, on_or_after):
            return f"m.received_ms {'>=' if on_or_after else '<='} ?", [bound_ms]
        case SizeTerm(bound, larger):
            return f"m.size {'>' if larger else '<'} ?", [bound]
    raise AssertionError(f"unknown search term {term!r}")


def _text_condition(
    table: str, column: str, value: str, use_index: IndexChoice, scanned: set[str]
) -> tuple[str, object]:
    if len(value) >= TRIGRAM and use_index(table, column, value):
        lookup = f"SELECT rowid FROM {table}_index WHERE {column} GLOB ?"
        return f"m.seq IN ({lookup})", f"*{glob_escape(value)}*"
    scanned.add(table)
    return f"instr({TABLE_ALIAS[table]}.{column}, ?) > 0", value


def glob_escape(text: str) -> str:
    """`text` as a GLOB pattern matching itself literally."""
    return text.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
