"""Ingest: the one path from received bytes to a stored, indexed, announced message.

SMTP sessions and `POST /api/v1/send` both go through `Ingest.deliver`, so both get the same
summary, tags, warnings, store commit and NEW event.

Small messages that finish close together are stored together by `Store.add_now`: one commit
for all of them, made on the loop itself when the store's writer is idle. The first of them
waits until a loop iteration brings no more (three at most, each well under a millisecond), so
that sessions whose data is already in the socket buffers join the commit: under load this
doubles the messages per commit. Large messages (and a busy writer) go through `Store.add`.
"""

from __future__ import annotations

import asyncio

from mailsink.message.envelope import Envelope
from mailsink.message.ids import new_message_id
from mailsink.message.summary import summarize
from mailsink.stats import RuntimeStats
from mailsink.store.base import NewMessage, Store, StoredMessage

# Summaries of messages above this size are parsed in a worker thread, so that a large or
# hostile message never stalls the other SMTP sessions on the event loop; nor are they stored
# on the loop.
PARSE_IN_THREAD_ABOVE = 64 * 1024
# A turn's messages wait at most this many more loop iterations for others to join them.
SETTLE_ITERATIONS = 3


class Ingest:
    def __init__(self, store: Store, stats: RuntimeStats) -> None:
        self.store = store
        self.stats = stats
        self._turn: list[tuple[NewMessage, asyncio.Future[StoredMessage | None]]] = []

    async def deliver(self, envelope: Envelope, raw: bytes) -> StoredMessage:
        """Store `raw` exactly; returns once the message is durable, indexed and announced."""
        if len(raw) > PARSE_IN_THREAD_ABOVE:
            summary = await asyncio.to_thread(summarize, raw, envelope)
            message = NewMessage(new_message_id(), raw, envelope, summary)
            stored = await asyncio.wrap_future(self.store.add(message))
        else:
            message = NewMessage(new_message_id(), raw, envelope, summarize(raw, envelope))
            stored = await self._store_with_others(message)
            if stored is None:
                stored = await asyncio.wrap_future(self.store.add(message))
        self.stats.smtp_accepted += 1
        self.stats.smtp_accepted_size += len(raw)
        return stored

    def _store_with_others(self, message: NewMessage) -> asyncio.Future[StoredMessage | None]:
        """`message` stored with the others that finish in this loop iteration or the next
        few; None when the store could not take them at once (then none of them is stored)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoredMessage | None] = loop.create_future()
        if not self._turn:
            loop.call_soon(self._store_when_settled, loop, 0, 0)
        self._turn.append((message, future))
        return future

    def _store_when_settled(self, loop: asyncio.AbstractEventLoop, seen: int, waited: int) -> None:
        """Store the turn's messages once a loop iteration brought no more (or after
        `SETTLE_ITERATIONS`): other sessions' data that arrived meanwhile joins the commit."""
        if len(self._turn) > seen and waited < SETTLE_ITERATIONS:
            loop.call_soon(self._store_when_settled, loop, len(self._turn), waited + 1)
            return
        turn, self._turn = self._turn, []
        try:
            stored = self.store.add_now([message for message, _ in turn])
        except Exception as error:  # a closed store: every waiting session hears of it
            for _, future in turn:
                if not future.cancelled():
                    future.set_exception(error)
            return
        for index, (_, future) in enumerate(turn):
            if not future.cancelled():
                future.set_result(None if stored is None else stored[index])
