"""Responses shaped like Mailpit's Go server writes them, so its clients see the same bytes.

JSON comes from Go's `json.NewEncoder(w).Encode`: compact, UTF-8, `<`, `>`, `&`, U+2028 and
U+2029 escaped, a trailing newline, and `Content-Type: application/json` without a charset.
Success answers that carry no data are `text/plain` `ok`; errors are bare `text/plain` texts
(400 by default), except where an endpoint says otherwise (`POST /api/v1/send` answers JSON).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

_GO_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)

NOT_FOUND_TEXT = "404 page not found"


def go_json(data: Any) -> bytes:
    """`data` encoded as Go's `json.Encoder` would (the characters above only occur in strings,
    so escaping them in the whole text is safe)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.translate(_GO_ESCAPES) + "\n").encode()


def json_response(data: Any, status_code: int = 200) -> Response:
    return Response(go_json(data), status_code, media_type="application/json")


def text_response(text: str | bytes, status_code: int = 200) -> Response:
    """A `text/plain` body exactly as given (Go's `Content-Type: text/plain` has no charset)."""
    return Response(text, status_code, headers={"Content-Type": "text/plain"})


def ok_response() -> Response:
    return text_response("ok")


def error_response(text: str, status_code: int = 400) -> Response:
    return text_response(text, status_code)


def not_found_response(text: str = NOT_FOUND_TEXT) -> Response:
    return text_response(text, 404)
