"""The HTTP server's defences against the browser it serves (CONTRACT §7).

Email content is hostile and so is every other web page the user has open. Three small ASGI
middlewares stand between them and the API:

- `HostAllowlist` answers only Host names that resolve to this machine when the server is bound
  to a loopback address: a DNS-rebinding page (`evil.example` re-pointed at 127.0.0.1) gets 403.
- `CrossSiteFormGuard` refuses state-changing POSTs that are not JSON: a cross-site `<form>` or
  a no-CORS `fetch` can only send form, multipart or text bodies. PUT and DELETE cannot be sent
  cross-site without a CORS preflight we do not grant, so form bodies stay allowed there (the
  PyPI client `mailpit-api-client` sends them).
- `SecurityHeaders` sets `X-Content-Type-Options: nosniff` on every response.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailsink.config import Config
from mailsink.web.responses import text_response

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
STATE_CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) means this machine."""
    host = host.strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """The name part of a Host header: `[::1]:8025` → `::1`, `Example.COM:80` → `example.com`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


class HostAllowlist:
    """Refuse requests whose Host is not this machine, when bound to a loopback address.

    Bound elsewhere, the user exposed the server on purpose and every Host is answered. A request
    without a Host header (HTTP/1.0) cannot come from a browser and is answered.
    """

    def __init__(self, app: ASGIApp, config: Config) -> None:
        self.app = app
        listen_host = config.listen.host if config.listen else "127.0.0.1"
        self.enforced = is_loopback(listen_host)
        self.extra = frozenset(host_name(h) for h in (listen_host, *config.allowed_hosts))

    def allows(self, host_header: str | None) -> bool:
        if not self.enforced or host_header is None:
            return True
        name = host_name(host_header)
        return name in self.extra or is_loopback(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host")
        if self.allows(host):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        name = host_name(host or "")
        text = (
            f"Host {name!r} is not allowed: mailsink listens on a loopback address and answers "
            f"only local names (DNS rebinding protection); start it with --allowed-host {name} "
            "to allow this name.\n"
        )
        await text_response(text, 403)(scope, receive, send)


class CrossSiteFormGuard:
    """Refuse POSTs whose body a cross-site form could have sent (anything but JSON)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            content_type = Headers(scope=scope).get("content-type", "")
            media_type = content_type.partition(";")[0].strip().lower()
            if not (media_type == "application/json" or media_type.endswith("+json")):
                text = (
                    "POST requests need Content-Type: application/json "
                    f"(got {content_type or 'none'!r}); a cross-site form cannot send it, "
                    "which keeps other web pages from changing your mail.\n"
                )
                await text_response(text, 415)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """`X-Content-Type-Options: nosniff` on every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, send_with_headers)
