"""WebSocket `/api/events`: Mailpit's live events, `{"Type": …, "Data": …}` text frames.

One `EventBroadcaster` per app subscribes to the change hub while at least one client is
connected. The hub calls it on the publishing thread; it hands each change to the event loop,
turns it into frames there, encodes each frame's JSON once and queues the same text to every
client. A client whose queue is full (it does not read as fast as mail arrives) is dropped with
close code 1013, so a stalled browser tab never slows ingest or the other clients. `stats`
frames are debounced to at most one per 250 ms and sent to each client when it connects.

Keepalive pings are the WebSocket protocol's own, sent by uvicorn every 20 s (its
`ws_ping_interval`); a client that stops answering them is disconnected.

A browser sends `Origin`; an upgrade whose Origin is not this server (nor a `--api-cors`
origin) is refused with 403, so another web page cannot read the user's mail through it
(cross-site WebSocket hijacking). Non-browser clients send no Origin and are accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from mailsink import __version__
from mailsink.config import Config
from mailsink.context import SinkContext
from mailsink.events import Change, ChangeKind
from mailsink.web.json_shapes import summary_json
from mailsink.web.request_context import sink_context
from mailsink.web.responses import go_json

log = logging.getLogger(__name__)

FRAME_QUEUE_SIZE = 1000  # frames a client may lag behind before it is dropped
STATS_INTERVAL_SECONDS = 0.25
BULK_CHANGE_LIMIT = 200  # above this many IDs, one `prune` (the UI reloads) replaces per-ID frames
CLOSE_TIMEOUT_SECONDS = 1.0
TRY_AGAIN_LATER = 1013  # WebSocket close code for a dropped slow consumer

_COUNTS_CHANGE = frozenset(
    {ChangeKind.NEW, ChangeKind.UPDATE, ChangeKind.DELETE, ChangeKind.TRUNCATE, ChangeKind.PRUNE}
)


def encode_frame(event_type: str, data: Any) -> str:
    """A frame as Mailpit's Go server marshals it: compact JSON, HTML characters escaped."""
    return go_json({"Type": event_type, "Data": data})[:-1].decode()


def change_frames(change: Change) -> list[tuple[str, Any]]:
    """The (Type, Data) frames Mailpit sends for a change (reference §6)."""
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


class Listener:
    """One connected client: the frames waiting to be sent, and the task sending them."""

    __slots__ = ("dropped", "queue", "sender")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(FRAME_QUEUE_SIZE)
        self.sender: asyncio.Task[None] | None = None
        self.dropped = False


class EventBroadcaster:
    """Fan-out of change frames to the connected clients of one app (on its event loop)."""

    def __init__(self, context: SinkContext) -> None:
        self._context = context
        self._listeners: set[Listener] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_listening: Callable[[], None] | None = None
        self._stats_timer: asyncio.TimerHandle | None = None
        self._last_stats = -math.inf
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def join(self) -> Listener:
        """A new client's listener; the stats frame is on its way to it."""
        listener = Listener()
        if not self._listeners:
            self._loop = asyncio.get_running_loop()
            self._stop_listening = self._context.hub.subscribe(self._on_change)
        self._listeners.add(listener)
        self._spawn(self._send_stats([listener]))
        return listener

    def leave(self, listener: Listener) -> None:
        self._listeners.discard(listener)
        if not self._listeners and self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
            if self._stats_timer is not None:
                self._stats_timer.cancel()
                self._stats_timer = None

    def _on_change(self, change: Change) -> None:
        """Runs on the publishing thread: hand over, nothing else."""
        loop = self._loop
        if loop is not None:
            # A closed loop means the server is stopping: nobody is left to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._dispatch, change)

    def _dispatch(self, change: Change) -> None:
        for event_type, data in change_frames(change):
            self._broadcast(encode_frame(event_type, data), self._listeners)
        if change.kind in _COUNTS_CHANGE:
            self._schedule_stats()

    def _broadcast(self, frame: str, listeners: Iterable[Listener]) -> None:
        for listener in list(listeners):
            try:
                listener.queue.put_nowait(frame)
            except asyncio.QueueFull:
                self._drop(listener)

    def _drop(self, listener: Listener) -> None:
        log.warning("dropped a WebSocket client %d events behind", listener.queue.qsize())
        listener.dropped = True
        self.leave(listener)
        if listener.sender is not None:
            listener.sender.cancel()

    def _schedule_stats(self) -> None:
        if self._stats_timer is not None or self._loop is None:
            return
        delay = max(0.0, self._last_stats + STATS_INTERVAL_SECONDS - self._loop.time())
        self._stats_timer = self._loop.call_later(delay, self._stats_due)

    def _stats_due(self) -> None:
        """The counts are read after this point, so every change before it is in them; a
        later change schedules the next stats frame."""
        assert self._loop is not None
        self._stats_timer = None
        self._last_stats = self._loop.time()
        self._spawn(self._send_stats(self._listeners))

    async def _send_stats(self, listeners: Iterable[Listener]) -> None:
        try:
            counts = await asyncio.to_thread(self._context.store.count)
        except Exception:  # the store closed under us: the server is stopping
            log.debug("no stats frame: the store could not be counted", exc_info=True)
            return
        data = {"Total": counts.total, "Unread": counts.unread, "Version": __version__}
        self._broadcast(encode_frame("stats", data), [x for x in listeners if not x.dropped])

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def event_broadcaster(websocket: WebSocket) -> EventBroadcaster:
    """The app's broadcaster, made on first use (the app has no lifespan to make it)."""
    state = websocket.app.state
    broadcaster: EventBroadcaster | None = getattr(state, "event_broadcaster", None)
    if broadcaster is None:
        broadcaster = state.event_broadcaster = EventBroadcaster(sink_context(websocket))
    return broadcaster


def origin_allowed(headers: Headers, scheme: str, config: Config) -> bool:
    """Whether a WebSocket upgrade may proceed: no Origin (not a browser), an Origin equal to
    this server's own scheme-less authority as the Host header names it, or a configured CORS
    origin."""
    origin = headers.get("origin")
    if origin is None:
        return True
    if "*" in config.api_cors or origin.rstrip("/") in {o.rstrip("/") for o in config.api_cors}:
        return True
    host = headers.get("host")
    if host is None:
        return False
    try:
        page = urlsplit(origin)
        server = urlsplit(f"{scheme}://{host}")
        page_port = page.port or _DEFAULT_PORTS.get(page.scheme)
        server_port = server.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:  # a malformed port or address
        return False
    return (
        page.hostname is not None
        and page.hostname == server.hostname
        and page_port is not None
        and page_port == server_port
    )


_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


async def events_endpoint(websocket: WebSocket) -> None:
    context = sink_context(websocket)
    if not origin_allowed(websocket.headers, websocket.url.scheme, context.config):
        await websocket.close(code=1008)  # before accept, the server answers HTTP 403
        return
    await websocket.accept()
    await serve_frames(websocket, event_broadcaster(websocket))


async def serve_frames(websocket: WebSocket, broadcaster: EventBroadcaster) -> None:
    """Send the broadcaster's frames until the client leaves or is dropped for lagging."""
    listener = broadcaster.join()
    sender = listener.sender = asyncio.create_task(_send_frames(websocket, listener.queue))
    reader = asyncio.create_task(_discard_incoming(websocket))
    try:
        await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        broadcaster.leave(listener)
        for task in (sender, reader):
            task.cancel()
        await asyncio.gather(sender, reader, return_exceptions=True)
    if listener.dropped:
        # The close frame may itself wait behind a full socket buffer: give up on it quickly.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await websocket.close(TRY_AGAIN_LATER, "too slow: the event queue overflowed")


async def _send_frames(websocket: WebSocket, queue: asyncio.Queue[str]) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.send_text(await queue.get())


async def _discard_incoming(websocket: WebSocket) -> None:
    """Mailpit ignores what clients send; reading is how a disconnect is noticed."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


routes: list[BaseRoute] = [WebSocketRoute("/api/events", events_endpoint)]
