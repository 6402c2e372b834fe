"""`Webhooks`: the change-hub subscriber that hands each new message's summary to every
webhook `Endpoint`, on the event loop (the hub may publish from the store's writer thread)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from mailsink.context import SinkContext
from mailsink.events import Change, ChangeKind
from mailsink.message.summary_json import summary_json
from mailsink.webhooks.endpoint import Endpoint


def start_webhooks(context: SinkContext) -> Webhooks | None:
    """Subscribe webhooks for `--webhook-url` (None when there is none). Call on the event loop
    the POSTs should run on; close what it returns."""
    config = context.config
    if not config.webhook_urls:
        return None
    webhooks = Webhooks([Endpoint(url, config.webhook_limit) for url in config.webhook_urls])
    webhooks.unsubscribe = context.hub.subscribe(webhooks.on_change)
    return webhooks


class Webhooks:
    def __init__(self, endpoints: list[Endpoint]) -> None:
        self.endpoints = endpoints
        self._loop = asyncio.get_running_loop()
        self.unsubscribe: Callable[[], None] = lambda: None

    def on_change(self, change: Change) -> None:
        """A `ChangeHub` subscriber: runs on the publishing thread, hands over to the loop."""
        if change.kind is ChangeKind.NEW and change.message is not None:
            summary = summary_json(change.message)
            self._loop.call_soon_threadsafe(self._offer, summary)

    def _offer(self, summary: dict[str, object]) -> None:
        for endpoint in self.endpoints:
            endpoint.offer(summary)

    async def close(self) -> None:
        self.unsubscribe()
        for endpoint in self.endpoints:
            await endpoint.close()
