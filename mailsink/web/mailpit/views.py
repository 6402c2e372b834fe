"""`/view/{ID}.html`, `/view/{ID}.txt` and `/view/latest`: a message's bodies as documents.

The HTML body is hostile. It is served with a Content-Security-Policy that runs no script,
loads images only from this server (`cid:` references are rewritten to part URLs) and `data:`,
loads no remote style or font, and sandboxes the document into an opaque origin, so it can
neither read the API nor be framed by another site. `?remote=1` additionally allows remote
images and styles (the UI asks for it when the user chooses to load them); `?embed=1` opens
links in a new tab, as Mailpit's embed mode does (without its script).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from mailsink.message.ids import is_message_id
from mailsink.message.mime import ParsedMessage
from mailsink.store.base import StoredMessage
from mailsink.web.request_context import sink_context
from mailsink.web.resolve import (
    LATEST_NOT_FOUND_TEXT,
    NotFound,
    requested_parsed,
    resolve_message,
)

NO_HTML_TEXT = "This message does not contain a HTML part"
_CID = re.compile(r"""cid:([^"'\s<>()]+)""", re.IGNORECASE)
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def html_policy(remote: bool) -> str:
    remote_sources = " https: http:" if remote else ""
    return "; ".join(
        (
            "default-src 'none'",
            f"img-src 'self' data:{remote_sources}",
            f"style-src 'unsafe-inline'{remote_sources}",
            f"font-src data:{remote_sources}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
            "sandbox allow-popups allow-popups-to-escape-sandbox",
        )
    )


def link_cid_parts(html: str, parsed: ParsedMessage, part_url: str) -> str:
    """`cid:logo@x` → `{part_url}{PartID}` for every part with that Content-ID."""
    by_cid = {part.content_id: part.part_id for part in parsed.root.walk() if part.content_id}

    def replace(found: re.Match[str]) -> str:
        part_id = by_cid.get(unquote(found[1]))
        return found[0] if part_id is None else part_url + part_id

    return _CID.sub(replace, html) if by_cid else html


def open_links_in_new_tab(html: str) -> str:
    base = '<base target="_blank">'
    head = _HEAD.search(html)
    return html[: head.end()] + base + html[head.end() :] if head else base + html


def viewed_message(request: Request) -> tuple[StoredMessage, ParsedMessage]:
    """The message to show; Mailpit's views say `Message not found` for every unknown ID."""
    try:
        return requested_parsed(request)
    except NotFound:
        raise NotFound(LATEST_NOT_FOUND_TEXT) from None


def view_html(request: Request) -> Response:
    stored, parsed = viewed_message(request)
    if not parsed.html:
        raise NotFound(NO_HTML_TEXT)
    webroot: str = request.app.state.webroot
    html = link_cid_parts(parsed.html, parsed, f"{webroot}api/v1/message/{stored.id}/part/")
    if request.query_params.get("embed") in ("1", "true"):
        html = open_links_in_new_tab(html)
    headers = {
        "Content-Security-Policy": html_policy(request.query_params.get("remote") == "1"),
        "X-Frame-Options": "SAMEORIGIN",
        "Referrer-Policy": "no-referrer",
    }
    return Response(html, media_type="text/html", headers=headers)


def view_text(request: Request) -> Response:
    _, parsed = viewed_message(request)
    return Response(parsed.text, media_type="text/plain")


def ui_page(webroot: str, message_id: str) -> RedirectResponse:
    """The UI's page for a message (its routes live in the URL's hash)."""
    return RedirectResponse(f"{webroot}#/message/{message_id}", status_code=302)


def view_latest(request: Request) -> Response:
    """`/view/latest`: Mailpit redirects to the UI's page for the newest (matching) message."""
    stored = resolve_message(sink_context(request).store, "latest", request.query_params)
    if stored is None:
        raise NotFound(LATEST_NOT_FOUND_TEXT)
    return ui_page(request.app.state.webroot, stored.id)


def view_page(request: Request) -> Response:
    """`/view/{ID}`, Mailpit's UI address of a message, opens it in our UI."""
    message_id = request.path_params["id"]
    if not is_message_id(message_id):
        raise NotFound(LATEST_NOT_FOUND_TEXT)
    return ui_page(request.app.state.webroot, message_id)


routes: list[BaseRoute] = [
    Route("/view/latest", view_latest, methods=["GET"]),
    Route("/view/{id}.html", view_html, methods=["GET"]),
    Route("/view/{id}.txt", view_text, methods=["GET"]),
    Route("/view/{id}", view_page, methods=["GET"]),
]
