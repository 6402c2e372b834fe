"""Header fields: the block at the top of a message or MIME part, read forgivingly.

`parse_header_block` splits the raw block with one regular expression (no email package, it is
on the SMTP hot path). `HeaderMap` keeps every field in order, raw, and decodes on access:
folding removed and RFC 2047 encoded words decoded. `headers_json` is Mailpit's `/headers`.

Example::

    headers = HeaderMap.from_bytes(b"Subject: =?utf-8?q?caf=C3=A9?=\\r\\nX-A: 1\\r\\nx-a: 2\\r\\n")
    headers["subject"]        # "café"
    headers.get_all("X-A")    # ["1", "2"]
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from mailsink.message.charsets import decode_text

# A field: a name (printable, no colon), a colon, the value and its continuation lines.
_FIELD = re.compile(rb"([^\x00-\x20\x7f:]+)[ \t]*:[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)(?:\n|\Z)")
_BLANK_LINE = re.compile(rb"\r?\n|\r\n?")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_GO_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# The Date every mail library writes (`Mon, 30 Nov 2026 07:30:44 +0000`, maybe a zone comment
# after it), read without `email.utils`' general parser, which is slow for so common a shape.
_MONTHS = {
    month: number
    for number, month in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}
_USUAL_DATE = re.compile(
    r"\s*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?(\d{1,2}) (\w{3}) (\d{4}) (\d\d):(\d\d):(\d\d)"
    r" ([+-])(\d\d)(\d\d)(?:\s*\([A-Za-z0-9 +-]*\))?\s*"
)


def parse_header_block(
    source: bytes, start: int = 0, end: int | None = None, *, mbox_from: bool = False
) -> tuple[list[tuple[str, str]], int]:
    """The fields at `source[start:end]` and where the body starts.

    The header block ends at the first empty line (which is skipped) or at the first line that
    is not a field (which then starts the body: a message without a blank line still has one).
    With `mbox_from`, a leading mbox `From ` line is skipped. Values are kept raw, folding
    included, without the line break that ends them.
    """
    if end is None:
        end = len(source)
    pos = start
    if mbox_from and source[pos : pos + 5] == b"From ":  # `source` may be a mapping
        newline = source.find(b"\n", pos, end)
        pos = end if newline < 0 else newline + 1
    fields: list[tuple[str, str]] = []
    match = _FIELD.match
    while pos < end:
        found = match(source, pos, end)
        if found is None:
            blank = _BLANK_LINE.match(source, pos, end)
            if blank is not None:
                pos = blank.end()
            break
        name, value = found.groups()
        value = value.rstrip(b"\r")
        fields.append(
            (
                name.decode("ascii") if name.isascii() else decode_text(name),
                value.decode("ascii") if value.isascii() else decode_text(value),
            )
        )
        pos = found.end()
    return fields, pos


def unfold(raw: str) -> str:
    """One line, as Go's textproto reads it: each line trimmed, joined by a single space."""
    if "\n" not in raw and "\r" not in raw:
        return raw.strip(" \t")
    lines = (line.strip(" \t\r") for line in raw.split("\n"))
    return " ".join(line for line in lines if line)


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; whitespace between two adjacent encoded words is dropped,
    and adjacent words in one charset are joined before decoding (split multi-byte characters)."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    pos = 0
    for word in _ENCODED_WORD.finditer(value):
        between = value[pos : word.start()]
        if pending_charset is None or between.strip(" \t"):
            if pending_charset is not None:
                out.append(decode_text(bytes(pending), pending_charset))
                pending.clear()
                pending_charset = None
            out.append(between)
        charset, encoding, payload = word.groups()
        data = _decode_word_payload(encoding, payload)
        if pending_charset is not None and pending_charset != charset.lower():
            out.append(decode_text(bytes(pending), pending_charset))
            pending.clear()
        pending += data
        pending_charset = charset.lower()
        pos = word.end()
    if pending_charset is not None:
        out.append(decode_text(bytes(pending), pending_charset))
    out.append(value[pos:])
    return "".join(out)


def _decode_word_payload(encoding: str, payload: str) -> bytes:
    data = payload.encode("ascii", "replace")
    if encoding in "qQ":
        return binascii.a2b_qp(data, header=True)
    data = data.rstrip(b"=")
    data += b"=" * (-len(data) % 4)
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        return data


def decode_header_value(raw: str) -> str:
    """A raw field value as a reader sees it: unfolded, encoded words decoded."""
    return decode_words(unfold(raw))


def parse_date(value: str | None) -> datetime | None:
    """The Date field as an aware datetime with its own offset (no zone or -0000: UTC)."""
    if not value:
        return None
    usual = _USUAL_DATE.fullmatch(value)
    if usual is not None and usual[2] in _MONTHS and usual.groups()[6:] != ("-", "00", "00"):
        day, _, year, hour, minute, second, sign, zone_hours, zone_minutes = usual.groups()
        offset = timedelta(hours=int(zone_hours), minutes=int(zone_minutes))
        try:
            return datetime(
                int(year),
                _MONTHS[usual[2]],
                int(day),
                int(hour),
                int(minute),
                int(second),
                tzinfo=timezone(-offset if sign == "-" else offset),
            )
        except ValueError:
            return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def canonical_header_key(name: str) -> str:
    """Go's `textproto.CanonicalMIMEHeaderKey`: `message-id` → `Message-Id`; a name with
    characters outside the HTTP token set is returned unchanged, as Go does."""
    if _GO_TOKEN.fullmatch(name) is None:
        return name
    return "-".join(word[:1].upper() + word[1:].lower() for word in name.split("-"))


class HeaderMap:
    """Header fields in message order; names are matched case-insensitively.

    `headers[name]` is the first decoded value (KeyError when absent), `get_all` every decoded
    value in order, `get_raw`/`get_all_raw` the values exactly as written (folding included).
    Iterating gives `(name, decoded value)` pairs in message order.
    """

    __slots__ = ("_decoded", "_fields", "_index")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields
        self._decoded: list[str | None] = [None] * len(fields)
        index: dict[str, list[int]] = {}
        for position, (name, _) in enumerate(fields):
            index.setdefault(name.lower(), []).append(position)
        self._index = index

    @classmethod
    def from_bytes(cls, block: bytes) -> HeaderMap:
        return cls(parse_header_block(block)[0])

    def _value(self, position: int) -> str:
        decoded = self._decoded[position]
        if decoded is None:
            decoded = self._decoded[position] = decode_header_value(self._fields[position][1])
        return decoded

    def __getitem__(self, name: str) -> str:
        positions = self._index.get(name.lower())
        if not positions:
            raise KeyError(name)
        return self._value(positions[0])

    def get(self, name: str, default: str | None = None) -> str | None:
        positions = self._index.get(name.lower())
        return self._value(positions[0]) if positions else default

    def get_all(self, name: str) -> list[str]:
        return [self._value(p) for p in self._index.get(name.lower(), ())]

    def get_raw(self, name: str, default: str | None = None) -> str | None:
        positions = self._index.get(name.lower())
        return self._fields[positions[0]][1] if positions else default

    def get_all_raw(self, name: str) -> list[str]:
        return [self._fields[p][1] for p in self._index.get(name.lower(), ())]

    def raw_items(self) -> list[tuple[str, str]]:
        """Every `(name, raw value)` in message order, names spelled as in the message."""
        return list(self._fields)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for position, (name, _) in enumerate(self._fields):
            yield name, self._value(position)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"HeaderMap({[name for name, _ in self._fields]!r})"


def headers_json(headers: HeaderMap) -> dict[str, list[str]]:
    """Mailpit's `GET /api/v1/message/{ID}/headers`: Go-canonical names, sorted; raw values
    (encoded words kept) unfolded with a single space; repeated fields in message order."""
    grouped: dict[str, list[str]] = {}
    for name, raw in headers.raw_items():
        grouped.setdefault(canonical_header_key(name), []).append(unfold(raw))
    return {key: grouped[key] for key in sorted(grouped)}
