"""A `SearchQuery` compiled to SQL over `messages m`, with the semantics of
`mailsink.store.search.matches` exactly (the parts every SQL store shares are in
`mailsink.store.sql_query`): the store tests run one table of queries on both
stores, and a randomized test compares them on arbitrary queries.

Text is lower-cased by Python on both sides, so a text term is a byte-exact substring test (no
second case-folding by SQLite that could disagree with `str.lower`), made one of three ways:

- a positive term drives the query: the rows come from the FTS5 trigram index
  (`GLOB '*value*'` finds the messages holding every trigram of the value and re-checks
  each), in Seq order, so a page of 50 stops after 50 matches;
- negated and `addressed:` terms become `m.seq [NOT] IN (index lookup)`;
- the rest are `instr(column, value)` on the text table, joined by Seq: terms under three
  characters (no trigram), further positive terms (checked only on the driving rows), and
  terms whose trigrams most messages hold, for which a scan is cheaper than the index.

The caller's `candidates(column, value)` (how many messages hold the value's trigrams,
from the index alone) chooses: the rarest positive term drives, and a term held by more than
`INDEX_SHARE` of all messages is scanned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from mailsink.store.search import ADDRESS_FIELDS, SearchQuery, Term, TextField, TextTerm
from mailsink.store.sql_query import TEXT_COLUMN, ConditionList, compile_filter_term

TRIGRAM = 3
# Text the index is never asked about (scanning finds the same), so that `*value*` is a GLOB
# pattern without escapes. A NUL ends an FTS5 query string early ("unterminated string"). GLOB
# wildcards, escaped as `[*]`, split the pattern into literal runs, and SQLite 3.40's trigram
# GLOB crashes the process on a run of 3+ bytes but fewer than 3 characters between two of them
# (`*ð\x83[*]é[*]larger:*`, from the search `ð\x83*é*larger:`).
_SCAN_ONLY = re.compile(r"[\x00*?\[]")

CandidateCount = Callable[[str, str], int]  # (column, value) → messages

# A text term is looked up in the index when at most this share of all messages hold its
# trigrams; above it, scanning the text is cheaper (a scanned message costs less than an index
# candidate, which is re-checked through an external-content lookup).
INDEX_SHARE = 1 / 3


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """`SELECT … FROM {source} WHERE {condition} ORDER BY {order_key}` finds the matches."""

    source: str
    condition: str  # "1" when there is nothing to test
    params: list[object]
    order_key: str  # the Seq, as the driving table has it (an FTS5 table orders by its rowid)


@dataclass(slots=True)
class _Builder(ConditionList):
    candidates: CandidateCount | None = None
    total: int = 0
    text_joined: bool = False  # `message_text t` is scanned
    driving_term: TextTerm | None = None
    _counted: dict[tuple[str, str], int] = field(default_factory=dict)

    def indexed(self, field: TextField, value: str) -> int | None:
        """How many candidates the index gives for `value` in `field`, or None when the
        text should be scanned instead (too short for a trigram, too common, or unsafe for the
        index: see `_SCAN_ONLY`)."""
        if len(value) < TRIGRAM or _SCAN_ONLY.search(value):
            return None
        if self.candidates is None:
            return 0
        key = (TEXT_COLUMN[field], value)
        if key not in self._counted:
            self._counted[key] = self.candidates(*key)
        count = self._counted[key]
        return count if count <= self.total * INDEX_SHARE else None


def compile_query(
    query: SearchQuery | None, candidates: CandidateCount | None = None, total: int = 0
) -> CompiledQuery:
    """Without `candidates`, every term of three or more characters uses the index."""
    built = _Builder(candidates=candidates, total=total)
    terms = query.terms if query is not None else ()
    built.driving_term = _driving_term(terms, built)
    for term in terms:
        _compile_term(term, built)
    source, order_key = "messages m", "m.seq"
    if built.driving_term is not None:
        # CROSS JOIN keeps the index as the outer loop, so its rowid order serves ORDER BY.
        source = "message_text_index x CROSS JOIN messages m ON m.seq = x.rowid"
        order_key = "x.rowid"
    if built.text_joined:
        source += " JOIN message_text t ON t.seq = m.seq"
    return CompiledQuery(source, built.joined("1"), built.params, order_key)


def _driving_term(terms: tuple[Term, ...], built: _Builder) -> TextTerm | None:
    """The positive text term with the fewest index candidates, if any uses the index."""
    able = [
        (count, position, term)
        for position, term in enumerate(terms)
        if isinstance(term, TextTerm)
        and not term.negated
        and term.field is not TextField.ADDRESSED
        and (count := built.indexed(term.field, term.value)) is not None
    ]
    return min(able)[2] if able else None


def _compile_term(term: Term, built: _Builder) -> None:
    match term:
        case TextTerm(field, value) if term is built.driving_term:
            built.add(f"x.{TEXT_COLUMN[field]} GLOB ?", f"*{value}*")  # no wildcard: _SCAN_ONLY
        case TextTerm(field, value, negated):
            _compile_text(field, value, negated, built)
        case _:
            compile_filter_term(term, built)


def _compile_text(field: TextField, value: str, negated: bool, built: _Builder) -> None:
    """A text term that does not drive: an index lookup when negated or `addressed:` (the
    lookup's cost follows its few candidates), else a check of the driving rows' text."""
    lookup_allowed = negated or field is TextField.ADDRESSED
    parts: list[str] = []
    for one in ADDRESS_FIELDS if field is TextField.ADDRESSED else (field,):
        column = TEXT_COLUMN[one]
        if lookup_allowed and built.indexed(one, value) is not None:
            parts.append(f"m.seq IN (SELECT rowid FROM message_text_index WHERE {column} GLOB ?)")
            built.params.append(f"*{value}*")
        else:
            built.text_joined = True
            parts.append(f"instr(t.{column}, ?) > 0")
            built.params.append(value)
    condition = " OR ".join(parts)
    built.conditions.append(f"NOT ({condition})" if negated else f"({condition})")
