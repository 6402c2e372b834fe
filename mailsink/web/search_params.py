"""Search text from a request (`?query=`, a `Search` body field) as a `SearchQuery`.

Parsing never fails, but a query can be too big to evaluate: thousands of terms would nest
too deep for SQLite. Such a query is refused with a clear 400 instead.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams

from mailsink.store.search import SearchQuery, parse_search_query
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


def query_param(params: QueryParams, extra: str = "") -> SearchQuery | None:
    """The search in `?query=` (plus `extra` terms), in the zone of `?tz=`."""
    return search_query(f"{params.get('query', '')} {extra}", params.get("tz"))
