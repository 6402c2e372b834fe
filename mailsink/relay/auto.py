"""`AutoRelay`: sends each new message on as it is stored, when relay-all or relay-matching is
set in the relay configuration.

A message filed in several mailboxes is stored once per mailbox (same envelope, same arrival
time): it is relayed once, for its first copy.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from mailsink.context import SinkContext
from mailsink.events import Change, ChangeKind
from mailsink.relay.client import Relay
from mailsink.relay.config import RelayError
from mailsink.store.base import Store, StoredMessage

log = logging.getLogger(__name__)

# Arrivals remembered to tell a further copy from a new message; copies are stored together.
REMEMBERED_ARRIVALS = 1024
Arrival = tuple[datetime, str, str, tuple[str, ...], int]


def start_relay(context: SinkContext) -> AutoRelay | None:
    """Put the `--smtp-relay-config` relay on the context (for releases), and return an
    `AutoRelay` subscribed to new mail when the file asks for one (relay-all or
    relay-matching). Call on the event loop the relays should run on; close what it returns."""
    if context.config.smtp_relay_config is None:
        return None
    relay = context.relay = Relay.from_file(context.config.smtp_relay_config)
    if not (relay.config.relay_all or relay.config.relay_matching):
        return None
    auto_relay = AutoRelay(relay, context.store, asyncio.get_running_loop())
    auto_relay.unsubscribe = context.hub.subscribe(auto_relay.on_change)
    return auto_relay


class AutoRelay:
    """Relays each new message to its chosen recipients in the background (relay-all or
    relay-matching). Failures are logged; the message stays stored either way."""

    def __init__(self, relay: Relay, store: Store, loop: asyncio.AbstractEventLoop) -> None:
        self._relay = relay
        self._store = store
        self._loop = loop
        self._tasks: set[asyncio.Task[None]] = set()
        self._arrivals: OrderedDict[Arrival, None] = OrderedDict()  # of messages seen
        self.unsubscribe: Callable[[], None] = lambda: None

    def on_change(self, change: Change) -> None:
        """A `ChangeHub` subscriber: runs on the publishing thread, hands over to the loop."""
        if change.kind is ChangeKind.NEW and change.message is not None:
            self._loop.call_soon_threadsafe(self._start, change.message)

    def _start(self, message: StoredMessage) -> None:
        envelope = message.envelope
        arrival = (
            envelope.received,
            envelope.peer,
            envelope.mail_from,
            tuple(envelope.rcpt_tos),
            message.size,
        )
        if arrival in self._arrivals:  # another mailbox's copy of a message relayed already
            return
        self._arrivals[arrival] = None
        if len(self._arrivals) > REMEMBERED_ARRIVALS:
            self._arrivals.popitem(last=False)
        recipients = self._relay.auto_relay_recipients(message.envelope.rcpt_tos)
        if recipients:
            task = self._loop.create_task(self._forward(message, recipients))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _forward(self, message: StoredMessage, recipients: list[str]) -> None:
        raw = await asyncio.to_thread(self._store.raw, message.id)
        if raw is None:
            return
        try:
            await self._relay.send(raw, recipients, message.envelope.mail_from)
        except RelayError as error:
            log.error("auto-relay of %s via %s failed: %s", message.id, self._relay.server, error)
        else:
            log.info(
                "auto-relayed %s to %s via %s",
                message.id,
                ", ".join(recipients),
                self._relay.server,
            )

    async def close(self) -> None:
        """Stop relaying new mail; wait for relays in progress (each bounded by the SMTP
        client's timeout)."""
        self.unsubscribe()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
