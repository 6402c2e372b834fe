"""A `SearchQuery` compiled to PostgreSQL, with the semantics of `mailsink.store.search.matches`
exactly (the store suite runs its table of queries, and the random cross-check, on it too).

The terms every SQL store compiles alike come from `mailsink.store.sql_query`; a text term is
PostgreSQL's own. The text is lower-cased by Python on both sides, so a text term is a
byte-exact substring test with no case folding by the server:

- `t.column LIKE '%value%'` (the value's `%`, `_` and `\\` escaped) for values of three
  characters or more, which the `pg_trgm` GIN index serves; the planner chooses between the
  index and a scan from its statistics, as the SQLite store does by counting candidates;
- `strpos(t.column, value) > 0` for shorter values, which have no trigram to look up.

PostgreSQL text holds no NUL character: stored text and search values alike have it replaced
by U+FFFD (`storable_text`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mailsink.store.search import ADDRESS_FIELDS, SearchQuery, TextField, TextTerm
from mailsink.store.sql_query import TEXT_COLUMN, ConditionList, compile_filter_term

TRIGRAM = 3


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """`… FROM messages m [JOIN message_text t …] WHERE {condition}` finds the matches."""

    condition: str
    params: list[object]
    needs_text: bool  # the condition reads `message_text t`


def compile_query(query: SearchQuery | None) -> CompiledQuery:
    built = ConditionList(mark="%s")
    needs_text = False
    for term in query.terms if query is not None else ():
        if isinstance(term, TextTerm):
            _compile_text(term, built)
            needs_text = True
        else:
            compile_filter_term(term, built)
    return CompiledQuery(built.joined("TRUE"), built.params, needs_text)


def _compile_text(term: TextTerm, built: ConditionList) -> None:
    value = storable_text(term.value)
    fields = ADDRESS_FIELDS if term.field is TextField.ADDRESSED else (term.field,)
    parts: list[str] = []
    for field in fields:
        column = TEXT_COLUMN[field]
        if len(value) >= TRIGRAM:
            parts.append(f"t.{column} LIKE %s")
            built.params.append(f"%{like_escape(value)}%")
        else:
            parts.append(f"strpos(t.{column}, %s) > 0")
            built.params.append(value)
    condition = " OR ".join(parts)
    built.conditions.append(f"NOT ({condition})" if term.negated else f"({condition})")


def like_escape(text: str) -> str:
    """`text` as a LIKE pattern matching itself literally (backslash is LIKE's escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def storable_text(text: str) -> str:
    """`text` as PostgreSQL can store it: NUL (which `text` cannot hold) becomes U+FFFD."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text
