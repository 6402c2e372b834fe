"""Standards warnings: what a strict MTA would refuse, found and named (docs/interface.md,
What is captured).

`line_problems` checks the bytes alone with a few C-speed scans (no loop over lines, no copy): the
SMTP layer calls it under `--smtp-strict` to reject what it would otherwise accept and flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from mailsink.message.address import Address
from mailsink.message.headers import HeaderMap, parse_date
from mailsink.message.spool import MessageBytes, is_ascii

MAX_LINE = 998  # bytes before CRLF (RFC 5322 §2.1.1)

# A line over the limit has at least 999 bytes before its LF, so it covers a whole block of
# `_BLOCK` bytes at a multiple of `_BLOCK` (2 × 500 - 1 = 999): only blocks without a LF (one
# `bytes.find` each, at C speed) need a closer look. A regex matching 1,000 bytes after every LF
# walks each line byte by byte and is much slower.
_BLOCK = 500
_BARE_LF = re.compile(rb"(?<!\r)\n")
_BARE_CR = re.compile(rb"\r(?!\n)")


def line_problems(raw: bytes) -> list[str]:
    """Lines longer than 1,000 bytes (998 + CRLF), bare LF, bare CR: one short text each."""
    problems: list[str] = []
    start = _first_long_line(raw)
    if start >= 0:
        newline = raw.find(b"\n", start)
        length = (len(raw) if newline < 0 else newline) - start
        if raw[start + length - 1 : start + length] == b"\r":
            length -= 1
        problems.append(
            f"line {_line_number(raw, start):,} is {length:,} bytes long; "
            f"lines must not exceed 1,000 bytes (998 + CRLF)"
        )
    crlf = raw.count(b"\r\n")
    bare_lf = raw.count(b"\n") - crlf
    if bare_lf:
        first = _BARE_LF.search(raw)
        at = _line_number(raw, first.start()) if first else 0
        problems.append(f"bare LF (line ending without CR) {_times(bare_lf)}, first on line {at:,}")
    bare_cr = raw.count(b"\r") - crlf
    if bare_cr:
        first = _BARE_CR.search(raw)
        at = _line_number(raw, first.start()) if first else 0
        problems.append(f"bare CR (CR not followed by LF) {_times(bare_cr)}, first on line {at:,}")
    return problems


def _first_long_line(raw: bytes) -> int:
    """Where the first line with more than 998 bytes before its CRLF (or LF) starts, or -1."""
    find = raw.find
    size = len(raw)
    block = 0
    while block + _BLOCK <= size:
        if find(b"\n", block, block + _BLOCK) >= 0:
            block += _BLOCK
            continue
        start = raw.rfind(b"\n", 0, block) + 1
        newline = find(b"\n", block + _BLOCK)
        end = size if newline < 0 else newline
        if end - start > MAX_LINE + 1 or (end - start > MAX_LINE and raw[end - 1] != 0x0D):
            return start
        block = (end // _BLOCK + 1) * _BLOCK
    return -1


def _line_number(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count:,} times"


def eight_bit_problem(raw: MessageBytes, mail_from_params: Mapping[str, str]) -> str | None:
    """8-bit bytes in a message the client did not declare as 8BITMIME (or SMTPUTF8)."""
    params = {key.upper(): value.upper() for key, value in mail_from_params.items()}
    if params.get("BODY") in ("8BITMIME", "BINARYMIME") or "SMTPUTF8" in params:
        return None
    if is_ascii(raw):
        return None
    return "8-bit data without BODY=8BITMIME (or SMTPUTF8) on MAIL FROM"


def header_problems(headers: HeaderMap, addresses: Mapping[str, Sequence[Address]]) -> list[str]:
    """Missing From, Date or Message-ID; a Date that does not parse; fields whose addresses
    do not parse.

    `addresses` maps a field name (From, To, Cc, Reply-To) to its parsed addresses.
    """
    problems = [
        f"missing {name} header" for name in ("From", "Date", "Message-ID") if not headers.get(name)
    ]
    date = headers.get("Date")
    if date and parse_date(date) is None:
        problems.append(f"Date header is not a date: {date[:80]!r}")
    for name, parsed in addresses.items():
        bad = [address.name for address in parsed if not address.address]
        if bad:
            shown = ", ".join(repr(text[:80]) for text in bad[:3])
            problems.append(f"malformed address in {name}: {shown}")
    return problems
