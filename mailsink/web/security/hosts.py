"""Answer only Host names that mean this machine when bound to loopback (DNS rebinding).

A DNS-rebinding page (`evil.example` re-pointed at 127.0.0.1) would otherwise read the API with
the user's browser; it gets 403 instead. Bound elsewhere, every Host is answered.
"""

from __future__ import annotations

import ipaddress

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from mailsink.config import Config
from mailsink.web.responses import text_response

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


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
