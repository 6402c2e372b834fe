"""Responses as MailHog's Go server writes them: `json.Marshal` bodies (compact, no trailing
newline) with MailHog's content types (`text/json` for most, sic), empty success bodies where
MailHog has them, and errors as bare status codes."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from mailsink.web.responses import go_json


def mailhog_json(data: Any, media_type: str = "text/json") -> Response:
    return Response(go_json(data)[:-1], headers={"Content-Type": media_type})


def empty() -> Response:
    """MailHog's success without a body; its npm client fails on any non-JSON body here."""
    return Response(b"", headers={"Content-Type": "text/json"})


def bare_status(status_code: int) -> Response:
    """MailHog's errors: a status code, no body, no content type."""
    return Response(b"", status_code)
