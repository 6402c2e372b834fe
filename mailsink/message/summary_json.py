"""A message summary as Mailpit's JSON shows it (its `MessageSummary`), keys in Mailpit's order.

Clients compare field names and sometimes field order, so the object is built here, once, and
shared by every face that sends it: the HTTP API's lists, the WebSocket's `new` event, the wait
endpoint and webhooks. Our additions `Seq` and `Mailbox` come after Mailpit's keys; extra keys are
harmless to Mailpit's clients.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mailsink.message.address import Address
from mailsink.message.go_time import go_time_ms_local

if TYPE_CHECKING:
    from mailsink.store.base import StoredMessage

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
