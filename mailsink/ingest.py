"""Ingest: the one path from received bytes to a stored, indexed, announced message.

SMTP sessions and `POST /api/v1/send` both go through `Ingest.deliver`, so both get the same
summary, tags, warnings, store commit and NEW event.
"""

from __future__ import annotations

import asyncio

from mailsink.message.envelope import Envelope
from mailsink.message.ids import new_message_id
from mailsink.message.summary import summarize
from mailsink.stats import RuntimeStats
from mailsink.store.base import NewMessage, Store, StoredMessage

# Summaries of messages above this size are parsed in a worker thread, so that a large or
# hostile message never stalls the other SMTP sessions on the event loop.
PARSE_IN_THREAD_ABOVE = 64 * 1024


class Ingest:
    def __init__(self, store: Store, stats: RuntimeStats) -> None:
        self.store = store
        self.stats = stats

    async def deliver(self, envelope: Envelope, raw: bytes) -> StoredMessage:
        """Store `raw` exactly; returns once the message is durable, indexed and announced."""
        if len(raw) > PARSE_IN_THREAD_ABOVE:
            summary = await asyncio.to_thread(summarize, raw, envelope)
        else:
            summary = summarize(raw, envelope)
        pending = self.store.add(NewMessage(new_message_id(), raw, envelope, summary))
        stored = await asyncio.wrap_future(pending)
        self.stats.smtp_accepted += 1
        self.stats.smtp_accepted_size += len(raw)
        return stored
