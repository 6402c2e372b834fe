"""Refuse state-changing requests that another web page could have sent.

A cross-site `<form>` or a no-CORS `fetch` can only send form, multipart or text bodies, so a
POST must carry JSON. PUT and DELETE cannot be sent cross-site without a CORS preflight we do
not grant, so form bodies stay allowed there (the PyPI client `mailpit-api-client` sends them).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from mailsink.web.responses import text_response


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
