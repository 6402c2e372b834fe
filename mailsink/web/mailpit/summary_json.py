"""Mailpit's JSON objects (docs/mailpit-api.md, JSON objects), built from our model, keys in
Mailpit's order.

Clients compare field names and sometimes field order, so every object is built here, once, and
shared by the API, the WebSocket and the wait endpoint. Our additions (`Seq`, `Warnings`,
`Envelope`) come after Mailpit's keys; extra keys are harmless to Mailpit's clients.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mailsink.message.address import Address
from mailsink.message.envelope import Envelope
from mailsink.store.base import MailboxCounts, StoredMessage
from mailsink.web.responses import go_time, go_time_ms_local

JSONObject = dict[str, Any]


def address_json(address: Address | None) -> JSONObject:
    """An `Address`; a missing one is the empty Address, as Mailpit lists it."""
    if address is None:
        return {"Name": "", "Address": ""}
    return {"Name": address.name, "Address": address.address}


def addresses_json(addresses: Iterable[Address]) -> list[JSONObject]:
    return [address_json(a) for a in addresses]


def summary_json(stored: StoredMessage) -> JSONObject:
    """A `MessageSummary` (list, search, WebSocket `new`, wait); arrays are never null."""
    summary = stored.summary
    return {
        "ID": stored.id,
        "MessageID": summary.message_id,
        "Read": stored.read,
        "From": address_json(summary.from_),
        "To": addresses_json(summary.to),
        "Cc": addresses_json(summary.cc),
        "Bcc": addresses_json(summary.bcc),
        "ReplyTo": addresses_json(summary.reply_to),
        "Subject": summary.subject,
        "Created": go_time_ms_local(stored.received),
        "Username": stored.envelope.auth_user or "",
        "Tags": list(stored.tags),
        "Size": stored.size,
        "Attachments": summary.attachments,
        "Snippet": summary.snippet,
        "Seq": stored.seq,
        "Mailbox": stored.envelope.mailbox,
    }


def messages_list_json(
    mailbox: MailboxCounts,
    matched: MailboxCounts,
    start: int,
    tags: Iterable[str],
    messages: list[StoredMessage],
) -> JSONObject:
    """The list envelope of `GET /api/v1/messages` and `/search`, with the legacy `count`."""
    return {
        "total": mailbox.total,
        "unread": mailbox.unread,
        "count": len(messages),
        "messages_count": matched.total,
        "messages_unread": matched.unread,
        "start": start,
        "tags": list(tags),
        "messages": [summary_json(m) for m in messages],
    }


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
