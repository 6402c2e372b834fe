"""The MIME tree of a message, parsed on demand from its exact bytes.

Parts are found by scanning for boundary delimiters with `bytes.find` (no email package, no
recursion): a part keeps offsets into the message and decodes its content only when asked.
PartIDs are enmime's (Mailpit's): the root is `0`, its children `1`, `2`, …, the children of
part `1` are `1.1`, `1.2`, … and a nested multipart container itself is `1.0` (enmime appends
`.0` to containers). An attached `message/rfc822` part `2` has the embedded message as its one
child: `2.0` when that is multipart (its parts are then `2.1`, `2.2`, …), else `2.1`.

Limits: at most `max_parts` parts and `max_depth` levels of nesting; beyond them the parser
stops descending, keeps what it has and says so in `warnings`. Work is linear in the message
size times the nesting depth.

Which parts are the text body, the HTML body, attachments and inlines follows enmime, as Mailpit
does (docs/mailpit-api.md, Message), except that a part without Content-Type is text/plain
(RFC 2045), and the parts of an attached message are not the outer message's bodies or attachments.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from functools import cached_property
from typing import Any

from mailsink.message.charsets import codec_name, decode_text
from mailsink.message.headers import HeaderMap, parse_header_block, unfold
from mailsink.message.html_text import html_meta_charset, html_to_text
from mailsink.message.list_unsubscribe import ListUnsubscribe, parse_list_unsubscribe
from mailsink.message.mediatype import parse_media_type
from mailsink.message.spool import MessageBytes, as_bytes
from mailsink.message.transfer import decode_transfer_encoding

MAX_PARTS = 1000
MAX_DEPTH = 100

TEXT_PLAIN = "text/plain"
TEXT_HTML = "text/html"
OCTET_STREAM = "application/octet-stream"
_EMBEDDED_MESSAGE = ("message/rfc822", "message/global")
_DELIMITER_TAIL = re.compile(rb"[ \t\r]*(?:\n|\Z)")
_TRANSFER_ENCODED = ("base64", "quoted-printable")
# Charsets `decode_text` reads as UTF-8, or guesses at (no label, ASCII, an unknown label).
_READ_AS_UTF8 = ("utf-8", codec_name(""), None)
_TEXT_PART_SEPARATOR = "\n--\n"  # between inline text parts, as enmime joins them


class MimePart:
    """One node of the tree. `data` is the decoded content (transfer encoding undone; for a
    multipart container, its raw body); `text()` decodes it with the part's charset."""

    __slots__ = (
        "_body_start",
        "_data",
        "_end",
        "_source",
        "_start",
        "boundary",
        "charset",
        "children",
        "content_id",
        "content_type",
        "disposition",
        "filename",
        "headers",
        "params",
        "part_id",
        "transfer_encoding",
    )

    def __init__(
        self, source: bytes, start: int, end: int, *, default_type: str, mbox: bool = False
    ) -> None:
        fields, body_start = parse_header_block(source, start, end, mbox_from=mbox)
        headers = HeaderMap(fields)
        self.headers = headers
        self._source = source
        self._start = start
        self._body_start = body_start
        self._end = end
        self._data: bytes | None = None
        self.part_id = ""
        self.children: list[MimePart] = []

        content_type, params = parse_media_type(_field(headers, "Content-Type"))
        content_type = content_type.split(" ", 1)[0]
        if "/" not in content_type.strip("/"):
            content_type = default_type  # missing or invalid: RFC 2045's default
        self.content_type = content_type
        self.params = params
        self.charset = params.get("charset", "")
        self.boundary = params.get("boundary", "") if content_type.startswith("multipart/") else ""
        self.transfer_encoding = _field(headers, "Content-Transfer-Encoding").strip().lower()
        disposition, disposition_params = parse_media_type(_field(headers, "Content-Disposition"))
        self.disposition = disposition
        self.filename = (
            disposition_params.get("filename") or params.get("name") or params.get("file") or ""
        )
        content_id = _field(headers, "Content-ID").strip()
        if content_id.startswith("<"):
            content_id = content_id[1:]
        if content_id.endswith(">"):
            content_id = content_id[:-1]
        self.content_id = content_id.strip()

    @property
    def raw(self) -> bytes:
        """The part's bytes as they are in the message, headers included."""
        return self._source[self._start : self._end]

    @property
    def header_block(self) -> bytes:
        """The part's header fields as they are in the message, with the blank line after."""
        return self._source[self._start : self._body_start]

    @property
    def body(self) -> bytes:
        """The part's body as it is in the message (still transfer-encoded)."""
        return self._source[self._body_start : self._end]

    @property
    def data(self) -> bytes:
        if self._data is None:
            body = self.body
            if self.content_type.startswith("multipart/"):
                self._data = body
            else:
                self._data = decode_transfer_encoding(body, self.transfer_encoding)
        return self._data

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def is_multipart(self) -> bool:
        return self.content_type.startswith("multipart/")

    def text(self) -> str:
        """The content as text, in the declared charset (an HTML part without one: its
        `<meta>` charset); unknown charsets and stray bytes never fail."""
        charset = self.charset
        if not charset and self.content_type == TEXT_HTML:
            charset = html_meta_charset(self.data) or ""
        return decode_text(self.data, charset)

    def text_head(self, chars: int) -> str:
        """The first `chars` characters of `text()` (all of it when shorter), decoding only the
        first 4 × `chars` bytes of a part that is not transfer-encoded (no charset takes more
        than 4 bytes a character), so that a large body is neither copied nor decoded whole.
        Without a declared charset, UTF-8 or windows-1252 is guessed from those bytes alone."""
        cut = self._body_start + 4 * chars
        sniffs_meta = self.content_type == TEXT_HTML and not self.charset
        if cut >= self._end or self.transfer_encoding in _TRANSFER_ENCODED or sniffs_meta:
            return self.text()[:chars]
        if codec_name(self.charset) in _READ_AS_UTF8:
            # Back off to the start of a UTF-8 character, so that valid UTF-8 stays valid.
            while cut > self._body_start and 0x80 <= self._source[cut] < 0xC0:
                cut -= 1
        return decode_text(self._source[self._body_start : cut], self.charset)[:chars]

    def walk(self) -> Iterator[MimePart]:
        """This part and every part below it, in document order (embedded messages included)."""
        stack = [self]
        while stack:
            part = stack.pop()
            yield part
            stack.extend(reversed(part.children))

    def __repr__(self) -> str:
        name = f" {self.filename!r}" if self.filename else ""
        return f"<MimePart {self.part_id} {self.content_type}{name} {len(self.children)} children>"


def _field(headers: HeaderMap, name: str) -> str:
    raw = headers.get_raw(name)
    return unfold(raw) if raw else ""


class ParsedMessage:
    """A parsed message: the tree, and enmime's view of it (bodies, attachments, inlines)."""

    def __init__(self, raw: MessageBytes, root: MimePart, warnings: list[str]) -> None:
        self.raw = raw
        self.root = root
        self.warnings = warnings
        self.attachments: list[MimePart] = []
        self.inlines: list[MimePart] = []
        self.other_parts: list[MimePart] = []
        self._text_parts: list[MimePart] = []
        self._html_part: MimePart | None = None
        if root.is_multipart:  # even with no parts found: its body is no text or attachment
            self._classify_multipart()
        else:
            self._classify_single_part()

    @property
    def headers(self) -> HeaderMap:
        return self.root.headers

    def _classify_multipart(self) -> None:
        def is_body(part: MimePart, content_type: str) -> bool:
            return part.content_type == content_type and part.disposition != "attachment"

        if self.root.content_type == "multipart/alternative":
            first = next((p for p in _breadth_first(self.root) if is_body(p, TEXT_PLAIN)), None)
            self._text_parts = [first] if first else []
        else:
            self._text_parts = [p for p in _depth_first(self.root) if is_body(p, TEXT_PLAIN)]
        self._html_part = next((p for p in _depth_first(self.root) if is_body(p, TEXT_HTML)), None)
        for part in _breadth_first(self.root):
            container = part.is_multipart
            if part.disposition == "attachment" or part.content_type == OCTET_STREAM:
                self.attachments.append(part)
            if part.disposition == "inline" and not container:
                self.inlines.append(part)
            elif (
                not container
                and not part.disposition
                and part.content_type not in (OCTET_STREAM, TEXT_PLAIN, TEXT_HTML)
            ):
                self.other_parts.append(part)

    def _classify_single_part(self) -> None:
        root = self.root
        if root.content_type in (TEXT_PLAIN, TEXT_HTML) and root.disposition != "attachment":
            if root.content_type == TEXT_HTML:
                self._html_part = root
            else:
                self._text_parts = [root]
        elif root.disposition == "inline":
            self.inlines.append(root)
        else:
            self.attachments.append(root)

    @cached_property
    def html(self) -> str:
        """The HTML body, "" when there is none."""
        return self._html_part.text() if self._html_part else ""

    @property
    def has_text_part(self) -> bool:
        return bool(self._text_parts)

    @cached_property
    def text(self) -> str:
        """The text body (several inline text parts joined by `\\n--\\n`, as enmime does);
        converted from the HTML body when there is no text part; "" when neither exists."""
        text = _TEXT_PART_SEPARATOR.join(part.text() for part in self._text_parts)
        if not text and self.html:
            return html_to_text(self.html)
        return text

    def text_head(self, chars: int) -> str:
        """The first `chars` characters of the text parts (as `text` joins them), decoding no
        more of each than that: what a summary needs of a body of any size."""
        heads: list[str] = []
        joined = -len(_TEXT_PART_SEPARATOR)  # the length of `heads` joined
        for part in self._text_parts:
            if joined >= chars:
                break
            head = part.text_head(max(chars - joined - len(_TEXT_PART_SEPARATOR), 0))
            heads.append(head)
            joined += len(_TEXT_PART_SEPARATOR) + len(head)
        return _TEXT_PART_SEPARATOR.join(heads)[:chars]

    @property
    def shown_attachments(self) -> list[MimePart]:
        """What Mailpit's message JSON lists as `Attachments` (those with a name or Content-ID)."""
        return [p for p in self.attachments if p.filename or p.content_id]

    @property
    def shown_inlines(self) -> list[MimePart]:
        """What Mailpit's message JSON lists as `Inline`: inline and other (e.g. cid image)
        parts with a name or Content-ID."""
        return [p for p in (*self.inlines, *self.other_parts) if p.filename or p.content_id]

    @cached_property
    def list_unsubscribe(self) -> ListUnsubscribe:
        return parse_list_unsubscribe(self.headers)

    @cached_property
    def _parts_by_id(self) -> dict[str, MimePart]:
        return {part.part_id: part for part in self.root.walk()}

    def leaves(self) -> list[MimePart]:
        """Every part without children, in document order (embedded messages' parts too)."""
        return [part for part in self.root.walk() if not part.children]


def _breadth_first(root: MimePart) -> Iterator[MimePart]:
    """Parts in breadth-first order, not entering attached messages (enmime does not)."""
    queue = deque([root])
    while queue:
        part = queue.popleft()
        yield part
        if part.content_type not in _EMBEDDED_MESSAGE:
            queue.extend(part.children)


def _depth_first(root: MimePart) -> Iterator[MimePart]:
    stack = [root]
    while stack:
        part = stack.pop()
        yield part
        if part.content_type not in _EMBEDDED_MESSAGE:
            stack.extend(reversed(part.children))


def find_part(parsed: ParsedMessage, part_id: str) -> MimePart | None:
    """The part with this PartID (for downloads), or None."""
    return parsed._parts_by_id.get(part_id)


def parse_message(
    raw: MessageBytes, *, max_parts: int = MAX_PARTS, max_depth: int = MAX_DEPTH
) -> ParsedMessage:
    """Parse `raw` into a tree; never raises on any input (see the module docstring)."""
    warnings: list[str] = []
    try:
        root = _build_tree(raw, max_parts, max_depth, warnings)
    except Exception as error:  # a bug must not lose a message: show it as plain text
        warnings.append(f"the MIME structure could not be read ({type(error).__name__})")
        root = MimePart(b"\n" + as_bytes(raw), 0, len(raw) + 1, default_type=TEXT_PLAIN)
        root.part_id = "0"
    return ParsedMessage(raw, root, warnings)


# One level of the walk: the container, the PartID prefix of its children, its depth, and the
# (source, start, end) ranges of its children still to read.
_Level = tuple[MimePart, str, int, Iterator[tuple[bytes, int, int]]]


def _build_tree(raw: bytes, max_parts: int, max_depth: int, warnings: list[str]) -> MimePart:
    root = MimePart(raw, 0, len(raw), default_type=TEXT_PLAIN, mbox=True)
    root.part_id = "0"
    count = 1
    levels: list[_Level] = []
    depth_warned = False

    def descend(part: MimePart, prefix: str, depth: int) -> None:
        nonlocal depth_warned
        if not part.boundary and part.content_type not in _EMBEDDED_MESSAGE:
            if part.is_multipart:
                warnings.append(f"{part.content_type} part {part.part_id} has no boundary")
            return
        if depth >= max_depth:
            if not depth_warned:
                warnings.append(f"MIME parts nested deeper than {max_depth} levels were not read")
                depth_warned = True
            return
        levels.append((part, prefix, depth + 1, _child_ranges(part, warnings)))

    descend(root, "", 0)
    while levels:
        parent, prefix, depth, ranges = levels[-1]
        child_range = next(ranges, None)
        if child_range is None:
            levels.pop()
            continue
        if count >= max_parts:
            warnings.append(
                f"the message has more than {max_parts:,} MIME parts; the rest were not read"
            )
            break
        source, start, end = child_range
        default = "message/rfc822" if parent.content_type == "multipart/digest" else TEXT_PLAIN
        child = MimePart(source, start, end, default_type=default)
        count += 1
        parent.children.append(child)
        expands = bool(child.boundary) and depth < max_depth
        if parent.content_type in _EMBEDDED_MESSAGE:
            base = parent.part_id  # the embedded message's root
            child.part_id = f"{base}.0" if expands else f"{base}.1"
        else:
            base = f"{prefix}{len(parent.children)}"
            child.part_id = f"{base}.0" if expands else base
        descend(child, f"{base}.", depth)
    return root


def _child_ranges(part: MimePart, warnings: list[str]) -> Iterator[tuple[bytes, int, int]]:
    """Where the children of a container are: a multipart's parts, an embedded message."""
    if part.boundary:
        return _multipart_ranges(part, warnings)
    data = part.data
    return iter([(data, 0, len(data))])


def _multipart_ranges(part: MimePart, warnings: list[str]) -> Iterator[tuple[bytes, int, int]]:
    source, end = part._source, part._end
    boundary = part.boundary
    delimiter = b"--" + boundary.encode("utf-8", "replace")
    find = source.find
    pos = part._body_start
    part_start = -1
    while True:
        found = find(delimiter, pos, end)
        if found < 0:
            break
        pos = found + len(delimiter)
        if found > part._body_start and source[found - 1] != 0x0A:
            continue  # not at the start of a line
        closing = source[pos : min(pos + 2, end)] == b"--"  # `source` may be a mapping
        tail = _DELIMITER_TAIL.match(source, pos + 2 if closing else pos, end)
        if tail is None:
            continue  # a longer boundary that starts with ours, or text after it
        if part_start >= 0:
            part_end = found - 1 if found > part_start else part_start
            if part_end > part_start and source[part_end - 1] == 0x0D:
                part_end -= 1
            yield source, part_start, part_end
        if closing:
            return
        part_start = pos = tail.end()
    if part_start < 0:
        warnings.append(f'boundary "{boundary}" of part {part.part_id} was not found')
        return
    warnings.append(f'boundary "{boundary}" of part {part.part_id} was not closed')
    yield source, part_start, end


def mime_tree_json(part: MimePart) -> dict[str, Any]:
    """The `/api/v1/message/{ID}/mime` shape (docs/interface.md, Our additions) of `part` and
    everything below it."""
    return {
        "PartID": part.part_id,
        "ContentType": part.content_type,
        "Params": dict(part.params),
        "Charset": part.charset,
        "TransferEncoding": part.transfer_encoding,
        "Disposition": part.disposition,
        "FileName": part.filename,
        "ContentID": part.content_id,
        "Size": part.size,
        "Children": [mime_tree_json(child) for child in part.children],
    }
