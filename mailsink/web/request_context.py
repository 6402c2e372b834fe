"""How an endpoint reaches the running sink: `create_app` puts the `SinkContext` on the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

if TYPE_CHECKING:
    from mailsink.context import SinkContext


def sink_context(connection: HTTPConnection) -> SinkContext:
    """The `SinkContext` of the app serving this request or WebSocket."""
    context: SinkContext = connection.app.state.context
    return context
