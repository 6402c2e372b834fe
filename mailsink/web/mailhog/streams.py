"""MailHog's live streams of new messages, under `/mailhog` (docs/mailhog-api.md, API v2 and
API v1).

- `GET /api/v2/websocket`: a WebSocket; each new message is one text frame of its MailHog JSON
  (compact, then `\\n`, as gorilla's `WriteJSON`), nothing for deletes.
- `GET /api/v1/events`: Server-Sent Events; each new message is its JSON indented by two
  spaces, every line sent as `data: <line>`, then a blank line; `keepalive: ` every minute.

Neither MailHog client library uses them; MailHog's own UI did. Rendering a message reads and
parses its bytes, so it happens in a worker thread (`render_in_thread`), in arrival order.
Foreign Origins are refused on the WebSocket, as on `/api/events`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from mailsink.context import SinkContext
from mailsink.events import Change, ChangeKind
from mailsink.web.live.broadcast import (
    Broadcaster,
    Listener,
    refuse_foreign_origin,
    serve_websocket,
)
from mailsink.web.mailhog.message_json import JSONObject, message_json
from mailsink.web.request_context import sink_context
from mailsink.web.responses import go_json

SSE_KEEPALIVE_SECONDS = 60.0
_GO_HTML_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def new_message_json(context: SinkContext, change: Change) -> JSONObject | None:
    if change.kind is not ChangeKind.NEW or change.message is None:
        return None
    raw = context.store.raw(change.message.id)
    if raw is None:  # deleted before it could be shown
        return None
    return message_json(change.message, raw, context.config.smtp_hostname)


def websocket_frame(message: JSONObject) -> str:
    return go_json(message).decode()


def event_stream_block(message: JSONObject) -> str:
    """`json.MarshalIndent(msg, "", "  ")`, each line as an SSE `data:` field."""
    text = json.dumps(message, ensure_ascii=False, indent=2).translate(_GO_HTML_ESCAPES)
    return "".join(f"data: {line}\n" for line in text.split("\n")) + "\n"


def stream(
    request: Request | WebSocket, name: str, encode: Callable[[JSONObject], str]
) -> Broadcaster:
    """The app's broadcaster for one stream format, made on first use."""
    state = request.app.state
    broadcaster: Broadcaster | None = getattr(state, name, None)
    if broadcaster is None:
        context = sink_context(request)

        def render(change: Change) -> list[str]:
            message = new_message_json(context, change)
            return [] if message is None else [encode(message)]

        broadcaster = Broadcaster(context.hub, render, render_in_thread=True)
        setattr(state, name, broadcaster)
    return broadcaster


async def websocket_endpoint(websocket: WebSocket) -> None:
    if await refuse_foreign_origin(websocket, sink_context(websocket).config):
        return
    await websocket.accept()
    await serve_websocket(websocket, stream(websocket, "mailhog_websocket", websocket_frame))


class EventStreamResponse(Response):
    """Streams a listener's frames until the client disconnects or is dropped."""

    def __init__(self, broadcaster: Broadcaster) -> None:
        super().__init__()
        self.raw_headers = [  # an open-ended body: no Content-Length
            (b"content-type", b"text/event-stream"),
            (b"cache-control", b"no-cache"),
            (b"connection", b"keep-alive"),
        ]
        self.broadcaster = broadcaster

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        listener = self.broadcaster.join()
        gone = asyncio.ensure_future(_disconnected(receive))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            while (block := await _next_block(listener, gone)) is not None:
                await send({"type": "http.response.body", "body": block, "more_body": True})
        except OSError:  # the client went away mid-send
            pass
        finally:
            self.broadcaster.leave(listener)
            gone.cancel()
            await asyncio.gather(gone, return_exceptions=True)


async def _next_block(listener: Listener, gone: asyncio.Future[Any]) -> bytes | None:
    """The next frame, a keepalive after a quiet minute, or None when the stream is over."""
    frame = asyncio.ensure_future(listener.next_frame())
    try:
        await asyncio.wait(
            {frame, gone}, timeout=SSE_KEEPALIVE_SECONDS, return_when="FIRST_COMPLETED"
        )
    finally:
        if not frame.done():
            frame.cancel()
    if gone.done():
        return None
    if not frame.done():  # the quiet minute passed; its cancellation is still on its way
        return b"keepalive: \n\n"
    text = frame.result()
    return None if text is None else text.encode()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def events_endpoint(request: Request) -> Response:
    return EventStreamResponse(stream(request, "mailhog_event_stream", event_stream_block))


routes: list[BaseRoute] = [
    WebSocketRoute("/api/v2/websocket", websocket_endpoint),
    Route("/api/v1/events", events_endpoint, methods=["GET"]),
]
