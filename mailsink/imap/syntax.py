"""IMAP's syntax: a command's tokens, sequence sets, and the strings of a response.

A command is read whole, literals included (`{5}\\r\\nhello` is a 5-byte string), then split
into tokens: an atom is a `str`, a quoted string or literal is `bytes`, a parenthesized list is
a `list`. An atom may carry a bracketed part with spaces and parentheses in it, as FETCH's
`BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>` does, and stays one atom.

    >>> tokenize(b'FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (TO)])')
    ['FETCH', '1:*', ['FLAGS', 'BODY.PEEK[HEADER.FIELDS (TO)]']]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

Token = str | bytes | list["Token"]

LITERAL_AT_END = re.compile(rb"\{(\d{1,10})(\+?)\}\r?\n\Z")
_LITERAL = re.compile(rb"\{(\d{1,10})\+?\}\r?\n")
_ATOM_END = frozenset(b" ()")
_QUOTED_SPECIALS = re.compile(rb'[\\"]')
_NEEDS_LITERAL = re.compile(rb"[\x00\r\n\x80-\xff]")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {month.lower(): number for number, month in enumerate(MONTHS, start=1)}


class CommandSyntaxError(ValueError):
    """A command that cannot be read: answered with BAD and this text."""


class CommandRefused(Exception):
    """A command that was read but cannot be done: answered with NO and this text."""


def tokenize(data: bytes) -> list[Token]:
    stack: list[list[Token]] = [[]]
    pos, end = 0, len(data)
    while pos < end:
        char = data[pos]
        if char == 0x20:
            pos += 1
        elif char == 0x28:  # (
            stack.append([])
            pos += 1
        elif char == 0x29:  # )
            if len(stack) == 1:
                raise CommandSyntaxError("unbalanced ')'")
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
        elif char == 0x22:  # "
            quoted, pos = _quoted(data, pos)
            stack[-1].append(quoted)
        elif char == 0x7B and (literal := _LITERAL.match(data, pos)):  # {
            start = literal.end()
            size = int(literal[1])
            if start + size > end:
                raise CommandSyntaxError("literal shorter than announced")
            stack[-1].append(data[start : start + size])
            pos = start + size
        else:
            atom, pos = _atom(data, pos)
            stack[-1].append(atom)
    if len(stack) != 1:
        raise CommandSyntaxError("unbalanced '('")
    return stack[0]


def _quoted(data: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    pos += 1
    while pos < len(data):
        char = data[pos]
        if char == 0x5C and pos + 1 < len(data):  # backslash escapes the next character
            out.append(data[pos + 1])
            pos += 2
        elif char == 0x22:
            return bytes(out), pos + 1
        else:
            out.append(char)
            pos += 1
    raise CommandSyntaxError("unterminated quoted string")


def _atom(data: bytes, pos: int) -> tuple[str, int]:
    start = pos
    while pos < len(data) and data[pos] not in _ATOM_END:
        if data[pos] == 0x5B:  # [ … ] may hold spaces and parentheses
            close = data.find(b"]", pos)
            if close < 0:
                raise CommandSyntaxError("unterminated '['")
            pos = close
        pos += 1
    return data[start:pos].decode("utf-8", "replace"), pos


def text_of(token: Token) -> str:
    """An atom or string argument as text; a list is a syntax error here."""
    if isinstance(token, list):
        raise CommandSyntaxError("expected a string, got a parenthesized list")
    return token if isinstance(token, str) else token.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """`2,4:7,9:*` as ranges, `*` already replaced by the largest number in use. Ranges are
    kept, never expanded: `1:4294967295` costs nothing."""

    ranges: tuple[tuple[int, int], ...]

    def __contains__(self, number: int) -> bool:
        return any(low <= number <= high for low, high in self.ranges)

    def highest(self) -> int:
        return max(high for _, high in self.ranges)


def parse_sequence_set(text: str, largest: int) -> SequenceSet:
    ranges = []
    for item in text.split(","):
        low, sep, high = item.partition(":")
        first = _sequence_number(low, largest, text)
        last = _sequence_number(high, largest, text) if sep else first
        ranges.append((min(first, last), max(first, last)))
    return SequenceSet(tuple(ranges))


def _sequence_number(text: str, largest: int, whole: str) -> int:
    if text == "*":
        return largest
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        raise CommandSyntaxError(f"expected a sequence set such as 1:5,7 or 1:*, got {whole!r}")
    return int(text)


def string(value: str | bytes | None) -> bytes:
    """An IMAP string: NIL for None, quoted when it can be, else a literal."""
    if value is None:
        return b"NIL"
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    if _NEEDS_LITERAL.search(data) or len(data) > 1000:
        return b"{%d}\r\n%s" % (len(data), data)
    return b'"' + _QUOTED_SPECIALS.sub(rb"\\\g<0>", data) + b'"'


def string_list(values: list[bytes]) -> bytes:
    """A parenthesized list of already-encoded items, or NIL when there are none."""
    return b"(" + b" ".join(values) + b")" if values else b"NIL"


def date_time(when: datetime) -> bytes:
    """INTERNALDATE's form, in UTC: `"06-Dec-2026 18:22:51 +0000"`."""
    when = when.astimezone(UTC)
    month = MONTHS[when.month - 1]
    return f'"{when.day:02d}-{month}-{when.year:04d} {when:%H:%M:%S} +0000"'.encode()


def parse_date(text: str) -> date:
    """SEARCH's dates: `1-Feb-2026` (quoted or not)."""
    day, _, rest = text.strip('"').partition("-")
    month, _, year = rest.partition("-")
    if not (day.isdigit() and year.isdigit() and month.lower() in _MONTH_NUMBERS):
        raise CommandSyntaxError(f"expected a date such as 1-Feb-2026, got {text!r}")
    try:
        return date(int(year), _MONTH_NUMBERS[month.lower()], int(day))
    except ValueError:
        raise CommandSyntaxError(f"no such date: {text!r}") from None
