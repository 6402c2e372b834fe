"""Mailpit's message collection endpoints: list, search, mark read, delete (docs/mailpit-api.md,
Message collection endpoints).

The store's reads are synchronous, so the GET endpoints are plain functions (Starlette runs
them in its thread pool) and the others read their body on the loop, then hand the store work
to a thread. A `BadRequest` raised anywhere becomes a 400 with its text (see `app`).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from mailsink.context import SinkContext
from mailsink.message.summary_json import JSONObject, summary_json
from mailsink.store.base import MailboxCounts, StoredMessage
from mailsink.store.search import SearchQuery, mailbox_query, narrowed_to_mailbox
from mailsink.web.request_body import (
    BadRequest,
    bool_field,
    read_object,
    string_field,
    string_list_field,
)
from mailsink.web.request_context import sink_context
from mailsink.web.responses import json_response, ok_response
from mailsink.web.search_params import mailbox_param, search_query

DEFAULT_LIMIT = 50
LARGEST_OFFSET = 2**62  # beyond any mailbox, and still a valid SQLite integer
NO_QUERY_TEXT = "Error: no search query"


def messages_list_json(
    mailbox: MailboxCounts,
    matched: MailboxCounts,
    start: int,
    tags: Iterable[str],
    messages: list[StoredMessage],
) -> JSONObject:
    """The list envelope of `GET /api/v1/messages` and `/search`, with the legacy `count`."""
    return {
        "total": mailbox.total,
        "unread": mailbox.unread,
        "count": len(messages),
        "messages_count": matched.total,
        "messages_unread": matched.unread,
        "start": start,
        "tags": list(tags),
        "messages": [summary_json(m) for m in messages],
    }


def int_param(params: QueryParams, name: str, default: int) -> int:
    """A non-negative integer parameter; absent, negative or not a number gives `default`."""
    text = params.get(name, "").strip()
    try:
        value = int(text)
    except ValueError:
        return default
    return min(value, LARGEST_OFFSET) if value >= 0 else default


def list_query(params: QueryParams, search: str = "") -> SearchQuery | None:
    """`search` plus Mailpit's undocumented `before` parameter (a date), in `?tz=`, in the
    mailbox of `?mailbox=`."""
    before = params.get("before", "").strip()
    if before:
        search = f'{search} before:"{before}"'
    return narrowed_to_mailbox(search_query(search, params.get("tz")), mailbox_param(params))


def required_search(params: QueryParams) -> str:
    text = params.get("query", "").strip()
    if not text:
        raise BadRequest(NO_QUERY_TEXT)
    return text


def search_page(
    context: SinkContext,
    query: SearchQuery | None,
    start: int,
    limit: int | None,
    mailbox_name: str | None,
) -> Response:
    """One page of the envelope; `limit=None` is every match from the start (`start` is then
    only echoed, as Mailpit does), `limit=0` an empty page. `total` and `unread` count the
    mailbox shown (`mailbox_name`), or every message."""
    store = context.store
    whole = None if mailbox_name is None else mailbox_query(mailbox_name)
    mailbox = store.count(whole)
    matched = mailbox if query == whole else store.count(query)
    offset = start if limit else 0
    messages = [] if limit == 0 else store.search(query, offset=offset, limit=limit)
    body = messages_list_json(mailbox, matched, start, store.tags(), messages)
    return json_response(body)


def list_messages(request: Request) -> Response:
    """`GET /api/v1/messages`: newest first; `limit=0` lists everything from the start."""
    params = request.query_params
    start = int_param(params, "start", 0)
    limit = int_param(params, "limit", DEFAULT_LIMIT)
    return search_page(
        sink_context(request), list_query(params), start, limit or None, mailbox_param(params)
    )


def search_messages(request: Request) -> Response:
    """`GET /api/v1/search`: `limit=0` gives an empty page here (Mailpit's quirk)."""
    params = request.query_params
    query = list_query(params, required_search(params))
    start = int_param(params, "start", 0)
    limit = int_param(params, "limit", DEFAULT_LIMIT)
    return search_page(sink_context(request), query, start, limit, mailbox_param(params))


def matching_ids(context: SinkContext, query: SearchQuery) -> list[str]:
    return [m.id for m in context.store.search(query, limit=None)]


def in_mailbox(context: SinkContext, ids: list[str], mailbox: str) -> list[str]:
    """Those of `ids` filed in `mailbox`: a request limited to a mailbox touches no other."""
    return [
        message_id
        for message_id in ids
        if (stored := context.store.get(message_id)) is not None
        and stored.envelope.mailbox == mailbox
    ]


async def set_read_status(request: Request) -> Response:
    """`PUT /api/v1/messages`: `Read` for the `IDs`, the `Search` matches, or every message
    (of `?mailbox=`, when given)."""
    body = await read_object(request)
    ids = string_list_field(body, "IDs")
    read = bool_field(body, "Read")
    search = string_field(body, "Search").strip()
    if ids and search:
        raise BadRequest("You may specify either IDs or a search query, not both")
    mailbox = mailbox_param(request.query_params)
    query = narrowed_to_mailbox(search_query(search, request.query_params.get("tz")), mailbox)
    context = sink_context(request)

    def apply() -> None:
        if ids and mailbox is not None:
            context.store.set_read(in_mailbox(context, ids, mailbox), read)
        elif query is not None:
            context.store.set_read(matching_ids(context, query), read)
        else:
            context.store.set_read(ids or None, read)

    await run_in_threadpool(apply)
    return ok_response()


async def delete_messages(request: Request) -> Response:
    """`DELETE /api/v1/messages`: the `IDs`, or every message when there are none; with
    `?mailbox=`, only messages of that mailbox.

    Unlike Mailpit, a malformed body is refused rather than taken as "delete everything".
    """
    ids = string_list_field(await read_object(request, empty={}), "IDs")
    mailbox = mailbox_param(request.query_params)
    context = sink_context(request)

    def apply() -> None:
        if ids:
            chosen = ids if mailbox is None else in_mailbox(context, ids, mailbox)
            deleted = len(context.store.delete(chosen))
        else:
            whole = None if mailbox is None else mailbox_query(mailbox)
            deleted = context.store.count(whole).total
            context.store.delete_all(mailbox)
        context.stats.messages_deleted += deleted

    await run_in_threadpool(apply)
    return ok_response()


def delete_search(request: Request) -> Response:
    """`DELETE /api/v1/search`: every match of `?query=`."""
    params = request.query_params
    query = narrowed_to_mailbox(
        search_query(required_search(params), params.get("tz")), mailbox_param(params)
    )
    assert query is not None
    context = sink_context(request)
    deleted = context.store.delete(matching_ids(context, query))
    context.stats.messages_deleted += len(deleted)
    return ok_response()
