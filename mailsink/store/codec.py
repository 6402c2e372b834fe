"""Envelope and summary as JSON text, for stores that persist them (the SQLite store).

The round trip is exact: `summary_from_json(summary_to_json(s), s.search_text) == s`, datetimes
keep their offsets, and a field added later to either dataclass with a default decodes from old
rows. The search text is left out of the JSON: the store keeps it once, in its text index.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mailsink.message.address import Address
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.summary import MessageSummary


def envelope_to_json(envelope: Envelope) -> str:
    return _dumps(
        {
            "mail_from": envelope.mail_from,
            "recipients": [[r.address, r.params] for r in envelope.recipients],
            "received": envelope.received.isoformat(),
            "mail_from_params": envelope.mail_from_params,
            "helo": envelope.helo,
            "peer": envelope.peer,
            "auth_user": envelope.auth_user,
            "tls": envelope.tls,
            "tls_cipher": envelope.tls_cipher,
            "mailbox": envelope.mailbox,
        }
    )


def envelope_from_json(text: str) -> Envelope:
    data = json.loads(text)
    data["recipients"] = tuple(Recipient(address, params) for address, params in data["recipients"])
    data["received"] = datetime.fromisoformat(data["received"])
    return Envelope(**data)


def summary_to_json(summary: MessageSummary) -> str:
    return _dumps(
        {
            "message_id": summary.message_id,
            "from_": None if summary.from_ is None else _address(summary.from_),
            "to": [_address(a) for a in summary.to],
            "cc": [_address(a) for a in summary.cc],
            "bcc": [_address(a) for a in summary.bcc],
            "reply_to": [_address(a) for a in summary.reply_to],
            "subject": summary.subject,
            "date": None if summary.date is None else summary.date.isoformat(),
            "snippet": summary.snippet,
            "attachments": summary.attachments,
            "inlines": summary.inlines,
            "tags": list(summary.tags),
            "warnings": list(summary.warnings),
        }
    )


def summary_from_json(text: str, search_text: str) -> MessageSummary:
    data = json.loads(text)
    data["search_text"] = search_text
    if data["from_"] is not None:
        data["from_"] = Address(*data["from_"])
    for field in ("to", "cc", "bcc", "reply_to"):
        data[field] = tuple(Address(name, address) for name, address in data[field])
    if data["date"] is not None:
        data["date"] = datetime.fromisoformat(data["date"])
    data["tags"] = tuple(data["tags"])
    data["warnings"] = tuple(data["warnings"])
    return MessageSummary(**data)


def _address(address: Address) -> list[str]:
    return [address.name, address.address]


def _dumps(data: dict[str, Any]) -> str:
    # ASCII escapes keep lone surrogates (from undecodable headers) storable and exact.
    return json.dumps(data, separators=(",", ":"))
