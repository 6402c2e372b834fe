"""Tag names as Mailpit cleans them (docs/mailpit-api.md, Tags, application and chaos
endpoints), shared by every store.

A tag keeps only `[a-zA-Z0-9 _.@-]` (anything else becomes a space), whitespace is collapsed,
and it is at most 100 characters. Tags are unique case-insensitively, and a tag already in use
keeps its stored spelling: tagging a message `URGENT` when `urgent` exists tags it `urgent`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

MAX_TAG_LENGTH = 100
_INVALID = re.compile(r"[^a-zA-Z0-9\-_.@ ]")


def clean_tag(text: str) -> str:
    """The cleaned tag; "" when nothing usable is left."""
    return " ".join(_INVALID.sub(" ", text).split())[:MAX_TAG_LENGTH].strip()


def tag_sort_key(tag: str) -> tuple[str, str]:
    return tag.lower(), tag


def clean_tags(
    tags: Iterable[str], spelling_in_use: Callable[[str], str | None]
) -> tuple[str, ...]:
    """Cleaned, de-duplicated (case-insensitively) and sorted tags.

    `spelling_in_use(lowered)` gives the stored spelling of a tag already in use, else None.
    """
    chosen: dict[str, str] = {}
    for tag in tags:
        cleaned = clean_tag(tag)
        key = cleaned.lower()
        if cleaned and key not in chosen:
            chosen[key] = spelling_in_use(key) or cleaned
    return tuple(sorted(chosen.values(), key=tag_sort_key))
