"""Search text from a request (`?query=`, a `Search` body field) as a `SearchQuery`, and the
mailbox a request is limited to (`?mailbox=NAME`, on every API v1 route).

Parsing never fails, but a query can be too big to evaluate: thousands of terms would nest
too deep for SQLite. Such a query is refused with a clear 400 instead, as is a `?mailbox=`
that is not a mailbox name.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from mailsink.mailboxes.names import is_mailbox_name
from mailsink.store.search import SearchQuery, narrowed_to_mailbox, parse_search_query
from mailsink.web.request_body import BadRequest

MAX_SEARCH_TERMS = 100


def search_query(text: str, tz: str | None) -> SearchQuery | None:
    """The parsed search, or None for empty text; raises BadRequest past `MAX_SEARCH_TERMS`."""
    text = text.strip()
    if not text:
        return None
    query = parse_search_query(text, tz)
    if len(query.terms) > MAX_SEARCH_TERMS:
        raise BadRequest(
            f"the search has {len(query.terms)} terms; at most {MAX_SEARCH_TERMS} are supported"
        )
    return query


def mailbox_param(params: QueryParams) -> str | None:
    """The mailbox of `?mailbox=`; None when absent or empty (every mailbox)."""
    name = params.get("mailbox", "").strip()
    if not name:
        return None
    if not is_mailbox_name(name):
        raise BadRequest(
            f"expected mailbox to be 1 to 64 letters, digits, '.', '_' or '-', got {name!r}"
        )
    return name


def query_param(params: QueryParams, extra: str = "") -> SearchQuery | None:
    """The search in `?query=` (plus `extra` terms), in the zone of `?tz=`, limited to the
    mailbox of `?mailbox=`."""
    query = search_query(f"{params.get('query', '')} {extra}", params.get("tz"))
    return narrowed_to_mailbox(query, mailbox_param(params))
