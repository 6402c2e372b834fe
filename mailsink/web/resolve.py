"""`{ID}` in a message URL: a stored message's ID, or `latest` (the newest match of `?query=`).

Anything else, a `../` included, is simply not found: nothing a URL says is ever used as a path.
The endpoints raise `NotFound`, which the app answers with a 404 and its text.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.requests import Request

from mailsink.message.ids import is_message_id
from mailsink.message.mime import ParsedMessage
from mailsink.store.base import Store, StoredMessage
from mailsink.web.mailpit.message_json import load_parsed
from mailsink.web.request_context import sink_context
from mailsink.web.responses import NOT_FOUND_TEXT
from mailsink.web.search_params import mailbox_param, query_param

LATEST = "latest"
LATEST_NOT_FOUND_TEXT = "Message not found"


class NotFound(Exception):
    """Answered with 404 and `str(error)`: Mailpit's `404 page not found` unless told."""

    def __init__(self, text: str = NOT_FOUND_TEXT) -> None:
        super().__init__(text)


def resolve_message(
    store: Store, message_id: str, params: QueryParams, *, allow_latest: bool = True
) -> StoredMessage | None:
    """The message `message_id` names; `latest` resolves to the newest match of `?query=`
    (BadRequest for a search too big to run). With `?mailbox=`, only a message filed there."""
    if message_id == LATEST and allow_latest:
        newest = store.search(query_param(params), limit=1)
        return newest[0] if newest else None
    if not is_message_id(message_id):
        return None
    stored = store.get(message_id)
    mailbox = mailbox_param(params)
    if stored is None or mailbox in (None, stored.envelope.mailbox):
        return stored
    return None


def requested_message(request: Request, *, allow_latest: bool = True) -> StoredMessage:
    """The message of the `{id}` path parameter; `NotFound` with Mailpit's text if none."""
    message_id = request.path_params["id"]
    store = sink_context(request).store
    stored = resolve_message(store, message_id, request.query_params, allow_latest=allow_latest)
    if stored is None:
        latest = message_id == LATEST and allow_latest
        raise NotFound(LATEST_NOT_FOUND_TEXT if latest else NOT_FOUND_TEXT)
    return stored


def requested_parsed(request: Request) -> tuple[StoredMessage, ParsedMessage]:
    """The requested message and its parsed MIME tree."""
    stored = requested_message(request)
    parsed = load_parsed(sink_context(request).store, stored.id)
    if parsed is None:  # deleted since it was looked up
        raise NotFound()
    return stored, parsed
