"""Refuse what another web page asks of the API in the user's browser: the WebSocket upgrade
(cross-site WebSocket hijacking) and requests that change state.

A browser names the page behind every WebSocket upgrade and every POST, PUT, DELETE and PATCH in
`Origin`. When that is not this server's own origin (the host and port the client reached, as
the Host header says), or is `null` (a sandboxed frame, a file), the request is refused with 403,
unless `--api-cors` names the origin. Requests without `Origin` (curl, Python clients, the
pytest plugin) are not from a browser page and pass. Browsers cannot send these requests
cross-site without a CORS preflight today; this keeps one CORS mistake later from becoming "any
web page deletes your mail". GET stays open, Mailpit's mark-read on reading a message included.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from mailsink.config import Config
from mailsink.web.responses import json_response

STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def origin_allowed(headers: Headers, scheme: str, config: Config) -> bool:
    """No Origin (not a browser), an Origin naming the same host and port as the Host header,
    or a configured CORS origin."""
    origin = headers.get("origin")
    if origin is None:
        return True
    configured = {o.rstrip("/").lower() for o in config.api_cors}
    if "*" in configured or origin.rstrip("/").lower() in configured:
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


class CrossOriginGuard:
    """403 `{"Error": …}` for a state-changing request from a foreign or `null` Origin."""

    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in STATE_CHANGING_METHODS:
            headers = Headers(scope=scope)
            if not origin_allowed(headers, scope["scheme"], self.config):
                origin = headers.get("origin")
                text = (
                    f"{scope['method']} refused: Origin {origin!r} is not this server's origin; "
                    "another web page may not change your mail (allow an origin with --api-cors)"
                )
                await json_response({"Error": text}, 403)(scope, receive, send)
                return
        await self.app(scope, receive, send)
