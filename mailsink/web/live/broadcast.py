"""Fan-out of change events to streaming clients (WebSockets, Server-Sent Events).

A `Broadcaster` subscribes to the change hub while at least one client is connected. The hub
calls it on the publishing thread; it hands the change to the event loop, renders it there
into frames (or in a worker thread, in order, when rendering reads the store), and queues each
frame's one encoded text to every client. A client whose queue is full (it does not read as
fast as mail arrives) is dropped, so a stalled browser tab never slows ingest or the others.

A browser sends `Origin`; `origin_allowed` (mailsink.web.security.cross_origin) refuses an
upgrade whose Origin is not this server (nor a `--api-cors` origin), so another web page cannot
read the user's mail through it (cross-site WebSocket hijacking).
Keepalive pings are the WebSocket protocol's own, sent by uvicorn every 20 s
(`ws_ping_interval`); a client that stops answering them is disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from mailsink.config import Config
from mailsink.events import Change, ChangeHub
from mailsink.web.request_context import sink_context
from mailsink.web.security.cross_origin import origin_allowed

log = logging.getLogger(__name__)

FRAME_QUEUE_SIZE = 1000  # frames a client may lag behind before it is dropped
CLOSE_TIMEOUT_SECONDS = 1.0
TRY_AGAIN_LATER = 1013  # WebSocket close code for a dropped slow consumer

Render = Callable[[Change], list[str]]


class Listener:
    """One connected client: the frames waiting to be sent, and the task sending them.

    `next_frame()` returns None once the client has been dropped."""

    __slots__ = ("dropped", "queue", "sender")

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(FRAME_QUEUE_SIZE)
        self.sender: asyncio.Task[Any] | None = None
        self.dropped = False

    async def next_frame(self) -> str | None:
        return await self.queue.get()

    def drop(self) -> None:
        """Stop sending: forget the backlog, wake the sender with None, cancel it if stuck."""
        self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)
        if self.sender is not None:
            self.sender.cancel()


class Broadcaster:
    """The clients of one stream of one app; every method runs on the app's event loop."""

    def __init__(self, hub: ChangeHub, render: Render, *, render_in_thread: bool = False) -> None:
        self._hub = hub
        self._render = render
        self._render_in_thread = render_in_thread
        self._listeners: set[Listener] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_listening: Callable[[], None] | None = None
        self._backlog: asyncio.Queue[Change] | None = None  # changes for the render thread
        self._renderer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    def join(self) -> Listener:
        listener = Listener()
        if not self._listeners:
            self._loop = asyncio.get_running_loop()
            self._stop_listening = self._hub.subscribe(self._on_change)
            if self._render_in_thread:
                self._backlog = asyncio.Queue()
                self._renderer = asyncio.create_task(self._render_backlog(self._backlog))
        self._listeners.add(listener)
        return listener

    def leave(self, listener: Listener) -> None:
        self._listeners.discard(listener)
        if not self._listeners and self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
            if self._renderer is not None:
                self._renderer.cancel()
            self._backlog = self._renderer = None
            self.idle()

    def idle(self) -> None:
        """The last client left; subclasses stop their timers here."""

    def broadcast(self, frame: str, listeners: Iterable[Listener] | None = None) -> None:
        """Queue one encoded frame to these listeners (default: all); drop those that lag."""
        for listener in list(self._listeners if listeners is None else listeners):
            if listener.dropped:
                continue
            try:
                listener.queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.warning("dropped a streaming client %d events behind", FRAME_QUEUE_SIZE)
                self.leave(listener)
                listener.drop()

    def changed(self, change: Change) -> None:
        """Called after each change's frames went out; subclasses add their own (stats)."""

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_change(self, change: Change) -> None:
        """Runs on the publishing thread: hand over, nothing else."""
        loop = self._loop
        if loop is not None:
            # A closed loop means the server is stopping: nobody is left to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._dispatch, change)

    def _dispatch(self, change: Change) -> None:
        if self._backlog is not None:
            self._backlog.put_nowait(change)
            return
        for frame in self._render(change):
            self.broadcast(frame)
        self.changed(change)

    async def _render_backlog(self, backlog: asyncio.Queue[Change]) -> None:
        """Render in a worker thread, one change at a time, so frames keep their order."""
        while True:
            change = await backlog.get()
            try:
                frames = await asyncio.to_thread(self._render, change)
            except Exception:
                log.exception("could not render a %s event", change.kind.value)
                continue
            for frame in frames:
                self.broadcast(frame)
            self.changed(change)


async def refuse_foreign_origin(websocket: WebSocket, config: Config) -> bool:
    """Refuse the upgrade (HTTP 403) when `origin_allowed` says no; True when refused."""
    if origin_allowed(websocket.headers, websocket.url.scheme, config):
        return False
    await websocket.close(code=1008)  # before accept, the server answers HTTP 403
    return True


async def serve_websocket(websocket: WebSocket, broadcaster: Broadcaster) -> None:
    """Send the broadcaster's frames until the client leaves or is dropped for lagging."""
    stats = sink_context(websocket).stats
    stats.websocket_clients += 1
    listener = broadcaster.join()
    sender = listener.sender = asyncio.create_task(_send_frames(websocket, listener))
    reader = asyncio.create_task(_discard_incoming(websocket))
    try:
        await asyncio.wait({sender, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stats.websocket_clients -= 1
        broadcaster.leave(listener)
        for task in (sender, reader):
            task.cancel()
        await asyncio.gather(sender, reader, return_exceptions=True)
    if listener.dropped:
        # The close frame may itself wait behind a full socket buffer: give up on it quickly.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await websocket.close(TRY_AGAIN_LATER, "too slow: the event queue overflowed")


async def _send_frames(websocket: WebSocket, listener: Listener) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while (frame := await listener.next_frame()) is not None:
            await websocket.send_text(frame)


async def _discard_incoming(websocket: WebSocket) -> None:
    """What clients send is ignored; reading is how a disconnect is noticed."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass
