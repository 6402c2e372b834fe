"""Header fields: parsing, decoding, HeaderMap, Mailpit's /headers JSON, address lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from mailsink.message.address import Address, parse_address_list
from mailsink.message.headers import (
    HeaderMap,
    canonical_header_key,
    decode_header_value,
    headers_json,
    parse_date,
    parse_header_block,
)

RAW = (
    b"Received: from a\r\n\tby b; Tue, 2 Jan 2024\r\n"
    b"Subject: =?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?=\r\n"
    b"X-Dup: one\r\n"
    b"x-dup: two\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Message-ID: <id@x>\r\n"
    b"\r\n"
    b"Body: not a header\r\n"
)


def test_parse_header_block_stops_at_the_blank_line() -> None:
    fields, body_start = parse_header_block(RAW)
    assert [name for name, _ in fields] == [
        "Received", "Subject", "X-Dup", "x-dup", "MIME-Version", "Message-ID",
    ]  # fmt: skip
    assert RAW[body_start:] == b"Body: not a header\r\n"
    assert fields[0][1] == "from a\r\n\tby b; Tue, 2 Jan 2024"


def test_header_map_is_case_insensitive_multi_valued_and_ordered() -> None:
    headers = HeaderMap.from_bytes(RAW)
    assert headers["subject"] == "café au lait"
    assert headers["SUBJECT"] == headers.get("Subject")
    assert headers.get_all("X-DUP") == ["one", "two"]
    assert headers["Received"] == "from a by b; Tue, 2 Jan 2024"
    assert headers.get_raw("Subject") == "=?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?="
    assert headers.get_all_raw("x-dup") == ["one", "two"]
    assert "message-id" in headers
    assert "Bcc" not in headers
    assert headers.get("Bcc") is None
    assert headers.get("Bcc", "") == ""
    with pytest.raises(KeyError):
        headers["Bcc"]
    assert list(headers)[1] == ("Subject", "café au lait")
    assert len(headers) == 6


def test_headers_json_is_mailpits_shape() -> None:
    assert headers_json(HeaderMap.from_bytes(RAW)) == {
        "Message-Id": ["<id@x>"],
        "Mime-Version": ["1.0"],
        "Received": ["from a by b; Tue, 2 Jan 2024"],
        "Subject": ["=?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?="],
        "X-Dup": ["one", "two"],
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("message-id", "Message-Id"),
        ("MIME-VERSION", "Mime-Version"),
        ("dkim-signature", "Dkim-Signature"),
        ("X-MS-Has-Attach", "X-Ms-Has-Attach"),
        ("with space", "with space"),
        ("x_under", "X_under"),
    ],
)
def test_canonical_header_key(name: str, expected: str) -> None:
    assert canonical_header_key(name) == expected


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("plain text", "plain text"),
        ("=?UTF-8?B?w6l0w6k=?=", "été"),
        ("=?utf-8?q?a?=   =?utf-8?q?b?=", "ab"),  # whitespace between encoded words dropped
        ("=?utf-8?q?a?= and =?utf-8?q?b?=", "a and b"),
        ("=?utf-8?b?5pel?= =?utf-8?b?5pys?=", "日本"),
        ("=?utf-8?b?5pc=?= =?utf-8?b?pQ==?=", "日"),  # a character split across two words
        ("=?iso-8859-1?q?Gr=FC=DFe?=", "Grüße"),
        ("=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "日本語"),
        ("=?no-such?q?caf=C3=A9?=", "café"),
        ("=?utf-8*en?q?lang?=", "lang"),
        ("=?utf-8?x?unknown encoding?=", "=?utf-8?x?unknown encoding?="),
        ("=?utf-8?b?!!!?=", ""),
    ],
)
def test_decode_header_value(raw: str, decoded: str) -> None:
    assert decode_header_value(raw) == decoded


def test_eight_bit_headers_are_read_as_utf8_or_windows_1252() -> None:
    headers = HeaderMap.from_bytes("Subject: Grüße\r\nX-L: ".encode() + b"caf\xe9\r\n\r\n")
    assert headers["Subject"] == "Grüße"
    assert headers["X-L"] == "café"


def test_mbox_from_line_is_skipped_only_when_asked() -> None:
    raw = b"From someone@x Tue Jan  2 03:04:05 2024\r\nSubject: s\r\n\r\nbody"
    assert parse_header_block(raw, mbox_from=True)[0] == [("Subject", "s")]
    assert parse_header_block(raw)[0] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a@x.test", [Address("", "a@x.test")]),
        (
            'Alice <a@x.test>, "Doe, John" <j@x.test>',
            [Address("Alice", "a@x.test"), Address("Doe, John", "j@x.test")],
        ),
        ("=?utf-8?q?Doe=2C_J=C3=B6hn?= <j@x.test>", [Address("Doe, Jöhn", "j@x.test")]),
        ("undisclosed-recipients:;", []),
        ("team: a@x.test, b@x.test;", [Address("", "a@x.test"), Address("", "b@x.test")]),
        ("a@x.test (Alice)", [Address("Alice", "a@x.test")]),
        ("x <@relay.test:u@x.test>", [Address("x", "u@x.test")]),
        ("Zoë <zoë@exämple.test>", [Address("Zoë", "zoë@exämple.test")]),
        ("not an address", [Address("not an address", "")]),
        ("Good <g@x.test>, Bob <bob@", [Address("Good", "g@x.test"), Address("Bob <bob@", "")]),
        ("", []),
    ],
)
def test_parse_address_list(value: str, expected: list[Address]) -> None:
    assert parse_address_list(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "Tue, 02 Jan 2024 03:04:05 +1300",
            datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=13))),
        ),
        ("2 Jan 2024 03:04:05 -0000", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("Tue, 02 Jan 2024 03:04:05", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("yesterday", None),
        ("Tue, 99 Foo 2024 99:99:99 +9999", None),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: datetime | None) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    if expected is not None:
        assert parsed is not None
        assert parsed.utcoffset() == expected.utcoffset()


USUAL_SHAPES = [
    "a@b.c",
    " <a@b.c> ",
    "Alice  Example\t<alice.example+tag@mail.example.com>",
    "'Al' <x.y+z@q-r.s>",
    "Alice<a@b.c>",
    "a..b@c",
    "<a@b.c>trailing",
    "A-B_C.D <a@b>",
    "=?utf-8?q?Caf=C3=A9?= <cafe@example.com>",
    '"Quoted, Name" <q@example.com>',
    "a@b.c, d@e.f",
    "(comment) a@b.c",
]


@pytest.mark.parametrize("value", USUAL_SHAPES)
def test_the_usual_address_shapes_read_as_the_general_parser_reads_them(value: str) -> None:
    from mailsink.message.address import _parse_tokens  # the general path, for comparison

    assert parse_address_list(value) == _parse_tokens(value)


USUAL_DATES = [
    "Mon, 30 Nov 2026 07:30:44 +0000",
    "Mon, 30 Nov 2026 07:30:44 +0000 (UTC)",
    "30 Nov 2026 07:30:44 -0500",
    "Tue,  1 Jan 2030 00:00:00 +0530",
    "Mon, 30 Nov 2026 07:30:44 -0000",
    "Mon, 30 Feb 2026 07:30:44 +0000",
    "Mon, 30 Nov 2026 24:00:00 +0000",
    "Mon, 30 Nov 2026 07:30:44 +0099",
    "Mon, 30 nov 2026 07:30:44 -0130",
    "  Sun, 1 Mar 2026 23:59:59 +1400  ",
]


@pytest.mark.parametrize("value", USUAL_DATES)
def test_the_usual_date_shape_reads_as_the_email_package_reads_it(value: str) -> None:
    try:
        expected: datetime | None = parsedate_to_datetime(value)
    except ValueError:
        expected = None
    if expected is not None and expected.tzinfo is None:
        expected = expected.replace(tzinfo=UTC)
    parsed = parse_date(value)
    assert parsed == expected
    assert (parsed and parsed.utcoffset()) == (expected and expected.utcoffset())
