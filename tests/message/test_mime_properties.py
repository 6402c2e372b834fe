"""Property-based tests of the message model: any bytes give a summary, a MIME tree, parts and
the API's JSON shapes without an exception (not even one the catch-alls would swallow), every
PartID resolves to its part, and the bytes stay exact.

The inputs are MIME-shaped on purpose (nested multiparts, embedded messages, transfer encodings,
charsets, RFC 2047/2231 parameters, three line-ending styles), then cut or spliced at random:
random bytes alone rarely reach past the first header.
"""

from __future__ import annotations

import base64
import json
import mmap
import quopri
import tempfile

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mailsink.mailboxes.router import MailboxRouter
from mailsink.message.captured import CapturedMessage
from mailsink.message.mime import find_part, mime_tree_json, parse_message
from mailsink.message.summary import message_warnings, summarize
from mailsink.store.base import StoredMessage
from mailsink.web.mailhog import message_json as mailhog_json
from mailsink.web.mailpit import message_json as mailpit_json
from tests.builders import make_envelope

FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
THOROUGH = settings(FAST, max_examples=3000)

# What the catch-alls in parse_message and summarize write when a bug got that far.
_SWALLOWED = ("could not be read",)

NEWLINES = st.sampled_from([b"\r\n", b"\n", b"\r"])
TOKENS = st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=12)
ANY_TEXT = st.text(max_size=30)
CHARSETS = st.sampled_from(
    ["utf-8", "iso-8859-1", "windows-1252", "shift_jis", "utf-16", "x-unknown", "", '"utf-8"']
)
ENCODINGS = st.sampled_from(
    ["", "7bit", "8bit", "binary", "base64", "BASE64 ", "quoted-printable", "x-uuencode", "?"]
)
LEAF_TYPES = st.sampled_from(
    [
        "text/plain",
        "text/html",
        "application/octet-stream",
        "image/png",
        "application/pdf",
        "TEXT/PLAIN",
        "text",
        "",
        ";;",
        "text/plain/extra",
    ]
)
MULTIPART_SUBTYPES = st.sampled_from(["mixed", "alternative", "related", "digest", "signed", "x"])


def _encode_header(value: str, style: int) -> bytes:
    """A header value written plainly (UTF-8), as RFC 2047 words, or as Latin-1 bytes."""
    data = value.encode("utf-8", "surrogatepass")
    if style == 0:
        return data
    if style == 1:
        return b"=?utf-8?b?" + base64.b64encode(data) + b"?="
    if style == 2:
        return b"=?iso-8859-1?q?" + quopri.encodestring(data, header=True) + b"?="
    return value.encode("latin-1", "replace")


@st.composite
def header_lines(draw: st.DrawFn) -> list[bytes]:
    names = st.sampled_from(
        [b"From", b"To", b"Cc", b"Bcc", b"Reply-To", b"Subject", b"Date", b"Message-ID",
         b"X-Tags", b"List-Unsubscribe", b"List-Unsubscribe-Post", b"Return-Path",
         b"Content-ID", b"MIME-Version", b"X-Other", b" folded", b"Bad Name", b""]
    )  # fmt: skip
    values = st.one_of(
        st.builds(_encode_header, ANY_TEXT, st.integers(0, 3)),
        st.sampled_from(
            [
                b"a@example.com",
                b'"Name" <b@example.com>, c@example.com',
                b"<mailto:x@y>, <https://u>",
                b"Mon, 1 Jan 2024 10:00:00 +0000",
                b"99 Foo 99999",
                b"<id@x>",
                b"undisclosed:;",
                b"=?utf-8?q?broken",
                b"a@b@c",
                b"<>",
                b"\xff\xfe",
            ]
        ),
        st.binary(max_size=20),
    )
    return draw(
        st.lists(st.tuples(names, values).map(lambda nv: nv[0] + b": " + nv[1]), max_size=6)
    )


@st.composite
def content_headers(draw: st.DrawFn, content_type: str) -> list[bytes]:
    lines = [b"Content-Type: " + content_type.encode("utf-8", "surrogatepass")]
    if draw(st.booleans()):
        disposition = draw(st.sampled_from(["attachment", "inline", "form-data", ""]))
        name = draw(ANY_TEXT)
        style = draw(st.integers(0, 3))
        if style == 0:
            param = f'; filename="{name}"'
        elif style == 1:
            param = "; filename*=UTF-8''" + "".join(
                f"%{b:02X}" for b in name.encode("utf-8", "replace")
            )
        elif style == 2:
            param = f"; filename*0={name}; filename*1=x"
        else:  # RFC 2231 section numbers in any script: "¹" is isdigit() but no int
            section = draw(st.sampled_from(["¹", "١", "0x", "99999999", "-1", ""]))
            param = f"; filename*{section}*=utf-8''{name}"
        lines.append(f"Content-Disposition: {disposition}{param}".encode("utf-8", "replace"))
    if draw(st.booleans()):
        lines.append(b"Content-ID: <" + draw(TOKENS).encode() + b">")
    return lines


@st.composite
def mime_entity(draw: st.DrawFn, depth: int = 0) -> bytes:
    """One entity (headers + body), with the line ending chosen once for all of it."""
    newline = draw(NEWLINES)
    kinds = ["leaf", "multipart", "message"] if depth < 4 else ["leaf"]
    kind = draw(st.sampled_from(kinds))
    headers = draw(header_lines()) if depth == 0 or kind == "message" else []
    if kind == "multipart":
        boundary = draw(st.one_of(TOKENS, st.sampled_from(["b", "=_x", "a b", "--", "é"])))
        quoted = draw(st.booleans())
        shown = f'"{boundary}"' if quoted else boundary
        content_type = f"multipart/{draw(MULTIPART_SUBTYPES)}; boundary={shown}"
        headers += draw(content_headers(content_type))
        delimiter = b"--" + boundary.encode("utf-8")
        children = draw(st.lists(mime_entity(depth + 1), max_size=4))
        body = draw(st.binary(max_size=10)) + newline  # preamble
        for child in children:
            body += (
                delimiter + draw(st.sampled_from([b"", b" ", b"\t"])) + newline + child + newline
            )
        if draw(st.integers(0, 3)):
            body += delimiter + b"--" + newline
        body += draw(st.binary(max_size=10))  # epilogue
    elif kind == "message":
        headers += draw(
            content_headers(draw(st.sampled_from(["message/rfc822", "message/global"])))
        )
        body = draw(mime_entity(depth + 1))
    else:
        content_type = draw(LEAF_TYPES)
        if draw(st.booleans()):
            content_type += f"; charset={draw(CHARSETS)}"
        headers += draw(content_headers(content_type))
        encoding = draw(ENCODINGS)
        if encoding:
            headers.append(b"Content-Transfer-Encoding: " + encoding.encode())
        data = draw(st.one_of(st.binary(max_size=120), ANY_TEXT.map(str.encode)))
        if encoding.strip().lower() == "base64" and draw(st.booleans()):
            data = base64.encodebytes(data)
        elif encoding == "quoted-printable" and draw(st.booleans()):
            data = quopri.encodestring(data)
        body = data
    return newline.join(headers) + newline + newline + body


@st.composite
def damaged(draw: st.DrawFn, message: bytes) -> bytes:
    """`message` as it is, cut short, or with random bytes spliced in."""
    how = draw(st.integers(0, 3))
    if how == 0 or not message:
        return message
    at = draw(st.integers(0, len(message)))
    if how == 1:
        return message[:at]
    return message[:at] + draw(st.binary(min_size=1, max_size=8)) + message[at:]


MESSAGES = st.one_of(
    st.binary(max_size=300),
    mime_entity().flatmap(damaged),
    st.builds(lambda a, b: b"From mbox " + a + b"\n" + b, st.binary(max_size=20), mime_entity()),
)


def check_message(raw: bytes) -> None:
    envelope = make_envelope(rcpts=("bob@example.test", "hidden@example.test"), BODY="8BITMIME")
    parsed = parse_message(raw)
    assert not [w for w in parsed.warnings if any(s in w for s in _SWALLOWED)], parsed.warnings
    assert parsed.raw is raw
    assert parsed.root.raw == raw
    parts = list(parsed.root.walk())
    for part in parts:
        assert find_part(parsed, part.part_id) is part, part.part_id
        # Without a declared charset the head's charset is guessed from the head alone, so
        # only its length is certain.
        assert len(part.text_head(50)) <= min(50, len(part.text()))
    json.dumps(mime_tree_json(parsed.root))
    assert len(parsed.text_head(100)) <= 100
    for part in (*parsed.shown_attachments, *parsed.shown_inlines, *parsed.leaves()):
        assert find_part(parsed, part.part_id) is part

    summary = summarize(raw, envelope)
    assert not [w for w in summary.warnings if any(s in w for s in _SWALLOWED)], summary.warnings
    stored = StoredMessage(id="A" * 22, seq=1, size=len(raw), envelope=envelope, summary=summary)
    json.dumps(mailpit_json.message_json(stored, parsed))
    json.dumps(mailhog_json.message_json(stored, raw, "mailsink.test"))
    message_warnings(summary, parsed)

    captured = CapturedMessage.from_stored(stored, raw)
    assert captured.raw == raw
    for attachment in (*captured.attachments, *captured.inlines):
        assert find_part(parsed, attachment.part_id) is not None
    captured.links()
    repr(captured)
    captured.text, captured.html, captured.bcc, captured.parts, captured.warnings  # noqa: B018


@FAST
@given(MESSAGES)
@example(b"Content-Type: text/plain; name*\xc2\xb9=x\r\n\r\nbody")  # the section is "¹"
def test_any_message_reads_without_error(raw: bytes) -> None:
    check_message(raw)


@pytest.mark.slow
@pytest.mark.timeout(600)
@THOROUGH
@given(MESSAGES)
def test_any_message_reads_without_error_thoroughly(raw: bytes) -> None:
    check_message(raw)


@FAST
@given(MESSAGES.filter(bool))
def test_a_spooled_message_summarizes_as_its_bytes_do(raw: bytes) -> None:
    """Ingest parses a spooled message from its mapping (`mailsink.message.spool`), which has
    fewer methods than `bytes`: the summary and the MIME tree must not tell them apart."""
    envelope = make_envelope(rcpts=("bob@example.test",))
    with tempfile.TemporaryFile() as file:
        file.write(raw)
        file.flush()
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            assert summarize(mapped, envelope) == summarize(raw, envelope)
            assert mime_tree_json(parse_message(mapped).root) == mime_tree_json(
                parse_message(raw).root
            )
            assert MailboxRouter().route(envelope, mapped) == MailboxRouter().route(envelope, raw)
