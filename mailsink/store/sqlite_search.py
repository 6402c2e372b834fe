"""A `SearchQuery` compiled to an SQL condition on `messages m` (joined to `message_text t`
when needed), with the semantics of `mailsink.store.search.matches` exactly: the store tests
run one table of queries on both stores, and a randomized test compares them.

The text is lower-cased by Python on both sides, so a text term is a byte-exact substring test
(no second case-folding by SQLite that could disagree with `str.lower`), done one of two ways:

- through the trigram index: `GLOB '*value*'` on the FTS5 table, which finds the candidates
  holding every trigram of the value and re-checks each. Fast when few messages hold them;
- by scanning: `instr(t.column, value)` on the narrow `message_text` row of each message
  considered. Needed for values under three characters (no trigram), and faster than the index
  when most messages hold the value: the index would re-check nearly every row, at a higher
  cost per row, and a newest-first page stops scanning after its 50 matches.

The caller decides per term with `use_index(column, value)` (the store asks the index's
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

TEXT_COLUMN = {
    TextField.TEXT: "search_text",
    TextField.SUBJECT: "subject",
    TextField.MESSAGE_ID: "message_id",
    TextField.FROM: "from_text",
    TextField.TO: "to_text",
    TextField.CC: "cc_text",
    TextField.BCC: "bcc_text",
    TextField.REPLY_TO: "reply_to_text",
}

_FLAG_CONDITION = {
    Flag.READ: "m.read = 1",
    Flag.TAGGED: "m.seq IN (SELECT seq FROM message_tags)",
    Flag.ATTACHMENT: "m.attachments > 0",
    Flag.INLINE: "m.inlines > 0",
}

IndexChoice = Callable[[str, str], bool]


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    condition: str  # "1" when there is nothing to test
    params: list[object]
    scans_text: bool  # the condition reads `t` (message_text joined on t.seq = m.seq)


def compile_query(query: SearchQuery | None, use_index: IndexChoice) -> CompiledQuery:
    conditions: list[str] = []
    params: list[object] = []
    scans_text = False
    for term in query.terms if query is not None else ():
        condition, term_params, term_scans = _compile_term(term, use_index)
        conditions.append(condition)
        params += term_params
        scans_text |= term_scans
    return CompiledQuery(" AND ".join(conditions) or "1", params, scans_text)


def _compile_term(term: Term, use_index: IndexChoice) -> tuple[str, list[object], bool]:
    match term:
        case TextTerm(field, value, negated):
            fields = ADDRESS_FIELDS if field is TextField.ADDRESSED else (field,)
            parts = [_text_condition(TEXT_COLUMN[f], value, use_index) for f in fields]
            condition = " OR ".join(sql for sql, _, _ in parts)
            params = [p for _, part_params, _ in parts for p in part_params]
            scans = any(scan for _, _, scan in parts)
            return (f"NOT ({condition})" if negated else f"({condition})"), params, scans
        case TagTerm(name, negated):
            lookup = (
                "SELECT mt.seq FROM message_tags mt JOIN tags t ON t.tag_id = mt.tag_id"
                " WHERE t.name_lower = ?"
            )
            return f"m.seq {'NOT IN' if negated else 'IN'} ({lookup})", [name], False
        case FlagTerm(flag, negated):
            condition = _FLAG_CONDITION[flag]
            return (f"NOT ({condition})" if negated else condition), [], False
        case ReceivedTerm(bound_ms, on_or_after):
            return f"m.received_ms {'>=' if on_or_after else '<='} ?", [bound_ms], False
        case SizeTerm(bound, larger):
            return f"m.size {'>' if larger else '<'} ?", [bound], False
    raise AssertionError(f"unknown search term {term!r}")


def _text_condition(
    column: str, value: str, use_index: IndexChoice
) -> tuple[str, list[object], bool]:
    if len(value) >= TRIGRAM and use_index(column, value):
        lookup = f"SELECT rowid FROM message_text_index WHERE {column} GLOB ?"
        return f"m.seq IN ({lookup})", [f"*{glob_escape(value)}*"], False
    return f"instr(t.{column}, ?) > 0", [value], True


def glob_escape(text: str) -> str:
    """`text` as a GLOB pattern matching itself literally."""
    return text.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
