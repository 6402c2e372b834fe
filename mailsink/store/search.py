"""Mailpit's search query language (reference §5): parsed once, evaluated by each store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str  # placeholder: the store issue's owner replaces this with the parsed terms
