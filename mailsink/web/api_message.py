"""Mailpit's single-message endpoints (reference §3) and our `/mime` addition.

Every endpoint resolves `{ID}` with `resolve_message` (`latest` and `?query=` included, except
where Mailpit does not: thumb, release), answers an unknown message with Mailpit's 404, and
parses the MIME tree only when the answer needs it. The store is read in Starlette's thread
pool (these endpoints are plain functions).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mailsink.message.headers import HeaderMap, headers_json
from mailsink.message.mime import find_part, mime_tree_json
from mailsink.smtp.relay import RelayError
from mailsink.store.base import StoredMessage
from mailsink.web.message_shapes import load_parsed, message_json
from mailsink.web.request_body import read_object, string_list_field
from mailsink.web.request_context import sink_context
from mailsink.web.resolve import LATEST_NOT_FOUND_TEXT, resolve_message
from mailsink.web.responses import (
    error_response,
    json_response,
    not_found_response,
    ok_response,
)
from mailsink.web.thumbnail import BLANK_THUMBNAIL_JPEG

NO_RELAY_TEXT = "SMTP error: no relay is configured (start mailsink with --smtp-relay-config FILE)"
SPAM_ASSASSIN_OFF_TEXT = "File not found\n"


def _lookup(request: Request, *, allow_latest: bool = True) -> StoredMessage | Response:
    """The message `{id}` names, or the 404 to answer with."""
    context = sink_context(request)
    message_id = request.path_params["id"]
    stored = resolve_message(
        context.store, message_id, request.query_params, allow_latest=allow_latest
    )
    if stored is not None:
        return stored
    if message_id == "latest" and allow_latest:
        return not_found_response(LATEST_NOT_FOUND_TEXT)
    return not_found_response()


def get_message(request: Request) -> Response:
    """`GET /api/v1/message/{ID}`: the parsed message; opening it marks it read."""
    found = _lookup(request)
    if isinstance(found, Response):
        return found
    context = sink_context(request)
    parsed = load_parsed(context.store, found.id)
    if parsed is None:  # deleted between the two reads
        return not_found_response()
    if not found.read:
        context.store.set_read([found.id], True)
    return json_response(message_json(found, parsed))


def get_headers(request: Request) -> Response:
    """`GET /api/v1/message/{ID}/headers`: Go-canonical names, sorted, raw values."""
    found = _lookup(request)
    if isinstance(found, Response):
        return found
    raw = sink_context(request).store.raw(found.id)
    if raw is None:
        return not_found_response()
    return json_response(headers_json(HeaderMap.from_bytes(raw)))


def get_raw(request: Request) -> Response:
    """`GET /api/v1/message/{ID}/raw`: the stored bytes; `?dl=1` downloads them as `.eml`."""
    found = _lookup(request)
    if isinstance(found, Response):
        return found
    raw = sink_context(request).store.raw(found.id)
    if raw is None:
        return not_found_response()
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if request.query_params.get("dl") in ("1", "true"):
        headers["Content-Disposition"] = f'attachment; filename="{found.id}.eml"'
    return Response(raw, headers=headers)


def get_mime_tree(request: Request) -> Response:
    """`GET /api/v1/message/{ID}/mime` (our addition): the MIME tree, root PartID "0"."""
    found = _lookup(request)
    if isinstance(found, Response):
        return found
    parsed = load_parsed(sink_context(request).store, found.id)
    if parsed is None:
        return not_found_response()
    return json_response(mime_tree_json(parsed.root))


def download_name(filename: str, content_id: str, part_id: str) -> str:
    """The name a download is offered under: the part's file name or Content-ID, URL-escaped
    as Mailpit does, so no quote, slash or line break from the message reaches the header."""
    return quote(filename or content_id or f"part-{part_id}", safe="")


def get_part(request: Request) -> Response:
    """`GET /api/v1/message/{ID}/part/{PartID}`: the decoded part, by PartID only."""
    found = _lookup(request)
    if isinstance(found, Response):
        return found
    parsed = load_parsed(sink_context(request).store, found.id)
    part = None if parsed is None else find_part(parsed, request.path_params["part"])
    if part is None:
        return not_found_response()
    name = download_name(part.filename, part.content_id, part.part_id)
    headers = {
        "Content-Disposition": f'inline; filename="{name}"',
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    return Response(part.data, media_type=part.content_type, headers=headers)


def get_thumbnail(request: Request) -> Response:
    """`GET …/part/{PartID}/thumb`: a 180×120 JPEG. mailsink does not scale images, so
    this is Mailpit's answer for a part it cannot decode: a blank white thumbnail. Unknown
    messages and parts are 400 here, as in Mailpit (which also has no `latest` here)."""
    found = _lookup(request, allow_latest=False)
    if isinstance(found, Response):
        return error_response("message not found")
    parsed = load_parsed(sink_context(request).store, found.id)
    part = None if parsed is None else find_part(parsed, request.path_params["part"])
    if part is None:
        return error_response("attachment not found")
    name = download_name(part.filename, part.content_id, part.part_id)
    headers = {"Content-Disposition": f'filename="{name}"'}
    return Response(BLANK_THUMBNAIL_JPEG, media_type="image/jpeg", headers=headers)


async def release(request: Request) -> Response:
    """`POST /api/v1/message/{ID}/release` with `{"To": [...]}`: relay the stored message."""
    found = await run_in_threadpool(_lookup, request, allow_latest=False)
    if isinstance(found, Response):
        return found
    recipients = string_list_field(await read_object(request), "To")
    context = sink_context(request)
    if context.relay is None:
        return error_response(NO_RELAY_TEXT)
    raw = await run_in_threadpool(context.store.raw, found.id)
    if raw is None:
        return not_found_response()
    sender = found.summary.from_
    mail_from = sender.address if sender and sender.address else found.envelope.mail_from
    try:
        await context.relay.release(raw, recipients, mail_from)
    except RelayError as error:
        return error_response(str(error))
    return ok_response()


def html_check(request: Request) -> Response:
    """`GET …/html-check`: the HTML compatibility check is not built in mailsink, so the
    answer is Mailpit's 400 for a check it cannot run."""
    found = _lookup(request)
    if isinstance(found, Response):
        return not_found_response()
    parsed = load_parsed(sink_context(request).store, found.id)
    if parsed is None:
        return not_found_response()
    if not parsed.html:
        return error_response("message does not contain HTML")
    return error_response("HTML check is not available in mailsink")


def link_check(request: Request) -> Response:
    """`GET …/link-check`: not built in mailsink; Mailpit's 400 for a disabled check."""
    found = _lookup(request)
    if isinstance(found, Response):
        return not_found_response()
    return error_response("link check is not available in mailsink")


def spam_assassin_check(request: Request) -> Response:
    """`GET …/sa-check`: Mailpit without SpamAssassin has no such route and answers its
    static-file 404, which is what clients of a server without SpamAssassin expect."""
    return Response(SPAM_ASSASSIN_OFF_TEXT, 404, media_type="text/plain")
