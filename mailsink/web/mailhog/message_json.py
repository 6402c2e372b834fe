"""MailHog's JSON message (`mailhog/data/message.go`), rendered from a stored message's bytes.

MailHog's clients read `Content.Headers`, `Content.Body` and `MIME.Parts[]` as MailHog's Go code
cuts them out of the DATA: nothing decoded, bodies as on the wire (base64, quoted-printable),
header keys spelled as in the message, a repeated header keeping its last value only, folded
values joined without their line breaks. The parts come from `mailsink.message.mime`'s tree;
unlike MailHog, a preamble or the closing `--` is not shown as a part of its own (clients skip
those header-less parts anyway). See docs/mailhog-api.md, JSON shapes.

    {"ID": …, "From": Path, "To": [Path], "Content": Content, "Created": …, "MIME": …, "Raw": …}
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from mailsink.message.envelope import Envelope
from mailsink.message.go_time import go_time
from mailsink.message.headers import HeaderMap
from mailsink.message.mime import MimePart, parse_message
from mailsink.store.base import StoredMessage

JSONObject = dict[str, Any]

CRLF = b"\r\n"
_LINE_BREAK = re.compile(r"\r?\n")


def _text(data: bytes) -> str:
    """Go strings are bytes; `json.Marshal` replaces invalid UTF-8 with U+FFFD, as this does."""
    return data.decode("utf-8", errors="replace")


def path_json(address: str) -> JSONObject:
    """A MailHog `Path` from a MAIL FROM / RCPT TO address (source routes in `Relays`)."""
    relays = None
    if address.startswith("@") and ":" in address:
        route, _, address = address.partition(":")
        relays = route.split(",")
    mailbox, _, domain = address.partition("@")
    return {"Relays": relays, "Mailbox": mailbox, "Domain": domain, "Params": ""}


def mailhog_headers(headers: HeaderMap) -> dict[str, list[str]]:
    """`{name: [value]}`: the last of a repeated name wins, as in MailHog (`TODO multiple
    header fields`), and a folded value is joined without its line breaks."""
    return {name: [_LINE_BREAK.sub("", raw)] for name, raw in headers.raw_items()}


def content_json(part: MimePart) -> JSONObject:
    """A MailHog `Content` of a MIME part; a multipart part carries its parts in `MIME`."""
    return {
        "Headers": mailhog_headers(part.headers),
        "Body": _text(part.body),
        "Size": len(part.raw),
        "MIME": mime_json(part),
    }


def mime_json(part: MimePart) -> JSONObject | None:
    """`{"Parts": [...]}` for a multipart part, else None."""
    if not part.is_multipart:
        return None
    return {"Parts": [content_json(child) for child in part.children]}


def smtp_data(raw: bytes) -> bytes:
    """The DATA as MailHog keeps it: lines re-joined, so without the final CRLF."""
    return raw.removesuffix(CRLF)


def received_line(envelope: Envelope, message_id: str, hostname: str) -> str:
    when = format_datetime(envelope.received.astimezone())
    return f"from {envelope.helo} by {hostname} (mailsink)\r\n          id {message_id}; {when}"


def message_json(stored: StoredMessage, raw: bytes, hostname: str) -> JSONObject:
    """A MailHog `Message`; keys in MailHog's order. From/To are the SMTP envelope."""
    envelope = stored.envelope
    data = smtp_data(raw)
    root = parse_message(data).root
    headers = mailhog_headers(root.headers)
    if not any(key.lower() == "message-id" for key in headers):
        headers["Message-ID"] = [stored.id]
    headers.setdefault("Received", []).append(received_line(envelope, stored.id, hostname))
    headers.setdefault("Return-Path", []).append(f"<{envelope.mail_from}>")
    return {
        "ID": stored.id,
        "From": path_json(envelope.mail_from),
        "To": [path_json(address) for address in envelope.rcpt_tos],
        # The top-level Content's MIME is always null: the tree is in the message's MIME.
        "Content": {"Headers": headers, "Body": _text(root.body), "Size": len(data), "MIME": None},
        "Created": created(envelope.received),
        "MIME": mime_json(root),
        "Raw": {
            "From": envelope.mail_from,
            "To": envelope.rcpt_tos,
            "Data": _text(data),
            "Helo": envelope.helo,
        },
    }


def created(received: datetime) -> str:
    """MailHog's `Created`: RFC 3339 in the server's local zone."""
    return go_time(received.astimezone())


def messages_json(total: int, start: int, items: list[JSONObject]) -> JSONObject:
    """The v2 list envelope: `total` is the mailbox size (or the match count for search)."""
    return {"total": total, "count": len(items), "start": start, "items": items}
