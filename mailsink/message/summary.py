"""What ingest extracts from a message: everything listing, search and events need.

Only headers and the text used for search are parsed here (CONTRACT §2: ingest parses only what
listing and search need); the full MIME tree is parsed on demand by `mailsink.message.mime`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailsink.message.address import Address


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
    snippet: str  # Mailpit's snippet: collapsed text of the HTML (else text) part, 200 bytes + "..."
    attachments: int  # count of attachment parts
    inlines: int  # count of inline parts (Content-ID images in multipart/related, …)
    tags: tuple[str, ...]  # tags the message asks for: X-Tags header, plus-addressing
    search_text: str  # cleaned, lower-cased text that bare search words match (Mailpit §5)
    warnings: tuple[str, ...]  # standards warnings (CONTRACT §2)
