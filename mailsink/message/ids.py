"""Message IDs: 22 characters of [0-9A-Za-z], 128 random bits in base 62 (Mailpit's format)."""

from __future__ import annotations

import os
import re

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
MESSAGE_ID_PATTERN = re.compile(r"[0-9A-Za-z]{22}")


def new_message_id() -> str:
    n = int.from_bytes(os.urandom(16))
    digits = []
    while n:
        n, r = divmod(n, 62)
        digits.append(_ALPHABET[r])
    return "".join(reversed(digits)).rjust(22, "0")


def is_message_id(text: str) -> bool:
    return MESSAGE_ID_PATTERN.fullmatch(text) is not None
