"""`{ID}` in a message URL: a stored message's ID, or `latest` (the newest match of `?query=`).

Anything else, a `../` included, is simply not found: nothing a URL says is ever used as a path.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from mailsink.message.ids import is_message_id
from mailsink.store.base import Store, StoredMessage
from mailsink.web.search_params import query_param

LATEST = "latest"
LATEST_NOT_FOUND_TEXT = "Message not found"


def resolve_message(
    store: Store, message_id: str, params: QueryParams, *, allow_latest: bool = True
) -> StoredMessage | None:
    """The message `message_id` names; `latest` resolves to the newest match of `?query=`
    (BadRequest for a search too big to run)."""
    if message_id == LATEST and allow_latest:
        newest = store.search(query_param(params), limit=1)
        return newest[0] if newest else None
    if not is_message_id(message_id):
        return None
    return store.get(message_id)
