"""`/livez` and `/readyz`: probes for orchestrators, open even when basic auth is on."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mailsink.web.request_context import sink_context

log = logging.getLogger(__name__)

HEALTH_PATHS = ("/livez", "/readyz")


async def livez(request: Request) -> Response:
    return Response(b"")


async def readyz(request: Request) -> Response:
    """Ready when the store answers an indexed read (the newest message)."""
    store = sink_context(request).store
    try:
        await run_in_threadpool(store.search, None, limit=1)
    except Exception as error:
        log.warning("readyz: the store did not answer: %s", error)
        return Response(f"store not ready: {error}\n", 503, media_type="text/plain")
    return Response(b"")


routes: list[BaseRoute] = [
    Route("/livez", livez, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
]
