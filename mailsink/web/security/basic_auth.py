"""Optional HTTP basic auth for the UI, the API and the WebSocket (`--ui-auth-file`).

Health probes (`/livez`, `/readyz`) and CORS preflights stay open: orchestrators and browsers
cannot send credentials there. Checked credentials are remembered by digest, so a bcrypt file
costs one slow check per user and password, not one per request.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mailsink.htpasswd import Htpasswd

CHALLENGE = {"WWW-Authenticate": 'Basic realm="Login"', "Content-Type": "text/plain"}


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """User and password from an `Authorization: Basic …` header, or None."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


class BasicAuth:
    def __init__(self, app: ASGIApp, credentials: Htpasswd, open_paths: frozenset[str]) -> None:
        self.app = app
        self.credentials = credentials
        self.open_paths = open_paths
        self._accepted: set[bytes] = set()

    async def authorized(self, authorization: str | None) -> bool:
        given = basic_credentials(authorization)
        if given is None:
            return False
        key = hashlib.sha256(f"{given[0]}\0{given[1]}".encode()).digest()
        if key in self._accepted:
            return True
        if await run_in_threadpool(self.credentials.check, *given):
            self._accepted.add(key)
            return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        if await self.authorized(Headers(scope=scope).get("authorization")):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await Response("Unauthorized.\n", 401, headers=CHALLENGE)(scope, receive, send)
