"""Mailpit's tag endpoints (docs/mailpit-api.md, Tags, application and chaos
endpoints); the store cleans tags and words the errors."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mailsink.store.base import TagError
from mailsink.web.request_body import read_object, string_field, string_list_field
from mailsink.web.request_context import sink_context
from mailsink.web.responses import error_response, json_response, ok_response


def list_tags(request: Request) -> Response:
    """`GET /api/v1/tags`: every tag in use, ordered by name case-insensitively."""
    return json_response(list(sink_context(request).store.tags()))


async def set_tags(request: Request) -> Response:
    """`PUT /api/v1/tags`: replace the tags of the `IDs` with `Tags` (none = remove all)."""
    body = await read_object(request)
    ids = string_list_field(body, "IDs")
    tags = string_list_field(body, "Tags")
    if ids:
        await run_in_threadpool(sink_context(request).store.set_tags, ids, tags)
    return ok_response()


async def rename_tag(request: Request) -> Response:
    """`PUT /api/v1/tags/{Tag}` with `{"Name": "new name"}`."""
    name = string_field(await read_object(request), "Name")
    store = sink_context(request).store
    try:
        await run_in_threadpool(store.rename_tag, request.path_params["tag"], name)
    except TagError as error:
        return error_response(str(error))
    return ok_response()


async def delete_tag(request: Request) -> Response:
    """`DELETE /api/v1/tags/{Tag}`: the tag leaves every message; the messages stay."""
    try:
        await run_in_threadpool(sink_context(request).store.delete_tag, request.path_params["tag"])
    except TagError as error:
        return error_response(str(error))
    return ok_response()
