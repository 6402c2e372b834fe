"""CORS as Mailpit answers it, and only for the origins given by `--api-cors` (`*` = any).

An allowed Origin gets `Access-Control-Allow-Origin: <Origin>` and the methods and headers
Mailpit allows; its preflight `OPTIONS` gets 200 with an empty body. Without `--api-cors` no
CORS header is ever sent, so other web pages cannot read or change the mail.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailsink.web.responses import text_response

ALLOW_METHODS = "GET, POST, DELETE, PUT, OPTIONS"


class Cors:
    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = frozenset(origin.rstrip("/").lower() for origin in origins)

    def allows(self, origin: str) -> bool:
        return self.any_origin or origin.rstrip("/").lower() in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = Headers(scope=scope).get("origin") if scope["type"] == "http" else None
        if not origin or not self.allows(origin):
            await self.app(scope, receive, send)
            return
        cors_headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": ALLOW_METHODS,
            "Access-Control-Allow-Headers": "*",
            "Vary": "Origin",
        }
        if scope["method"] == "OPTIONS":
            response = text_response(b"")
            response.headers.update(cors_headers)
            await response(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(cors_headers)
            await send(message)

        await self.app(scope, receive, send_with_cors)
