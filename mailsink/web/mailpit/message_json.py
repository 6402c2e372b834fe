"""Mailpit's `Message` JSON (docs/mailpit-api.md, Message) from a stored message and its parsed
MIME tree.

Addresses, subject and Message-ID come from the summary made at ingest (so the list and the
message agree); bodies, attachments and List-Unsubscribe from `parse_message`, run only here.
After Mailpit's keys: `Read` (always true, the PyPI client requires it), then our additions
`Seq`, `Warnings` (ingest's standards warnings and the MIME parser's) and `Envelope`.
"""

from __future__ import annotations

import hashlib

from mailsink.message.envelope import Envelope
from mailsink.message.go_time import go_time, go_time_ms_local
from mailsink.message.mime import MimePart, ParsedMessage, parse_message
from mailsink.message.summary import message_warnings
from mailsink.message.summary_json import JSONObject, address_json, addresses_json
from mailsink.store.base import Store, StoredMessage


def load_parsed(store: Store, message_id: str) -> ParsedMessage | None:
    """The parsed message, or None when it is gone (deleted since it was looked up)."""
    raw = store.raw(message_id)
    return None if raw is None else parse_message(raw)


def envelope_json(envelope: Envelope) -> JSONObject:
    """Our `Envelope` addition (docs/interface.md, Our additions): what the SMTP client really
    asked for."""
    tls = None
    if envelope.tls is not None:
        tls = {"Version": envelope.tls, "Cipher": envelope.tls_cipher or ""}
    return {
        "MailFrom": envelope.mail_from,
        "MailFromParams": dict(envelope.mail_from_params),
        "RcptTo": [{"Address": r.address, "Params": dict(r.params)} for r in envelope.recipients],
        "Helo": envelope.helo,
        "RemoteAddr": envelope.peer,
        "Username": envelope.auth_user or "",
        "TLS": tls,
        "Received": go_time(envelope.received),
        "Mailbox": envelope.mailbox,
    }


def attachment_json(part: MimePart) -> JSONObject:
    data = part.data
    return {
        "PartID": part.part_id,
        "FileName": part.filename or part.content_id,
        "ContentType": part.content_type,
        "ContentID": part.content_id,
        "Size": len(data),
        "Checksums": {
            "MD5": hashlib.md5(data).hexdigest(),
            "SHA1": hashlib.sha1(data).hexdigest(),
            "SHA256": hashlib.sha256(data).hexdigest(),
        },
    }


def return_path(stored: StoredMessage, parsed: ParsedMessage) -> str:
    """The Return-Path header; else MAIL FROM (which Mailpit writes into that header); else
    the From address."""
    header = (parsed.headers.get("Return-Path") or "").strip().strip("<>").strip()
    if header:
        return header
    if stored.envelope.mail_from:
        return stored.envelope.mail_from
    sender = stored.summary.from_
    return sender.address if sender else ""


def message_json(stored: StoredMessage, parsed: ParsedMessage) -> JSONObject:
    summary = stored.summary
    unsubscribe = parsed.list_unsubscribe
    date = summary.date
    return {
        "ID": stored.id,
        "MessageID": summary.message_id,
        "Read": True,
        "From": None if summary.from_ is None else address_json(summary.from_),
        "To": addresses_json(summary.to),
        "Cc": addresses_json(summary.cc),
        "Bcc": addresses_json(summary.bcc),
        "ReplyTo": addresses_json(summary.reply_to),
        "ReturnPath": return_path(stored, parsed),
        "Subject": summary.subject,
        "ListUnsubscribe": {
            "Header": unsubscribe.header,
            "Links": list(unsubscribe.links),
            "Errors": unsubscribe.errors,
            "HeaderPost": unsubscribe.header_post,
        },
        "Date": go_time(date) if date is not None else go_time_ms_local(stored.received),
        "Tags": list(stored.tags),
        "Username": stored.envelope.auth_user or "",
        "Text": parsed.text,
        "HTML": parsed.html,
        "Size": stored.size,
        "Inline": [attachment_json(part) for part in parsed.shown_inlines],
        "Attachments": [attachment_json(part) for part in parsed.shown_attachments],
        "Seq": stored.seq,
        "Warnings": message_warnings(summary, parsed),
        "Envelope": envelope_json(stored.envelope),
    }
