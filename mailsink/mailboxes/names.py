"""Mailbox names: 1 to 64 of `[A-Za-z0-9._-]`, compared exactly (case matters).

The characters are those safe in a URL path segment, a query value, an IMAP folder name and a
log line alike, so a name never needs quoting anywhere it appears.
"""

from __future__ import annotations

import re

DEFAULT_MAILBOX = "default"
MAILBOX_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def is_mailbox_name(text: str) -> bool:
    return MAILBOX_NAME.fullmatch(text) is not None


def check_mailbox_name(text: str) -> str:
    """`text` if it is a valid mailbox name; else ValueError saying what is allowed."""
    if not is_mailbox_name(text):
        raise ValueError(
            f"expected a mailbox name of 1 to 64 letters, digits, '.', '_' or '-', got {text!r}"
        )
    return text
