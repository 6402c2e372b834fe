"""SEARCH: criteria parsed into a predicate over the selected mailbox's messages.

Text criteria match case-insensitive substrings, as the HTTP API's search does: FROM, TO, CC,
BCC look at names and addresses (BCC includes envelope recipients the headers do not show),
SUBJECT at the decoded subject, HEADER at the decoded values of that field, BODY at the body
(as sent and as decoded), TEXT at headers and body. Dates compare the day only: SINCE, BEFORE
and ON the day received (UTC), SENTSINCE, SENTBEFORE and SENTON the Date header's day.
Flags that mailsink never sets (\\Answered, \\Flagged, \\Draft, \\Recent, keywords) are unset.
Example: `OR FROM alice UNSEEN` → `parse_search(["OR", "FROM", b"alice", "UNSEEN"], …)`, a
predicate true for mail from alice and for every unseen message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property

from mailsink.imap.syntax import (
    CommandSyntaxError,
    SequenceSet,
    Token,
    parse_date,
    parse_sequence_set,
    text_of,
)
from mailsink.message.headers import HeaderMap
from mailsink.message.mime import ParsedMessage, parse_message
from mailsink.store.base import StoredMessage
from mailsink.store.search import TextField, field_text


@dataclass
class Candidate:
    """One message as a search sees it; its bytes are read only if a criterion needs them."""

    number: int
    message: StoredMessage
    seen: bool
    deleted: bool
    read_raw: Callable[[], bytes | None]

    @cached_property
    def raw(self) -> bytes:
        return self.read_raw() or b""

    @cached_property
    def parsed(self) -> ParsedMessage:
        return parse_message(self.raw)

    @cached_property
    def body_texts(self) -> tuple[str, str]:
        """The body as sent and as decoded (transfer encoding and charset undone), lower-cased."""
        parsed = self.parsed
        sent = parsed.root.body.decode("utf-8", "replace").lower()
        decoded = "\n".join([parsed.text, parsed.html]).lower()
        return sent, decoded

    @cached_property
    def headers(self) -> HeaderMap:
        return self.parsed.headers


Predicate = Callable[[Candidate], bool]


def parse_search(tokens: list[Token], largest_number: int, largest_uid: int) -> Predicate:
    """The criteria of SEARCH (after any CHARSET) AND-ed into one predicate."""
    if tokens and isinstance(tokens[0], str) and tokens[0].upper() == "CHARSET":
        if len(tokens) < 2 or text_of(tokens[1]).upper() not in ("UTF-8", "US-ASCII"):
            raise CommandSyntaxError("[BADCHARSET (UTF-8 US-ASCII)] only UTF-8 is supported")
        tokens = tokens[2:]
    return _Parser(tokens, largest_number, largest_uid).all_criteria()


class _Parser:
    def __init__(self, tokens: list[Token], largest_number: int, largest_uid: int) -> None:
        self._tokens = tokens
        self._pos = 0
        self._largest_number = largest_number
        self._largest_uid = largest_uid

    def all_criteria(self) -> Predicate:
        """Every criterion up to the end, AND-ed (there must be at least one)."""
        predicates = [self.criterion()]
        while self.more():
            predicates.append(self.criterion())
        return lambda c: all(p(c) for p in predicates)

    def more(self) -> bool:
        return self._pos < len(self._tokens)

    def _next(self, what: str) -> Token:
        if not self.more():
            raise CommandSyntaxError(f"SEARCH criteria end where {what} was expected")
        token = self._tokens[self._pos]
        self._pos += 1
        return token

    def _text(self) -> str:
        return text_of(self._next("a string")).lower()

    def _number(self) -> int:
        text = text_of(self._next("a number"))
        if not (text.isascii() and text.isdigit()):
            raise CommandSyntaxError(f"expected a number in SEARCH, got {text!r}")
        return int(text)

    def _date(self) -> date:
        return parse_date(text_of(self._next("a date")))

    def criterion(self) -> Predicate:
        token = self._next("a search key")
        if isinstance(token, list):
            return _Parser(token, self._largest_number, self._largest_uid).all_criteria()
        key = text_of(token).upper()
        match key:
            case "ALL" | "OLD" | "UNANSWERED" | "UNFLAGGED" | "UNDRAFT":
                return lambda c: True
            case "NEW" | "RECENT" | "ANSWERED" | "FLAGGED" | "DRAFT":
                return lambda c: False
            case "KEYWORD":
                self._text()
                return lambda c: False
            case "UNKEYWORD":
                self._text()
                return lambda c: True
            case "SEEN":
                return lambda c: c.seen
            case "UNSEEN":
                return lambda c: not c.seen
            case "DELETED":
                return lambda c: c.deleted
            case "UNDELETED":
                return lambda c: not c.deleted
            case "FROM" | "TO" | "CC" | "BCC":
                field, value = TextField(key.lower()), self._text()
                return lambda c: value in field_text(field, c.message.summary)
            case "SUBJECT":
                value = self._text()
                return lambda c: value in c.message.summary.subject.lower()
            case "HEADER":
                name, value = self._text(), self._text()
                return lambda c: (
                    any(value in v.lower() for v in c.headers.get_all(name))
                    or (not value and name in c.headers)
                )
            case "BODY":
                value = self._text()
                return lambda c: any(value in text for text in c.body_texts)
            case "TEXT":
                value = self._text()
                return lambda c: (
                    value in c.message.summary.search_text
                    or any(value in text for text in (*c.body_texts, _header_text(c)))
                )
            case "LARGER":
                size = self._number()
                return lambda c: c.message.size > size
            case "SMALLER":
                size = self._number()
                return lambda c: c.message.size < size
            case "SINCE" | "BEFORE" | "ON":
                return _compare_day(key, self._date(), _received_day)
            case "SENTSINCE" | "SENTBEFORE" | "SENTON":
                return _compare_day(key[4:], self._date(), _sent_day)
            case "UID":
                uids = parse_sequence_set(text_of(self._next("a UID set")), self._largest_uid)
                return lambda c: c.message.seq in uids
            case "NOT":
                inner = self.criterion()
                return lambda c: not inner(c)
            case "OR":
                left, right = self.criterion(), self.criterion()
                return lambda c: left(c) or right(c)
            case _ if key[:1].isdigit() or key[:1] == "*":
                numbers: SequenceSet = parse_sequence_set(key, self._largest_number)
                return lambda c: c.number in numbers
        raise CommandSyntaxError(f"unknown SEARCH key {key[:40]!r}")


def _header_text(candidate: Candidate) -> str:
    return "\n".join(f"{name}: {value}" for name, value in candidate.headers).lower()


def _received_day(candidate: Candidate) -> date:
    return candidate.message.received.astimezone(UTC).date()


def _sent_day(candidate: Candidate) -> date | None:
    sent: datetime | None = candidate.message.summary.date
    return sent.date() if sent is not None else None


def _compare_day(
    comparison: str, day: date, day_of: Callable[[Candidate], date | None]
) -> Predicate:
    def compare(candidate: Candidate) -> bool:
        found = day_of(candidate)
        if found is None:
            return False
        if comparison == "SINCE":
            return found >= day
        if comparison == "BEFORE":
            return found < day
        return found == day

    return compare
