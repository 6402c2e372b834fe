"""Request body caps: 5 MB everywhere, the SMTP max message size for `POST /api/v1/send`.

A declared `Content-Length` over the cap is refused before the body is read; a chunked body is
counted as it streams and refused when it crosses the cap (`BodyTooLarge`, answered by the
app's exception handler). Both answer 413 with Go's text, as JSON on the send endpoint.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailsink.web.responses import json_response, text_response

DEFAULT_BODY_LIMIT = 5 * 1024 * 1024
TOO_LARGE_TEXT = "http: request body too large"


class BodyTooLarge(Exception):
    def __init__(self, json_error: bool) -> None:
        super().__init__(TOO_LARGE_TEXT)
        self.json_error = json_error


def too_large_response(json_error: bool) -> Response:
    if json_error:
        return json_response({"Error": TOO_LARGE_TEXT}, 413)
    return text_response(TOO_LARGE_TEXT, 413)


async def body_too_large_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyTooLarge)
    return too_large_response(exc.json_error)


class BodySizeLimit:
    def __init__(self, app: ASGIApp, send_path: str, send_limit: int) -> None:
        self.app = app
        self.send_path = send_path
        self.send_limit = send_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_send = scope["path"] == self.send_path
        limit = self.send_limit if is_send else DEFAULT_BODY_LIMIT
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            await too_large_response(is_send)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(json_error=is_send)
            return message

        await self.app(scope, counting_receive, send)
