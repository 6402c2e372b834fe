"""The Store protocol: one small interface, several implementations (memory, SQLite).

Reads are synchronous and thread-safe (the HTTP layer runs them in worker threads, the pytest
view from the test's thread). `add` returns a future that completes once the message is durable
(for stores that persist) and indexed, and after its NEW change is published: the SMTP layer
sends `250` only then (docs/interface.md, Visible and durable when acknowledged).
Every change is published on the `ChangeHub` given to the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from mailsink.message.envelope import Envelope
from mailsink.message.spool import MessageBytes, Spool
from mailsink.message.summary import MessageSummary
from mailsink.store.search import SearchQuery


class StoreUnavailable(RuntimeError):
    """The store cannot be opened: its database cannot be reached, refuses this mailsink, or
    is not one it can use. The text is one line naming the database (never its password), for
    `mailsink` to print as its last word."""


class TagError(ValueError):
    """A tag rename or delete that cannot be done; the text is Mailpit's 400 answer
    (`tag not found: x`, `tag already exists: x`, `invalid tag name: x`)."""


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message as ingest hands it to the store: ID chosen, bytes exact, summary parsed.

    `spooled`: the file of the store's `spool` that `raw` is mapped from, when it was written
    there as it arrived; the store may link it under a name of its own instead of writing
    `raw`, and must not keep `raw` itself (the mapping is closed once the message is stored).
    """

    id: str
    raw: MessageBytes
    envelope: Envelope
    summary: MessageSummary
    spooled: Path | None = None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A stored message's metadata (everything but the raw bytes)."""

    id: str
    seq: int  # monotonically increasing, never reused
    size: int  # len(raw)
    envelope: Envelope
    summary: MessageSummary
    read: bool = False
    tags: tuple[str, ...] = field(default=())  # sorted case-insensitively

    @property
    def received(self) -> datetime:
        return self.envelope.received


@dataclass(frozen=True, slots=True)
class MailboxCounts:
    total: int
    unread: int


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    """One mailbox that holds mail: its counts and its newest message's arrival."""

    name: str
    total: int
    unread: int
    newest: datetime


class Store(Protocol):
    def add(self, message: NewMessage) -> Future[StoredMessage]:
        """Store, index and announce a message; the future completes when that is done."""
        ...

    def spool(self) -> Spool | None:
        """Where SMTP may write a large message as it arrives (`NewMessage.spooled`), or
        None: then every message comes as bytes in memory."""
        ...

    def add_now(self, messages: Sequence[NewMessage]) -> list[StoredMessage] | None:
        """Store, index and announce `messages` in the calling thread, if that needs no wait
        for other writes; else None, nothing is stored, and `add` is the way. For callers
        that would otherwise wait on `add`'s futures one by one (the event loop's ingest)."""
        ...

    def get(self, message_id: str) -> StoredMessage | None: ...

    def raw(self, message_id: str) -> bytes | None:
        """The exact stored bytes."""
        ...

    def search(
        self,
        query: SearchQuery | None = None,
        *,
        offset: int = 0,
        limit: int | None = 50,
        after_seq: int | None = None,
        oldest_first: bool = False,
    ) -> list[StoredMessage]:
        """Matching messages, newest first (by Seq) unless `oldest_first`; `limit=None` = all."""
        ...

    def count(self, query: SearchQuery | None = None) -> MailboxCounts:
        """Total and unread among the messages matching `query` (all messages when None)."""
        ...

    def delete(self, message_ids: Iterable[str]) -> list[str]:
        """Delete these messages (unknown IDs ignored); returns the IDs actually deleted."""
        ...

    def delete_all(self, mailbox: str | None = None) -> None:
        """Delete every message, or every message of one mailbox. Everything: one TRUNCATE
        change; one mailbox: a DELETE change of its IDs (other mailboxes' views keep theirs)."""
        ...

    def mailboxes(self) -> list[MailboxStatus]:
        """Every mailbox holding mail, ordered by name (what a mailbox switcher shows)."""
        ...

    def set_read(self, message_ids: Iterable[str] | None, read: bool) -> list[str]:
        """Set the read flag (`None` = every message); returns the IDs whose flag changed."""
        ...

    def set_tags(self, message_ids: Iterable[str], tags: Iterable[str]) -> None:
        """Replace the tags of these messages (tags cleaned as Mailpit cleans them)."""
        ...

    def tags(self) -> dict[str, int]:
        """Every tag in use and how many messages carry it, ordered by name case-insensitively."""
        ...

    def rename_tag(self, old: str, new: str) -> None:
        """Rename a tag on every message (`old` matched case-insensitively); raises `TagError`."""
        ...

    def delete_tag(self, tag: str) -> None:
        """Remove a tag from every message (messages kept); raises `TagError` if unknown."""
        ...

    def prune(
        self,
        *,
        max_count: int = 0,
        older_than: datetime | None = None,
        mailbox: str | None = None,
    ) -> list[str]:
        """Retention: delete the oldest beyond `max_count` and those received before
        `older_than`, among all messages or those of `mailbox`; returns the deleted IDs
        (published as one PRUNE change)."""
        ...

    def size_on_disk(self) -> int:
        """Bytes the store occupies on disk (0 for memory)."""
        ...

    def close(self) -> None:
        """Finish pending writes and release resources; further calls are errors."""
        ...
