"""Standards warnings: line checks (also used by --smtp-strict), 8-bit data, header checks."""

from __future__ import annotations

import pytest

from mailsink.message.address import Address
from mailsink.message.headers import HeaderMap
from mailsink.message.standards import eight_bit_problem, header_problems, line_problems


def test_clean_message_has_no_line_problems() -> None:
    assert line_problems(b"Subject: ok\r\n\r\n" + b"x" * 998 + b"\r\nlast line without CRLF") == []
    assert line_problems(b"") == []


@pytest.mark.parametrize(
    ("raw", "line", "length"),
    [
        (b"x" * 999 + b"\r\n", 1, 999),
        (b"a\r\n" + b"x" * 1500 + b"\r\n", 2, 1500),
        (b"a\r\nb\r\n" + b"x" * 999, 3, 999),  # last line, no line break
    ],
    ids=["first-line", "second-line", "last-line"],
)
def test_long_lines(raw: bytes, line: int, length: int) -> None:
    assert line_problems(raw) == [
        f"line {line} is {length:,} bytes long; lines must not exceed 1,000 bytes (998 + CRLF)"
    ]


def _first_long_line_by_lines(raw: bytes) -> tuple[int, int] | None:
    """The first over-long line's number and length, found the plain way: line by line."""
    for number, line in enumerate(raw.split(b"\n"), 1):
        length = len(line) - line.endswith(b"\r")
        if length > 998:
            return number, length
    return None


@pytest.mark.parametrize("offset", [0, 1, 2, 499, 500, 501, 997, 998, 999, 1000, 1001])
@pytest.mark.parametrize("length", [997, 998, 999, 1000, 1001, 1499, 1500, 2500])
@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r\r\n", b""])
def test_long_line_found_wherever_it_falls_against_the_block_scan(
    offset: int, length: int, ending: bytes
) -> None:
    """Lines around the limit at every position relative to the 500-byte blocks scanned, with
    CRLF, LF, a CR before CRLF and no line break, after short lines and a 998-byte one."""
    before = b"y" * 998 + b"\r\n" + b"a\r\n" * 3 + b"b" * offset + b"\r\n"
    raw = before + b"x" * length + ending + b"tail\r\n"
    expected = _first_long_line_by_lines(raw)
    shown = [p for p in line_problems(raw) if p.startswith("line ")]
    if expected is None:
        assert shown == []
    else:
        number, found_length = expected
        assert shown == [
            f"line {number} is {found_length:,} bytes long; "
            f"lines must not exceed 1,000 bytes (998 + CRLF)"
        ]


def test_bare_lf_and_bare_cr_are_counted_with_the_first_line() -> None:
    raw = b"a\r\nb\nc\nd\re\r\n"
    assert line_problems(raw) == [
        "bare LF (line ending without CR) 2 times, first on line 2",
        "bare CR (CR not followed by LF) once, first on line 4",
    ]


def test_line_checks_are_linear_on_large_input() -> None:
    # 20 MB of short lines and of nothing but LF must not take quadratic time (pytest-timeout
    # would stop it); a long line at the very end is still found.
    raw = b"a" * 70 + b"\r\n"
    assert line_problems(raw * 280_000 + b"z" * 2000) == [
        "line 280,001 is 2,000 bytes long; lines must not exceed 1,000 bytes (998 + CRLF)"
    ]
    assert line_problems(b"\n" * 2_000_000)[0].startswith("bare LF")


@pytest.mark.parametrize(
    ("params", "warned"),
    [
        ({}, True),
        ({"BODY": "7BIT"}, True),
        ({"BODY": "8BITMIME"}, False),
        ({"body": "8bitmime"}, False),
        ({"SMTPUTF8": ""}, False),
        ({"BODY": "BINARYMIME"}, False),
    ],
)
def test_eight_bit_data_needs_8bitmime(params: dict[str, str], warned: bool) -> None:
    problem = eight_bit_problem("café".encode(), params)
    assert (problem is not None) is warned
    assert eight_bit_problem(b"plain ascii", {}) is None


def test_header_problems() -> None:
    headers = HeaderMap.from_bytes(b"Subject: x\r\n\r\n")
    assert header_problems(headers, {}) == [
        "missing From header",
        "missing Date header",
        "missing Message-ID header",
    ]
    complete = HeaderMap.from_bytes(b"From: a@x\r\nDate: now\r\nMessage-ID: <i@x>\r\n\r\n")
    bad = {"To": [Address("", "ok@x.test"), Address("not an address", "")], "Cc": []}
    assert header_problems(complete, bad) == [
        "Date header is not a date: 'now'",
        "malformed address in To: 'not an address'",
    ]
    dated = HeaderMap.from_bytes(
        b"From: a@x\r\nDate: Tue, 2 Jan 2024 03:04:05 +0000\r\nMessage-ID: <i@x>\r\n\r\n"
    )
    assert header_problems(dated, {"From": [Address("", "a@x")]}) == []
