"""FETCH: its data items, parsed once per command, and the response for one message.

>>> [item.label for item in parse_fetch_items(["FLAGS", "BODY.PEEK[HEADER]<0.10>"])]
['FLAGS', 'BODY[HEADER]<0>']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailsink.imap.structure import Section, body_structure, envelope, section_bytes
from mailsink.imap.syntax import CommandSyntaxError, Token, date_time
from mailsink.message.mime import parse_message
from mailsink.store.base import StoredMessage

MACROS = {
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
}
WITHOUT_BYTES = frozenset({"FLAGS", "UID", "RFC822.SIZE", "INTERNALDATE"})
SIMPLE = WITHOUT_BYTES | {"ENVELOPE", "BODYSTRUCTURE", "BODY", "RFC822", "RFC822.HEADER"}
_BODY_SECTION = re.compile(r"(BODY|BODY\.PEEK)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?", re.I)
_SECTION = re.compile(
    r"(?:(\d+(?:\.\d+)*)(?:\.|$))?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?"
    r"(?:\s*\(([^)]*)\))?",
    re.I,
)


@dataclass(frozen=True, slots=True)
class FetchItem:
    name: str  # FLAGS, UID, …, RFC822.TEXT, or BODY for BODY[section] (then `section` is set)
    section: Section | None = None
    peek: bool = False
    origin: int | None = None  # <origin.count>: a slice of the section
    count: int | None = None

    @property
    def label(self) -> str:
        """The item's name in the response (BODY.PEEK is answered as BODY)."""
        if self.section is None:
            return self.name
        section = self.section
        text = ".".join(str(n) for n in section.path)
        if section.specifier:
            text += ("." if text else "") + section.specifier
        if section.fields:
            text += " (" + " ".join(section.fields) + ")"
        return f"BODY[{text}]" + (f"<{self.origin}>" if self.origin is not None else "")

    @property
    def sets_seen(self) -> bool:
        if self.section is not None:
            return not self.peek
        return self.name in ("RFC822", "RFC822.TEXT")


def parse_fetch_items(token: Token) -> list[FetchItem]:
    if isinstance(token, str) and token.upper() in MACROS:
        return [FetchItem(name) for name in MACROS[token.upper()]]
    tokens = token if isinstance(token, list) else [token]
    if not tokens:
        raise CommandSyntaxError("FETCH needs at least one data item")
    return [_parse_item(t) for t in tokens]


def _parse_item(token: Token) -> FetchItem:
    if not isinstance(token, str):
        raise CommandSyntaxError(f"expected a FETCH data item, got {token!r}")
    upper = token.upper()
    if upper in SIMPLE or upper == "RFC822.TEXT":
        return FetchItem(upper)
    found = _BODY_SECTION.fullmatch(token)
    if found is None:
        raise CommandSyntaxError(f"unknown FETCH data item {token[:60]!r}")
    origin = int(found[3]) if found[3] else None
    count = int(found[4]) if found[4] else None
    peek = found[1].upper() == "BODY.PEEK"
    return FetchItem("BODY", parse_section(found[2]), peek, origin, count)


def parse_section(text: str) -> Section:
    found = _SECTION.fullmatch(text.strip())
    if found is None:
        raise CommandSyntaxError(f"unknown body section [{text[:60]}]")
    path = tuple(int(n) for n in found[1].split(".")) if found[1] else ()
    specifier = (found[2] or "").upper()
    fields = tuple((found[3] or "").split())
    if any(n == 0 for n in path):
        raise CommandSyntaxError(f"part numbers start at 1, got [{text[:60]}]")
    if specifier.startswith("HEADER.FIELDS") != bool(fields) or (specifier == "MIME" and not path):
        raise CommandSyntaxError(f"malformed body section [{text[:60]}]")
    return Section(path, specifier, fields)


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n%s" % (len(data), data)


def fetch_response(
    number: int, message: StoredMessage, flags: bytes, raw: bytes | None, items: list[FetchItem]
) -> bytes:
    """`* number FETCH (…)` for one message; `raw` may be None when no item needs the bytes."""
    parsed = parse_message(raw) if raw is not None else None
    parts: list[bytes] = []
    for item in items:
        value: bytes
        match item.name:
            case "FLAGS":
                value = flags
            case "UID":
                value = str(message.seq).encode()
            case "RFC822.SIZE":
                value = str(message.size).encode()
            case "INTERNALDATE":
                value = date_time(message.received)
            case "RFC822":
                value = literal(raw or b"")
            case _ if parsed is None:
                continue
            case "ENVELOPE":
                value = envelope(parsed.headers)
            case "BODYSTRUCTURE" | "BODY" if item.section is None:
                value = body_structure(parsed.root, item.name == "BODYSTRUCTURE")
            case "RFC822.HEADER":
                value = literal(parsed.root.header_block)
            case "RFC822.TEXT":
                value = literal(parsed.root.body)
            case _:
                assert item.section is not None
                data = section_bytes(parsed.root, item.section)
                if item.origin is not None:
                    end = None if item.count is None else item.origin + item.count
                    data = data[item.origin : end]
                value = literal(data)
        parts.append(item.label.encode() + b" " + value)
    return b"* %d FETCH (%s)\r\n" % (number, b" ".join(parts))


def needs_bytes(items: list[FetchItem]) -> bool:
    return any(item.name not in WITHOUT_BYTES for item in items)
