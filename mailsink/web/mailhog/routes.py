"""MailHog's HTTP API (docs/mailhog-api.md), so MailHog's clients work unchanged.

The whole API lives under `/mailhog` with MailHog's bodies and content types (`text/json` for
the v1 lists and v2 messages, empty bodies for DELETE and release, bare status codes for errors).
At the root only the routes that do not collide with Mailpit's are served (`GET /api/v2/messages`,
`GET /api/v2/search`, `DELETE /api/v1/messages/{id}`, `POST /api/v1/messages/{id}/release`):
MailHog clients with a fixed `/api` path then work, while `DELETE /api/v1/messages` stays
Mailpit's (`ok`; the PyPI client only checks the status). The live streams are in
`streams`, release in `release`, the JSON shapes in `message_json`.

Where we differ from MailHog, on purpose:
- An unknown ID is 404 with an empty body (MailHog: 500, or 200 `null` for GET).
- `kind` of `/api/v2/search` is accepted in any case (the PyPI client's README uses `"To"`), and
  is answered from the Mailpit search indexes: `from` matches the From header (not the MAIL
  FROM, which is not indexed; the two rarely differ), `to` the To, Cc
  and Bcc headers (Bcc includes every envelope recipient not in To/Cc), `containing` the search
  text (decoded headers, body text, attachment names) rather than the raw, encoded body.
- `download` returns the exact stored bytes; part downloads are always `attachment`s with
  `nosniff`, never rendered (email content is hostile: docs/interface.md, Security
  defaults).
- Jim, the chaos monkey, does not exist here: `/api/v2/jim` answers as MailHog does with Jim off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from mailsink.context import SinkContext
from mailsink.message.mime import parse_message
from mailsink.store.base import Store, StoredMessage
from mailsink.store.search import SearchQuery, TextField, TextTerm, clean_search_value
from mailsink.web.mailhog import streams
from mailsink.web.mailhog.message_json import JSONObject, message_json, messages_json
from mailsink.web.mailhog.release import release_endpoint
from mailsink.web.mailhog.responses import bare_status, empty, mailhog_json
from mailsink.web.request_context import sink_context
from mailsink.web.security.parts import part_response

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
V1_LIST_LIMIT = 1000

# Which indexed address fields each search kind looks at (a message matching any of them).
SEARCH_FIELDS = {
    "from": (TextField.FROM,),
    "to": (TextField.TO, TextField.CC, TextField.BCC),
    "containing": (TextField.TEXT,),
}


def page(request: Request) -> tuple[int, int]:
    """`start` (≤0 or invalid → 0) and `limit` (≤0 or invalid → 50, at most 250)."""
    start = _int(request.query_params.get("start"))
    limit = _int(request.query_params.get("limit"))
    return max(start, 0), min(limit, MAX_LIMIT) if limit > 0 else DEFAULT_LIMIT


def _int(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        return 0


def render(context: SinkContext, messages: list[StoredMessage]) -> list[JSONObject]:
    """MailHog messages from stored ones; a message deleted meanwhile is left out."""
    rendered = []
    for stored in messages:
        raw = context.store.raw(stored.id)
        if raw is not None:
            rendered.append(message_json(stored, raw, context.config.smtp_hostname))
    return rendered


def search_matches(store: Store, kind: str, text: str) -> list[StoredMessage]:
    """Messages matching a MailHog search, newest first."""
    value = clean_search_value(text)
    if not value:
        return []
    found: dict[str, StoredMessage] = {}
    for field in SEARCH_FIELDS[kind]:
        query = SearchQuery(text, (TextTerm(field, value),))
        for stored in store.search(query, limit=None):
            found[stored.id] = stored
    return sorted(found.values(), key=lambda stored: stored.seq, reverse=True)


async def v2_messages(request: Request) -> Response:
    context = sink_context(request)
    start, limit = page(request)

    def load() -> JSONObject:
        total = context.store.count().total
        items = render(context, context.store.search(offset=start, limit=limit))
        return messages_json(total, start, items)

    return mailhog_json(await run_in_threadpool(load))


async def v2_search(request: Request) -> Response:
    context = sink_context(request)
    kind = request.query_params.get("kind", "").lower()
    text = request.query_params.get("query", "")
    if kind not in SEARCH_FIELDS or not text:
        return bare_status(400)
    start, limit = page(request)

    def load() -> JSONObject:
        matches = search_matches(context.store, kind, text)
        items = render(context, matches[start : start + limit])
        return messages_json(len(matches) if start <= len(matches) else 0, start, items)

    return mailhog_json(await run_in_threadpool(load), "application/json")


async def v1_messages(request: Request) -> Response:
    context = sink_context(request)

    def load() -> list[JSONObject]:
        return render(context, context.store.search(limit=V1_LIST_LIMIT))

    return mailhog_json(await run_in_threadpool(load))


async def v1_delete_all(request: Request) -> Response:
    context = sink_context(request)
    counts = await run_in_threadpool(context.store.count)
    await run_in_threadpool(context.store.delete_all)
    context.stats.messages_deleted += counts.total
    return empty()


async def v1_message(request: Request) -> Response:
    context = sink_context(request)
    message_id = request.path_params["id"]

    def load() -> JSONObject | None:
        stored = context.store.get(message_id)
        rendered = render(context, [stored]) if stored is not None else []
        return rendered[0] if rendered else None

    message = await run_in_threadpool(load)
    return bare_status(404) if message is None else mailhog_json(message)


async def v1_delete(request: Request) -> Response:
    context = sink_context(request)
    deleted = await run_in_threadpool(context.store.delete, [request.path_params["id"]])
    if not deleted:
        return bare_status(404)
    context.stats.messages_deleted += len(deleted)
    return empty()


async def v1_download(request: Request) -> Response:
    message_id = request.path_params["id"]
    raw = await run_in_threadpool(sink_context(request).store.raw, message_id)
    if raw is None:
        return bare_status(404)
    disposition = f'attachment; filename="{message_id}.eml"'
    return Response(
        raw,
        headers={"Content-Type": "message/rfc822", "Content-Disposition": disposition},
    )


async def v1_part_download(request: Request) -> Response:
    """Top-level part `n` of a multipart message, transfer encoding undone, as an attachment
    made inert in our origin (`part_response`)."""
    message_id = request.path_params["id"]
    raw = await run_in_threadpool(sink_context(request).store.raw, message_id)
    index = request.path_params["n"]
    parts = parse_message(raw).root.children if raw is not None else []
    if not (index.isascii() and index.isdigit()) or int(index) >= len(parts):
        return bare_status(404)
    part = parts[int(index)]
    disposition = f'attachment; filename="{message_id}-part-{index}"'
    return part_response(part.data, part.content_type, disposition)


async def jim(request: Request) -> Response:
    """Jim is never enabled here; MailHog answers 404 for GET, PUT and DELETE then. POST would
    enable it, which cannot happen: 404 too, so a client learns Jim is not available."""
    return bare_status(404)


async def outgoing_smtp(request: Request) -> Response:
    return mailhog_json({}, "application/json")


Endpoint = Callable[[Request], Awaitable[Response]]


def _route(path: str, **endpoints: Endpoint) -> Route:
    """One MailHog path, its endpoints by method; OPTIONS answers an empty 200, as MailHog's
    router does on every API path."""

    async def dispatch(request: Request) -> Response:
        endpoint = endpoints.get("GET" if request.method == "HEAD" else request.method)
        return Response(b"") if endpoint is None else await endpoint(request)

    return Route(path, dispatch, methods=[*endpoints, "OPTIONS"])


def _full_api() -> list[BaseRoute]:
    return [
        _route("/api/v2/messages", GET=v2_messages),
        _route("/api/v2/search", GET=v2_search),
        _route("/api/v2/jim", GET=jim, POST=jim, PUT=jim, DELETE=jim),
        _route("/api/v2/outgoing-smtp", GET=outgoing_smtp),
        _route("/api/v1/messages", GET=v1_messages, DELETE=v1_delete_all),
        _route("/api/v1/messages/{id:str}", GET=v1_message, DELETE=v1_delete),
        _route("/api/v1/messages/{id:str}/download", GET=v1_download),
        _route("/api/v1/messages/{id:str}/mime/part/{n:str}/download", GET=v1_part_download),
        _route("/api/v1/messages/{id:str}/release", POST=release_endpoint),
        *streams.routes,
    ]


routes: list[BaseRoute] = [
    Mount("/mailhog", routes=_full_api()),
    Route("/api/v2/messages", v2_messages, methods=["GET"]),
    Route("/api/v2/search", v2_search, methods=["GET"]),
    Route("/api/v1/messages/{id:str}", v1_delete, methods=["DELETE"]),
    Route("/api/v1/messages/{id:str}/release", release_endpoint, methods=["POST"]),
]
