"""The HTTP app: UI, Mailpit API v1, our additions, MailHog API and WebSocket, under the webroot.

Requests pass, outermost first: `RequestMetrics` (only with metrics on, counting every answer),
`SecurityHeaders` (nosniff on everything), `HostAllowlist`
(DNS rebinding), `Cors` (only with `--api-cors`), `BasicAuth` (only with `--ui-auth-file`),
`CrossOriginGuard` (no state change from another page's Origin), `CrossSiteFormGuard` (POST
needs JSON), `BodySizeLimit`, then the routes. The routes are mounted under `--webroot`;
`/prefix` redirects to `/prefix/`.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from mailsink.context import SinkContext
from mailsink.htpasswd import Htpasswd
from mailsink.web import health, openapi
from mailsink.web.live import wait, websocket
from mailsink.web.mailhog import routes as mailhog
from mailsink.web.mailpit import routes as mailpit
from mailsink.web.mailpit import views
from mailsink.web.request_body import BadRequest
from mailsink.web.resolve import NotFound
from mailsink.web.responses import (
    NOT_FOUND_TEXT,
    error_response,
    not_found_response,
    text_response,
)
from mailsink.web.security.basic_auth import BasicAuth
from mailsink.web.security.body_limit import BodySizeLimit, BodyTooLarge, body_too_large_handler
from mailsink.web.security.cors import Cors
from mailsink.web.security.cross_origin import CrossOriginGuard
from mailsink.web.security.cross_site import CrossSiteFormGuard
from mailsink.web.security.headers import SecurityHeaders
from mailsink.web.security.hosts import HostAllowlist, is_loopback
from mailsink.web.ui import ui_routes

log = logging.getLogger(__name__)


def normalize_webroot(webroot: str) -> str:
    """`mail`, `/mail` and `/mail/` all mean `/mail/`; empty means `/`."""
    inner = webroot.strip().strip("/")
    return f"/{inner}/" if inner else "/"


def app_routes() -> list[BaseRoute]:
    """Every route relative to the webroot, most specific first (the UI catches the rest)."""
    return [
        *health.routes,
        *wait.routes,
        *websocket.routes,
        *openapi.routes,
        *mailpit.routes,
        *mailhog.routes,
        *views.routes,
        *ui_routes(),
    ]


async def http_error(request: Request, exc: Exception) -> Response:
    """Routing errors in Go's words, as plain text (never an HTML page or a traceback)."""
    assert isinstance(exc, HTTPException)
    text = NOT_FOUND_TEXT if exc.status_code == 404 else exc.detail
    response = text_response(text, exc.status_code)
    response.headers.update(exc.headers or {})
    return response


async def bad_request(request: Request, exc: Exception) -> Response:
    return error_response(str(exc))


async def not_found(request: Request, exc: Exception) -> Response:
    return not_found_response(str(exc))


def create_app(context: SinkContext) -> Starlette:
    config = context.config
    webroot = normalize_webroot(config.webroot)
    routes = app_routes()
    if config.metrics and context.metrics is not None:
        from mailsink.metrics import metrics_route  # prometheus-client only when asked for

        routes.insert(0, metrics_route(context.metrics))
    if webroot != "/":
        prefix = webroot.rstrip("/")

        async def to_webroot(request: Request) -> Response:
            return RedirectResponse(webroot, status_code=301)

        routes = [Route(prefix, to_webroot), Mount(prefix, routes=routes)]

    listen_host = config.listen.host if config.listen else "127.0.0.1"
    if not is_loopback(listen_host) and config.ui_auth_file is None:
        log.warning(
            "HTTP listens on %s, which is not a loopback address: anyone who can reach it can "
            "read and delete the mail; consider --ui-auth-file",
            listen_host,
        )
    middleware = [Middleware(SecurityHeaders), Middleware(HostAllowlist, config=config)]
    if context.metrics is not None:
        from mailsink.metrics import RequestMetrics

        middleware.insert(0, Middleware(RequestMetrics, metrics=context.metrics))
    if config.api_cors:
        middleware.append(Middleware(Cors, origins=config.api_cors))
    if config.ui_auth_file is not None:
        open_paths = frozenset(webroot + path.lstrip("/") for path in health.HEALTH_PATHS)
        credentials = Htpasswd.load(config.ui_auth_file)
        middleware.append(Middleware(BasicAuth, credentials=credentials, open_paths=open_paths))
    middleware += [
        Middleware(CrossOriginGuard, config=config),
        Middleware(CrossSiteFormGuard),
        Middleware(
            BodySizeLimit, send_path=webroot + "api/v1/send", send_limit=config.smtp_max_size
        ),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={
            HTTPException: http_error,
            BodyTooLarge: body_too_large_handler,
            BadRequest: bad_request,
            NotFound: not_found,
        },
    )
    app.state.context = context
    app.state.webroot = webroot
    return app
