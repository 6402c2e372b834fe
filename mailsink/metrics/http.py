"""The HTTP side of metrics: `RequestMetrics` counts the app's requests by route and status,
`metrics_route` serves `/metrics`, `metrics_app` is the whole app of `--metrics-listen`."""

from __future__ import annotations

from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailsink.metrics.registry import SinkMetrics


class RequestMetrics:
    """Pure ASGI middleware: after each HTTP request, count it under the path template of the
    route that answered (`/api/v1/message/{id}`, never the path itself, so the labels stay
    few) and the status sent. WebSockets are counted by the collector instead."""

    def __init__(self, app: ASGIApp, metrics: SinkMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the server sends when the app fails before starting a response

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.metrics.count_request(getattr(scope.get("route"), "path", None), status)


def metrics_route(metrics: SinkMetrics) -> Route:
    async def serve_metrics(request: Request) -> Response:
        body = await run_in_threadpool(metrics.render)
        return Response(body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return Route("/metrics", serve_metrics, methods=["GET"])


def metrics_app(metrics: SinkMetrics) -> Starlette:
    """`/metrics` alone, for `--metrics-listen` (its requests are counted too)."""
    app = Starlette(routes=[metrics_route(metrics)])
    app.add_middleware(RequestMetrics, metrics=metrics)
    return app
