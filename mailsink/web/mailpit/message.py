"""Mailpit's single-message endpoints and our `/mime` addition (docs/mailpit-api.md, Single
message endpoints).

Every endpoint resolves `{ID}` with `requested_message` (`latest` and `?query=` included, except
where Mailpit does not: thumb, release), answers an unknown message with Mailpit's 404, and
parses the MIME tree only when the answer needs it. The store is read in Starlette's thread
pool (the GET endpoints are plain functions).
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mailsink.message.headers import HeaderMap, headers_json
from mailsink.message.mime import MimePart, find_part, mime_tree_json
from mailsink.relay.config import RelayError
from mailsink.web.mailpit.message_json import message_json
from mailsink.web.mailpit.thumbnail import BLANK_THUMBNAIL_JPEG
from mailsink.web.request_body import read_object, string_list_field
from mailsink.web.request_context import sink_context
from mailsink.web.resolve import NotFound, requested_message, requested_parsed
from mailsink.web.responses import error_response, json_response, ok_response
from mailsink.web.security.parts import part_response

NO_RELAY_TEXT = "SMTP error: no relay is configured (start mailsink with --smtp-relay-config FILE)"


def get_message(request: Request) -> Response:
    """`GET /api/v1/message/{ID}`: the parsed message; opening it marks it read."""
    stored, parsed = requested_parsed(request)
    if not stored.read:
        sink_context(request).store.set_read([stored.id], True)
    return json_response(message_json(stored, parsed))


def get_headers(request: Request) -> Response:
    """`GET /api/v1/message/{ID}/headers`: Go-canonical names, sorted, raw values."""
    raw = sink_context(request).store.raw(requested_message(request).id)
    if raw is None:
        raise NotFound()
    return json_response(headers_json(HeaderMap.from_bytes(raw)))


def get_raw(request: Request) -> Response:
    """`GET /api/v1/message/{ID}/raw`: the stored bytes; `?dl=1` downloads them as `.eml`."""
    stored = requested_message(request)
    raw = sink_context(request).store.raw(stored.id)
    if raw is None:
        raise NotFound()
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if request.query_params.get("dl") in ("1", "true"):
        headers["Content-Disposition"] = f'attachment; filename="{stored.id}.eml"'
    return Response(raw, headers=headers)


def get_mime_tree(request: Request) -> Response:
    """`GET /api/v1/message/{ID}/mime` (our addition): the MIME tree, root PartID "0"."""
    _, parsed = requested_parsed(request)
    return json_response(mime_tree_json(parsed.root))


def requested_part(request: Request) -> MimePart:
    _, parsed = requested_parsed(request)
    part = find_part(parsed, request.path_params["part"])
    if part is None:
        raise NotFound()
    return part


def download_name(part: MimePart) -> str:
    """The name a part is offered under: its file name or Content-ID, URL-escaped as Mailpit
    does, so that no quote, slash or line break from the message reaches the header."""
    return quote(part.filename or part.content_id or f"part-{part.part_id}", safe="")


def get_part(request: Request) -> Response:
    """`GET /api/v1/message/{ID}/part/{PartID}`: the decoded part, found by PartID only, made
    inert in our origin (`part_response`)."""
    part = requested_part(request)
    disposition = f'inline; filename="{download_name(part)}"'
    return part_response(part.data, part.content_type, disposition)


def get_thumbnail(request: Request) -> Response:
    """`GET …/part/{PartID}/thumb`: a 180×120 JPEG. mailsink does not scale images, so this is
    Mailpit's answer for a part it cannot decode: a blank white thumbnail. Unknown messages and
    parts are 400 here, and there is no `latest`, as in Mailpit."""
    if request.path_params["id"] == "latest":
        return error_response("message not found")
    try:
        part = requested_part(request)
    except NotFound:
        return error_response("message or part not found")
    headers = {"Content-Disposition": f'filename="{download_name(part)}"'}
    return Response(BLANK_THUMBNAIL_JPEG, media_type="image/jpeg", headers=headers)


async def release(request: Request) -> Response:
    """`POST /api/v1/message/{ID}/release` with `{"To": [...]}`: relay the stored message
    (no `latest` here, as in Mailpit)."""
    stored = await run_in_threadpool(requested_message, request, allow_latest=False)
    recipients = string_list_field(await read_object(request), "To")
    context = sink_context(request)
    if context.relay is None:
        return error_response(NO_RELAY_TEXT)
    raw = await run_in_threadpool(context.store.raw, stored.id)
    if raw is None:
        raise NotFound()
    sender = stored.summary.from_
    mail_from = sender.address if sender and sender.address else stored.envelope.mail_from
    try:
        await context.relay.release(raw, recipients, mail_from)
    except RelayError as error:
        return error_response(str(error))
    return ok_response()
