"""The change-event hub: every view (WebSocket, UI, pytest waits) learns of changes here.

Nobody polls. The store publishes after a change is committed (so a subscriber that reads the
store on an event sees the change); the SMTP layer publishes rejected sessions as `ERROR`.
Subscribers are plain callables run on the publishing thread (the SQLite writer thread, or the
event loop): they must be quick and thread-safe, e.g. `loop.call_soon_threadsafe(...)` or
`condition.notify_all()`. An exception in one subscriber is logged and never reaches the
publisher or the other subscribers.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailsink.store.base import StoredMessage

log = logging.getLogger(__name__)


class ChangeKind(enum.Enum):
    NEW = "new"  # message: the stored message
    UPDATE = "update"  # ids, and read and/or tags: what changed
    DELETE = "delete"  # ids: the deleted messages
    TRUNCATE = "truncate"  # every message deleted
    PRUNE = "prune"  # ids (may be empty): retention, tag rename/delete, bulk delete
    ERROR = "error"  # error: a rejected SMTP session or command


# A change to messages of several mailboxes is published as one change per mailbox, each with
# `mailbox` set, so that a view of one mailbox (a WebSocket subscriber, an IMAP session) can
# pass on exactly its own changes without looking the IDs up.


@dataclass(frozen=True, slots=True)
class SmtpIncident:
    """Why an SMTP client was refused, as Mailpit's `error` event shows it."""

    level: str  # "error" or "warning"
    type: str  # "smtpd"
    ip: str
    message: str


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    ids: tuple[str, ...] = ()
    message: StoredMessage | None = None
    read: bool | None = None
    tags: tuple[str, ...] | None = None
    error: SmtpIncident | None = None
    mailbox: str | None = None  # the mailbox of every ID (and of NEW's message); None: all

    def concerns(self, mailbox: str | None) -> bool:
        """Whether a view of `mailbox` (None: a view of every mailbox) hears of this change."""
        return mailbox is None or self.mailbox is None or self.mailbox == mailbox


def changes_by_mailbox(
    kind: ChangeKind,
    messages: Iterable[tuple[str, str]],
    *,
    read: bool | None = None,
    tags: tuple[str, ...] | None = None,
) -> list[Change]:
    """One change of `kind` per mailbox for these (ID, mailbox) pairs; none for no pairs."""
    by_mailbox: dict[str, list[str]] = {}
    for message_id, mailbox in messages:
        by_mailbox.setdefault(mailbox, []).append(message_id)
    return [
        Change(kind, ids=tuple(ids), read=read, tags=tags, mailbox=mailbox)
        for mailbox, ids in by_mailbox.items()
    ]


Subscriber = Callable[[Change], None]


class ChangeHub:
    """Fan-out of `Change`s to subscribers; safe to publish and subscribe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns the function that removes it again."""
        with self._lock:
            self._subscribers = (*self._subscribers, subscriber)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not subscriber)

        return unsubscribe

    def publish(self, change: Change) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(change)
            except Exception:
                log.exception("change subscriber %r failed on %s", subscriber, change.kind)
