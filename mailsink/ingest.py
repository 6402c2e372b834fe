"""Ingest: the one path from received bytes to a stored, indexed, announced message.

SMTP sessions and `POST /api/v1/send` both go through `Ingest.deliver`, so both get the same
summary, tags, warnings, store commit and NEW event.

Small messages that finish close together are stored together by `Store.add_now`: one commit
for all of them, made on the loop itself when the store's writer is idle. The commit waits
while SMTP input keeps arriving (`input_arrived`), for at most `SETTLE_ITERATIONS` loop
iterations: the loop is busy with other sessions then anyway, and their messages join the
commit; once an iteration brings no input, the loop would go idle, and the commit is made.
Under a steady load this puts several times more messages in each commit than committing at the
end of the loop iteration, and a commit costs about the same for one message as for several.
Large messages (and a busy writer) go through `Store.add`.

The `MailboxRouter` says which mailboxes a message is filed in; a message filed in several is
stored once per mailbox (same bytes, same summary, its own ID), so that each mailbox can be
read, marked and deleted on its own.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from mailsink.mailboxes.router import MailboxRouter
from mailsink.message.envelope import Envelope
from mailsink.message.ids import new_message_id
from mailsink.message.spool import MessageBytes, SpoolFile
from mailsink.message.summary import MessageSummary, summarize
from mailsink.stats import RuntimeStats
from mailsink.store.base import NewMessage, Store, StoredMessage

if TYPE_CHECKING:
    from mailsink.context import ListenAddress

# Summaries of messages above this size are parsed in a worker thread, so that a large or
# hostile message never stalls the other SMTP sessions on the event loop; nor are they stored
# on the loop.
PARSE_IN_THREAD_ABOVE = 64 * 1024
# Messages waiting for a commit wait at most this many loop iterations for others to join.
SETTLE_ITERATIONS = 8


class Ingest:
    def __init__(
        self, store: Store, stats: RuntimeStats, router: MailboxRouter | None = None
    ) -> None:
        self.store = store
        self.stats = stats
        self.router = router or MailboxRouter()
        self._waiting: list[tuple[NewMessage, asyncio.Future[StoredMessage | None]]] = []
        self._inputs = 0  # SMTP reads so far, to tell a busy loop iteration from a quiet one

    def input_arrived(self) -> None:
        """Called by SMTP sessions for every read: while reads keep coming, the next commit
        waits for the messages they may complete."""
        self._inputs += 1

    async def deliver(
        self,
        envelope: Envelope,
        raw: MessageBytes,
        listener: ListenAddress | None = None,
        *,
        mailbox: str | None = None,
        spooled: SpoolFile | None = None,
    ) -> StoredMessage:
        """Store `raw` exactly, in `mailbox` or else in each mailbox the router names for it
        (`listener`: where it came in, for rules on it); returns once every copy is durable,
        indexed and announced. The first copy is returned (its ID is the one the client
        hears). `spooled`: the file `raw` is mapped from, which the store may adopt."""
        mailboxes = (mailbox,) if mailbox else self.router.route(envelope, raw, listener)
        started = time.perf_counter()
        if len(raw) > PARSE_IN_THREAD_ABOVE:
            summary = await asyncio.to_thread(summarize, raw, envelope)
            messages = _copies(raw, envelope, summary, mailboxes, spooled)
            stored = await asyncio.gather(
                *(asyncio.wrap_future(self.store.add(message)) for message in messages)
            )
        else:
            messages = _copies(raw, envelope, summarize(raw, envelope), mailboxes, spooled)
            if len(messages) == 1:  # the usual case, without gather's tasks
                stored = [await self._store_one(messages[0])]
            else:
                stored = await asyncio.gather(*(self._store_one(m) for m in messages))
        self.stats.smtp_accepted += 1
        self.stats.smtp_accepted_size += len(raw)
        self.stats.ingest_latency.observe(time.perf_counter() - started)
        return stored[0]

    async def _store_one(self, message: NewMessage) -> StoredMessage:
        stored = await self._store_with_others(message)
        if stored is None:
            stored = await asyncio.wrap_future(self.store.add(message))
        return stored

    def _store_with_others(self, message: NewMessage) -> asyncio.Future[StoredMessage | None]:
        """`message` stored with the others that finish while SMTP input keeps arriving; None
        when the store could not take them at once (then none of them is stored)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoredMessage | None] = loop.create_future()
        if not self._waiting:  # -1: no count of reads matches, so it waits one iteration at least
            loop.call_soon(self._store_when_settled, loop, -1, 0)
        self._waiting.append((message, future))
        return future

    def _store_when_settled(
        self, loop: asyncio.AbstractEventLoop, inputs: int, waited: int
    ) -> None:
        """Store the waiting messages once a loop iteration brought no SMTP input (or after
        `SETTLE_ITERATIONS`)."""
        if self._inputs != inputs and waited < SETTLE_ITERATIONS:
            loop.call_soon(self._store_when_settled, loop, self._inputs, waited + 1)
            return
        waiting, self._waiting = self._waiting, []
        try:
            stored = self.store.add_now([message for message, _ in waiting])
        except Exception as error:  # a closed store: every waiting session hears of it
            for _, future in waiting:
                if not future.cancelled():
                    future.set_exception(error)
            return
        for index, (_, future) in enumerate(waiting):
            if not future.cancelled():
                future.set_result(None if stored is None else stored[index])


def _copies(
    raw: MessageBytes,
    envelope: Envelope,
    summary: MessageSummary,
    mailboxes: tuple[str, ...],
    spooled: SpoolFile | None,
) -> list[NewMessage]:
    """One message to store per mailbox, each with its own ID and its mailbox in the envelope."""
    return [
        NewMessage(
            new_message_id(),
            raw,
            envelope if envelope.mailbox == mailbox else replace(envelope, mailbox=mailbox),
            summary,
            None if spooled is None else spooled.path,
        )
        for mailbox in mailboxes
    ]
