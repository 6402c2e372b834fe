"""The selected mailbox of an IMAP session: its messages numbered for the session, the flags
the session shows, and the changes still to report to the client.

Changes come from the change hub on whatever thread published them and are handed to the event
loop; they are reported only when the session asks (at NOOP, CHECK, IDLE, EXPUNGE), so that
message numbers never shift under a command that is using them (RFC 3501 §7.4.1).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from mailsink.events import Change, ChangeHub, ChangeKind
from mailsink.imap.syntax import CommandSyntaxError, parse_sequence_set
from mailsink.store.base import StoredMessage

_WATCHED = frozenset(
    {ChangeKind.NEW, ChangeKind.UPDATE, ChangeKind.DELETE, ChangeKind.PRUNE, ChangeKind.TRUNCATE}
)


class SelectedMailbox:
    def __init__(self, mailbox: str, read_only: bool, hub: ChangeHub) -> None:
        self.mailbox = mailbox
        self.read_only = read_only
        self.messages: list[StoredMessage] = []
        self.seen: dict[str, bool] = {}
        self.deleted: set[str] = set()  # IDs flagged \Deleted in this session, until EXPUNGE
        self.changed = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._pending: list[Change] = []
        self._last_seq = 0
        # Subscribed before the messages are read, so that nothing arriving between is missed.
        self._unsubscribe: Callable[[], None] = hub.subscribe(self._on_change)

    def load(self, messages: list[StoredMessage]) -> None:
        self.messages = list(messages)
        self.seen = {m.id: m.read for m in messages}
        self._last_seq = max((m.seq for m in messages), default=0)

    def close(self) -> None:
        self._unsubscribe()

    def _on_change(self, change: Change) -> None:  # on the publishing thread
        if change.kind in _WATCHED:
            self._loop.call_soon_threadsafe(self._arrive, change)

    def _arrive(self, change: Change) -> None:
        self._pending.append(change)
        self.changed.set()

    @property
    def largest_uid(self) -> int:
        return self.messages[-1].seq if self.messages else 0

    @property
    def uid_next(self) -> int:
        return max(self.largest_uid, self._last_seq) + 1

    def first_unseen(self) -> int | None:
        for number, message in enumerate(self.messages, start=1):
            if not self.seen[message.id]:
                return number
        return None

    def flags(self, message: StoredMessage) -> bytes:
        flags = []
        if self.seen.get(message.id):
            flags.append(b"\\Seen")
        if message.id in self.deleted:
            flags.append(b"\\Deleted")
        return b"(" + b" ".join(flags) + b")"

    def chosen(self, sequence_set: str, by_uid: bool) -> list[tuple[int, StoredMessage]]:
        """The messages a sequence set names, with their numbers, in order. UIDs that are not
        here are skipped (RFC 3501); message numbers beyond the last are an error. Found by
        bisection: a one-message UID FETCH costs the same in a mailbox of 10 or 100,000."""
        count = len(self.messages)
        positions: set[int] = set()
        if by_uid:
            uids = [m.seq for m in self.messages]  # ascending: messages are in Seq order
            for low, high in parse_sequence_set(sequence_set, self.largest_uid).ranges:
                positions.update(range(bisect_left(uids, low), bisect_right(uids, high)))
        else:
            numbers = parse_sequence_set(sequence_set, count)
            if numbers.highest() > count:
                raise CommandSyntaxError(f"no message {numbers.highest()}: the mailbox has {count}")
            for low, high in numbers.ranges:
                positions.update(range(low - 1, high))
        return [(position + 1, self.messages[position]) for position in sorted(positions)]

    def expunged(self, ids: set[str]) -> bytes:
        """Take these messages out, with the `* n EXPUNGE` lines that tell the client."""
        lines = []
        kept: list[StoredMessage] = []
        for message in self.messages:
            if message.id in ids:
                lines.append(b"* %d EXPUNGE\r\n" % (len(kept) + 1))
                self.seen.pop(message.id, None)
                self.deleted.discard(message.id)
            else:
                kept.append(message)
        self.messages = kept
        return b"".join(lines)

    def updates(self) -> bytes:
        """What changed since the last call, as untagged responses: EXPUNGE for messages
        deleted elsewhere, FETCH FLAGS for read flags changed elsewhere, EXISTS for new mail."""
        pending, self._pending = self._pending, []
        self.changed.clear()
        arrived: list[StoredMessage] = []
        removed: set[str] = set()
        flagged: dict[str, bool] = {}
        for change in pending:
            if change.kind is ChangeKind.NEW and change.message is not None:
                message = change.message
                if message.envelope.mailbox == self.mailbox and message.seq > self._last_seq:
                    arrived.append(message)
                    self._last_seq = message.seq
            elif change.kind is ChangeKind.UPDATE and change.read is not None:
                flagged.update(dict.fromkeys(change.ids, change.read))
            elif change.kind is ChangeKind.TRUNCATE:
                removed.update(m.id for m in (*self.messages, *arrived))
            else:
                removed.update(change.ids)
        out = [self.expunged(removed)]
        for number, message in enumerate(self.messages, start=1):
            read = flagged.get(message.id)
            if read is not None and read != self.seen[message.id]:
                self.seen[message.id] = read
                out.append(b"* %d FETCH (FLAGS %s)\r\n" % (number, self.flags(message)))
        arrived = [m for m in arrived if m.id not in removed]
        if arrived:
            self.messages += arrived
            self.seen.update((m.id, flagged.get(m.id, m.read)) for m in arrived)
            out.append(b"* %d EXISTS\r\n" % len(self.messages))
        return b"".join(out)
