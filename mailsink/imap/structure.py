"""A message as IMAP describes it: ENVELOPE, BODYSTRUCTURE and the bytes of body sections.

Everything is cut from the stored bytes (the MIME tree keeps offsets into them), so BODY[],
BODY[HEADER], BODY[1] … are exactly what arrived. IMAP numbers parts differently from the
PartIDs of the HTTP API: a message's parts are 1, 2, … (a single-part message has just part 1,
its body), a multipart's parts are N.1, N.2, …, and an attached message's parts are numbered
below its own number as if it were a message of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import getaddresses

from mailsink.imap.syntax import string, string_list
from mailsink.message.headers import HeaderMap, unfold
from mailsink.message.mediatype import parse_media_type
from mailsink.message.mime import MimePart

EMBEDDED_MESSAGE = ("message/rfc822", "message/global")


@dataclass(frozen=True, slots=True)
class Section:
    """`BODY[1.2.HEADER.FIELDS (TO CC)]`: the part path, the specifier and its field names."""

    path: tuple[int, ...] = ()
    specifier: str = ""  # "", HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME
    fields: tuple[str, ...] = ()


def _message_parts(root: MimePart) -> list[MimePart]:
    """The parts numbered 1, 2, … of the message whose root part is `root`."""
    return root.children if root.is_multipart else [root]


def _embedded_root(part: MimePart) -> MimePart | None:
    if part.content_type in EMBEDDED_MESSAGE and part.children:
        return part.children[0]
    return None


def find_part(root: MimePart, path: tuple[int, ...]) -> MimePart | None:
    part, parts = root, _message_parts(root)
    for number in path:
        if not 1 <= number <= len(parts):
            return None
        part = parts[number - 1]
        embedded = _embedded_root(part)
        if part.is_multipart:
            parts = part.children
        elif embedded is not None:
            parts = _message_parts(embedded)
        else:
            parts = []
    return part


def section_bytes(root: MimePart, section: Section) -> bytes:
    """The bytes of `section` of the message whose root is `root`; empty when there is no
    such part (RFC 3501 answers a section that does not exist with an empty string)."""
    part = find_part(root, section.path) if section.path else root
    if part is None:
        return b""
    if section.specifier == "":
        return part.raw if not section.path else part.body
    if section.specifier == "MIME":
        return part.header_block if section.path else b""
    message = part if not section.path else _embedded_root(part)
    if message is None:
        return b""
    if section.specifier == "TEXT":
        return message.body
    if section.specifier == "HEADER":
        return message.header_block
    wanted = {name.lower() for name in section.fields}
    keep = section.specifier == "HEADER.FIELDS"
    chosen = [f for f in header_fields(message.header_block) if (field_name(f) in wanted) == keep]
    return b"".join(chosen) + b"\r\n"


def header_fields(block: bytes) -> list[bytes]:
    """The fields of a header block, each with its continuation lines and line breaks."""
    fields: list[bytes] = []
    for line in block.splitlines(keepends=True):
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def field_name(field: bytes) -> str:
    return field.partition(b":")[0].strip().decode("ascii", "replace").lower()


def envelope(headers: HeaderMap) -> bytes:
    """The ENVELOPE structure: raw header values (encoded words as sent), parsed addresses."""

    def value(name: str) -> str | None:
        raw = headers.get_raw(name)
        return unfold(raw) if raw is not None else None

    from_ = _addresses(value("From"))
    fields = [
        string(value("Date")),
        string(value("Subject")),
        from_,
        _addresses(value("Sender")) if value("Sender") else from_,
        _addresses(value("Reply-To")) if value("Reply-To") else from_,
        _addresses(value("To")),
        _addresses(value("Cc")),
        _addresses(value("Bcc")),
        string(value("In-Reply-To")),
        string(value("Message-ID")),
    ]
    return b"(" + b" ".join(fields) + b")"


def _addresses(value: str | None) -> bytes:
    if not value:
        return b"NIL"
    items = []
    for name, address in getaddresses([value]):
        if not name and not address:
            continue
        mailbox, at, host = address.rpartition("@")
        if not at:
            mailbox, host = address, ""
        items.append(
            b"("
            + b" ".join([string(name or None), b"NIL", string(mailbox), string(host or None)])
            + b")"
        )
    return string_list(items)


def body_structure(part: MimePart, extensible: bool) -> bytes:
    """BODYSTRUCTURE (`extensible`) or BODY of the message or part whose root is `part`."""
    media_type, _, subtype = part.content_type.partition("/")
    if part.is_multipart and part.children:
        children = b"".join(body_structure(child, extensible) for child in part.children)
        fields = [children, string(subtype.upper())]
        if extensible:
            fields += [_params(part.params), _disposition(part), b"NIL", b"NIL"]
        return b"(" + b" ".join(fields) + b")"
    body = part.body
    lines = body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
    fields = [
        string(media_type.upper()),
        string(subtype.upper()),
        _params(part.params),
        string(_header(part, "Content-ID")),
        string(_header(part, "Content-Description")),
        string((part.transfer_encoding or "7bit").upper()),
        str(len(body)).encode(),
    ]
    embedded = _embedded_root(part)
    if embedded is not None:
        fields += [envelope(embedded.headers), body_structure(embedded, extensible)]
    if embedded is not None or media_type == "text":
        fields.append(str(lines).encode())
    if extensible:
        fields += [b"NIL", _disposition(part), b"NIL", b"NIL"]
    return b"(" + b" ".join(fields) + b")"


def _header(part: MimePart, name: str) -> str | None:
    raw = part.headers.get_raw(name)
    return unfold(raw) if raw else None


def _params(params: dict[str, str]) -> bytes:
    items = [string(name.upper()) + b" " + string(value) for name, value in params.items()]
    return string_list(items)


def _disposition(part: MimePart) -> bytes:
    disposition, params = parse_media_type(_header(part, "Content-Disposition"))
    if not disposition:
        return b"NIL"
    return b"(" + string(disposition.upper()) + b" " + _params(params) + b")"
