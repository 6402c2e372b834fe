"""WebSocket `/api/events`: Mailpit's live events, `{"Type": …, "Data": …}` text frames.

Frames come from the change hub through a `Broadcaster` (mailsink/web/live/broadcast.py: one hub
subscription per app, each frame encoded once for all clients, slow clients dropped, foreign
Origins refused, protocol pings for keepalive). `stats` frames are debounced to at most one per
250 ms and sent to each client when it connects; their counts are read after the debounce, so
they include every change before it.

`/api/events?mailbox=NAME` streams the changes of one mailbox only (and the changes to every
mailbox: truncate, tag renames, SMTP errors), its `stats` counting that mailbox; each mailbox
streamed has its own `MailpitEvents`.
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from mailsink.context import SinkContext
from mailsink.events import Change, ChangeKind
from mailsink.mailboxes.names import is_mailbox_name
from mailsink.message.summary_json import summary_json
from mailsink.store.search import mailbox_query
from mailsink.version import __version__
from mailsink.web.live.broadcast import (
    Broadcaster,
    Listener,
    refuse_foreign_origin,
    serve_websocket,
)
from mailsink.web.request_context import sink_context
from mailsink.web.responses import go_json

log = logging.getLogger(__name__)

STATS_INTERVAL_SECONDS = 0.25
BULK_CHANGE_LIMIT = 200  # above this many IDs, one `prune` (the UI reloads) replaces per-ID frames

_COUNTS_CHANGE = frozenset(
    {ChangeKind.NEW, ChangeKind.UPDATE, ChangeKind.DELETE, ChangeKind.TRUNCATE, ChangeKind.PRUNE}
)


def encode_frame(event_type: str, data: Any) -> str:
    """A frame as Mailpit's Go server marshals it: compact JSON, HTML characters escaped."""
    return go_json({"Type": event_type, "Data": data})[:-1].decode()


def change_frames(change: Change) -> list[tuple[str, Any]]:
    """The (Type, Data) frames Mailpit sends for a change (docs/mailpit-api.md, WebSocket
    events)."""
    match change.kind:
        case ChangeKind.NEW if change.message is not None:
            return [("new", summary_json(change.message))]
        case ChangeKind.UPDATE if len(change.ids) > BULK_CHANGE_LIMIT:
            return [("prune", None)]
        case ChangeKind.UPDATE:
            frames: list[tuple[str, Any]] = []
            for message_id in change.ids:
                if change.read is not None:
                    frames.append(("update", {"ID": message_id, "Read": change.read}))
                if change.tags is not None:
                    frames.append(("update", {"ID": message_id, "Tags": list(change.tags)}))
            return frames
        case ChangeKind.DELETE if len(change.ids) > BULK_CHANGE_LIMIT:
            return [("prune", None)]
        case ChangeKind.DELETE:
            return [("delete", {"ID": message_id}) for message_id in change.ids]
        case ChangeKind.TRUNCATE:
            return [("truncate", None)]
        case ChangeKind.PRUNE:
            return [("prune", None)]
        case ChangeKind.ERROR if change.error is not None:
            incident = change.error
            return [
                (
                    "error",
                    {
                        "Level": incident.level,
                        "Type": incident.type,
                        "IP": incident.ip,
                        "Message": incident.message,
                    },
                )
            ]
    return []


class MailpitEvents(Broadcaster):
    """The `/api/events` stream of one mailbox (None: all): Mailpit's frames plus debounced
    `stats`."""

    def __init__(self, context: SinkContext, mailbox: str | None = None) -> None:
        super().__init__(context.hub, lambda change: mailpit_frames(change, mailbox))
        self._store = context.store
        self._mailbox = mailbox
        self._stats_timer: asyncio.TimerHandle | None = None
        self._last_stats = -math.inf

    def join(self) -> Listener:
        """A new client's listener; its own stats frame is on the way."""
        listener = super().join()
        self.spawn(self._send_stats([listener]))
        return listener

    def changed(self, change: Change) -> None:
        if (
            change.kind in _COUNTS_CHANGE
            and change.concerns(self._mailbox)
            and self._stats_timer is None
            and self.loop is not None
        ):
            delay = max(0.0, self._last_stats + STATS_INTERVAL_SECONDS - self.loop.time())
            self._stats_timer = self.loop.call_later(delay, self._stats_due)

    def idle(self) -> None:
        if self._stats_timer is not None:
            self._stats_timer.cancel()
            self._stats_timer = None

    def _stats_due(self) -> None:
        assert self.loop is not None
        self._stats_timer = None
        self._last_stats = self.loop.time()
        self.spawn(self._send_stats(None))

    async def _send_stats(self, listeners: list[Listener] | None) -> None:
        try:
            query = None if self._mailbox is None else mailbox_query(self._mailbox)
            counts = await asyncio.to_thread(self._store.count, query)
        except Exception:  # the store closed under us: the server is stopping
            log.debug("no stats frame: the store could not be counted", exc_info=True)
            return
        data = {"Total": counts.total, "Unread": counts.unread, "Version": __version__}
        self.broadcast(encode_frame("stats", data), listeners)


def mailpit_frames(change: Change, mailbox: str | None = None) -> list[str]:
    """The encoded frames of `change` for a stream of `mailbox` (None: of every mailbox)."""
    if not change.concerns(mailbox):
        return []
    return [encode_frame(event_type, data) for event_type, data in change_frames(change)]


def mailpit_events(websocket: WebSocket, mailbox: str | None = None) -> MailpitEvents:
    """The app's broadcaster for `mailbox`, made on first use (the app has no lifespan)."""
    state = websocket.app.state
    streams: dict[str | None, MailpitEvents] | None = getattr(state, "mailpit_events", None)
    if streams is None:
        streams = state.mailpit_events = {}
    events = streams.get(mailbox)
    if events is None:
        events = streams[mailbox] = MailpitEvents(sink_context(websocket), mailbox)
    return events


async def events_endpoint(websocket: WebSocket) -> None:
    if await refuse_foreign_origin(websocket, sink_context(websocket).config):
        return
    mailbox = websocket.query_params.get("mailbox", "").strip() or None
    if mailbox is not None and not is_mailbox_name(mailbox):
        await websocket.close(code=1008)  # before accept: HTTP 403
        return
    await websocket.accept()
    await serve_websocket(websocket, mailpit_events(websocket, mailbox))


routes: list[BaseRoute] = [WebSocketRoute("/api/events", events_endpoint)]
