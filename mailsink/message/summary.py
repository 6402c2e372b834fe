"""What ingest extracts from a message: everything listing, search and events need.

Ingest parses only what listing and search need (docs/interface.md, What is captured): the
headers, the part structure (boundaries are found, no part is decoded) and the text and HTML
bodies. Attachments are
decoded only when someone asks for them (`mailsink.message.mime`). Bare-word search covers only
the first `SEARCH_BODY_CHARS` (64 K) characters of the body, and only that much of a text body is
decoded here: a large message is indexed in milliseconds and never copied whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from mailsink.message.address import Address, parse_address_list
from mailsink.message.envelope import Envelope
from mailsink.message.headers import HeaderMap, parse_date, unfold
from mailsink.message.html_text import one_line, search_words_of_html, strip_html
from mailsink.message.mime import ParsedMessage, parse_message
from mailsink.message.spool import MessageBytes
from mailsink.message.standards import eight_bit_problem, header_problems, line_problems


@dataclass(frozen=True, slots=True)
class MessageSummary:
    message_id: str  # Message-ID without <>; "" when the message has none
    from_: Address | None  # None when there is no From header
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]  # Bcc header plus envelope recipients not in To/Cc
    reply_to: tuple[Address, ...]
    subject: str  # RFC 2047-decoded
    date: datetime | None  # the Date header (its own offset kept); None if missing or unparseable
    snippet: str  # Mailpit's snippet: one line of the HTML (else text) body, 200 bytes + "..."
    attachments: int  # count of attachment parts
    inlines: int  # count of inline parts (Content-ID images in multipart/related, …)
    tags: tuple[str, ...]  # tags the message asks for: X-Tags header, plus-addressing
    search_text: str  # cleaned, lower-cased text that bare search words match
    warnings: tuple[str, ...]  # standards warnings: what a strict MTA would refuse


def summarize(raw: MessageBytes, envelope: Envelope) -> MessageSummary:
    """Everything listing and search need, from the exact bytes; never raises.

    A small message costs little enough that it runs on the SMTP event loop.
    """
    try:
        return _summarize(raw, envelope)
    except Exception as error:  # a bug must not cost the message: store it with what we know
        return _unreadable(envelope, error)


def _summarize(raw: MessageBytes, envelope: Envelope) -> MessageSummary:
    parsed = parse_message(raw)
    headers = parsed.headers
    from_list = _addresses(headers, "From")
    to = _addresses(headers, "To")
    cc = _addresses(headers, "Cc")
    reply_to = _addresses(headers, "Reply-To")
    bcc_header = _addresses(headers, "Bcc")
    bcc_envelope = envelope_only_recipients(envelope, (*to, *cc, *bcc_header))
    bcc = (*bcc_header, *bcc_envelope)
    if from_list:
        from_: Address | None = from_list[0]
    else:
        from_ = Address("", "") if "From" in headers else None

    html = parsed.html
    # Without a text part, `parsed.text` is converted from the HTML: not needed here, since the
    # snippet and search text use the HTML itself. They read no further than the search text.
    text = parsed.text_head(SEARCH_BODY_CHARS) if parsed.has_text_part else ""
    warnings = [
        *filter(None, [eight_bit_problem(raw, envelope.mail_from_params)]),
        *header_problems(headers, {"From": from_list, "To": to, "Cc": cc, "Reply-To": reply_to}),
        *parsed.warnings,
    ]
    return MessageSummary(
        message_id=(headers.get("Message-ID") or "").strip().strip("<>"),
        from_=from_,
        to=tuple(to),
        cc=tuple(cc),
        bcc=bcc,
        reply_to=tuple(reply_to),
        subject=headers.get("Subject") or "",
        date=parse_date(headers.get("Date")),
        snippet=make_snippet(text, html),
        attachments=len(parsed.attachments),
        inlines=len(parsed.inlines),
        tags=requested_tags(headers, (*to, *cc, *bcc, *from_list)),
        search_text=_search_text(parsed, envelope, bcc_envelope, text),
        warnings=tuple(warnings),
    )


def _addresses(headers: HeaderMap, name: str) -> list[Address]:
    """Every address of every `name` field (a repeated To is read, not dropped)."""
    return [
        address for raw in headers.get_all_raw(name) for address in parse_address_list(unfold(raw))
    ]


def envelope_only_recipients(envelope: Envelope, shown: Iterable[Address]) -> list[Address]:
    """RCPT TO addresses that no To/Cc/Bcc field shows (case-insensitively), each once."""
    seen = {address.address.lower() for address in shown if address.address}
    hidden: list[Address] = []
    for rcpt in envelope.rcpt_tos:
        key = rcpt.lower()
        if rcpt and key not in seen:
            seen.add(key)
            hidden.append(Address("", rcpt))
    return hidden


SNIPPET_BYTES = 200


def make_snippet(text: str, html: str) -> str:
    """Mailpit's snippet: the HTML body as one line of text (else the text body), cut at 200
    bytes (on a character boundary) with "..." appended. Unlike Mailpit, an HTML body with no
    text at all (only an image) falls back to the text body."""
    line = _line_of_prefix(html, strip_html, 4096) if html.strip() else ""
    if not line:
        line = _line_of_prefix(text, one_line, 1024)
    data = line.encode("utf-8")
    if len(data) <= SNIPPET_BYTES:
        return line
    return data[:SNIPPET_BYTES].decode("utf-8", "ignore") + "..."


def _line_of_prefix(text: str, to_line: Callable[[str], str], take: int) -> str:
    """`to_line(text)`, computed on the shortest prefix (growing from `take`) that gives more
    than a snippet shows: a prefix cut can only spoil the line's last characters."""
    while True:
        line = to_line(text[:take])
        if take >= len(text) or len(line) > SNIPPET_BYTES + 64:
            return line
        take *= 4


def requested_tags(headers: HeaderMap, addresses: Iterable[Address]) -> tuple[str, ...]:
    """Tags from `X-Tags` (comma-separated) and plus-addressing (`app+signup@x` → `signup`,
    `a+b+c@x` → `b`, `c`), as Mailpit reads them; each once (case-insensitively), in the order
    found. The store cleans them (`mailsink.store.tags`)."""
    found: list[str] = []
    for value in headers.get_all("X-Tags"):
        found.extend(value.split(","))
    for address in addresses:
        plus = address.address.find("+")
        at = address.address.find("@", plus + 1) if plus >= 0 else -1
        if at >= 0:  # what Mailpit's `(?U)^(.*){1,}\+(.*)@` captures, without its backtracking
            found.extend(address.address[plus + 1 : at].split("+"))
    unique: dict[str, str] = {}
    for tag in found:
        tag = " ".join(tag.split())
        if tag:
            unique.setdefault(tag.lower(), tag)
    return tuple(unique.values())


# Bare words search the first this many characters of the body (the text of an HTML body, else
# the text body). The full-text index costs time in proportion to the text indexed, on the SMTP
# path before the `250`, while the text of nearly every real message fits in 64 K. Indexing a
# 25 MB body whole would take long and many times its size in memory, for words nobody searches.
SEARCH_BODY_CHARS = 64 * 1024

# Line breaks and tabs are whitespace to `str.split` already. (`str.replace` per character is
# many times faster than `str.translate` or a regex on non-ASCII text.)
_SEARCH_SEPARATORS = '<>",;()\ufeff'


def clean_search_text(text: str) -> str:
    """Mailpit's `cleanString`, for stored search text and search words alike."""
    for separator in _SEARCH_SEPARATORS:
        if separator in text:
            text = text.replace(separator, " ")
    return " ".join(text.lower().split())


def _search_text(
    parsed: ParsedMessage, envelope: Envelope, bcc_envelope: list[Address], text: str
) -> str:
    """What bare search words match (docs/mailpit-api.md, Search query syntax): address and
    subject fields, Return-Path (Mailpit writes MAIL FROM there),
    the HTML body as text with its link URLs (else the text body; the first `SEARCH_BODY_CHARS`
    of either), attachment file names."""
    headers, html = parsed.headers, parsed.html
    pieces = [headers.get(name) or "" for name in ("From", "Subject", "To", "Cc", "Bcc")]
    pieces.extend(address.address for address in bcc_envelope)
    pieces.append(headers.get("Reply-To") or "")
    return_path = f"<{envelope.mail_from}>" if envelope.mail_from else headers.get("Return-Path")
    pieces.append(return_path or "")
    body = search_words_of_html(html[: SEARCH_BODY_CHARS * 2]) if html else ""
    pieces.append((body or text)[:SEARCH_BODY_CHARS])
    pieces.extend(part.filename for part in parsed.attachments)
    return clean_search_text(" ".join(pieces))


def message_warnings(summary: MessageSummary, parsed: ParsedMessage) -> list[str]:
    """All of a message's standards warnings, for showing it: the line checks (over-long
    lines, bare LF or CR), made now, then ingest's. The line checks read every byte, so they are
    made when a message is shown, not for every message on the SMTP path before its `250`; the
    other checks read the headers only."""
    return list(dict.fromkeys((*line_problems(parsed.raw), *summary.warnings, *parsed.warnings)))


def _unreadable(envelope: Envelope, error: Exception) -> MessageSummary:
    bcc = tuple(Address("", rcpt) for rcpt in envelope.rcpt_tos if rcpt)
    return MessageSummary(
        message_id="",
        from_=None,
        to=(),
        cc=(),
        bcc=bcc,
        reply_to=(),
        subject="",
        date=None,
        snippet="",
        attachments=0,
        inlines=0,
        tags=(),
        search_text=clean_search_text(" ".join([envelope.mail_from, *envelope.rcpt_tos])),
        warnings=(f"the message could not be read ({type(error).__name__}: {error})",),
    )
