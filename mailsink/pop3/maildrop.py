"""A POP3 maildrop: the login's messages, numbered once at login, and those marked deleted.

Numbers stay fixed for the session (RFC 1939): mail that arrives meanwhile is seen at the next
login, and DELE only marks; the marked messages are deleted at QUIT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailsink.message.headers import parse_header_block
from mailsink.store.base import StoredMessage

_LINE_STARTING_WITH_DOT = re.compile(rb"^\.", re.MULTILINE)


class NoSuchMessage(ValueError):
    """A message number that is not a number, out of range or marked deleted."""


@dataclass(slots=True)
class Maildrop:
    messages: list[StoredMessage]
    deleted: set[int] = field(default_factory=set)  # message numbers, from 1

    def message(self, argument: str) -> tuple[int, StoredMessage]:
        if not (argument.isascii() and argument.isdigit()):
            raise NoSuchMessage(f"expected a message number, got {argument!r}")
        number = int(argument)
        if not 1 <= number <= len(self.messages):
            raise NoSuchMessage(f"no message {number}; there are {len(self.messages)}")
        if number in self.deleted:
            raise NoSuchMessage(f"message {number} is marked deleted")
        return number, self.messages[number - 1]

    def listed(self) -> list[tuple[int, StoredMessage]]:
        """The messages not marked deleted, with their numbers."""
        return [
            (number, message)
            for number, message in enumerate(self.messages, start=1)
            if number not in self.deleted
        ]

    def deleted_ids(self) -> list[str]:
        return [self.messages[number - 1].id for number in sorted(self.deleted)]


def multiline(data: bytes) -> bytes:
    """`data` as a multi-line response body: a line starting with "." gets another (the client
    takes it off again), and "." alone ends it. The message's own line breaks are kept, so the
    client gets back exactly the stored bytes."""
    stuffed = _LINE_STARTING_WITH_DOT.sub(b"..", data)
    if stuffed and not stuffed.endswith(b"\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def top(raw: bytes, lines: int) -> bytes:
    """The header block, the blank line and the first `lines` lines of the body (TOP)."""
    _fields, body_start = parse_header_block(raw)
    end = body_start
    for _ in range(lines):
        if end >= len(raw):
            break
        newline = raw.find(b"\n", end)
        end = len(raw) if newline < 0 else newline + 1
    return raw[:end]
