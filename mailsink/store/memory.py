"""The memory store: everything in dicts, for tests and `--store memory`.

One lock guards all state, and changes are published while it is held, so subscribers see
changes in the order they were made. Messages live in a dict in insertion (= Seq) order, which
gives newest-first listing by iterating it backwards; search evaluates `matches` per message.
Each mailbox keeps its IDs in the same order and its unread count, so one mailbox is listed
without looking at the others' messages, and counted without looking at any.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Reversible, Sequence
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from itertools import islice

from mailsink.events import Change, ChangeHub, ChangeKind, changes_by_mailbox
from mailsink.message.spool import as_bytes
from mailsink.store.base import (
    MailboxCounts,
    MailboxStatus,
    NewMessage,
    StoredMessage,
    TagError,
)
from mailsink.store.dates import to_unix_ms
from mailsink.store.search import MailboxTerm, SearchQuery, matches
from mailsink.store.tags import clean_tag, clean_tags, tag_sort_key


class MemoryStore:
    def __init__(self, hub: ChangeHub) -> None:
        self._hub = hub
        self._lock = threading.RLock()
        self._messages: dict[str, StoredMessage] = {}
        self._raw: dict[str, bytes] = {}
        self._by_mailbox: dict[str, dict[str, None]] = {}  # mailbox → its IDs, in Seq order
        self._unread: Counter[str] = Counter()  # mailbox → unread messages
        self._tag_spellings: dict[str, str] = {}  # lower-cased tag → spelling in use
        self._tag_counts: Counter[str] = Counter()  # lower-cased tag → messages carrying it
        self._last_seq = 0
        self._closed = False

    def add(self, message: NewMessage) -> Future[StoredMessage]:
        future: Future[StoredMessage] = Future()
        with self._lock:
            self._check_open()
            if message.id in self._messages:
                future.set_exception(ValueError(f"message ID {message.id!r} is already stored"))
                return future
            self._last_seq += 1
            tags = clean_tags(message.summary.tags, self._tag_spellings.get)
            stored = StoredMessage(
                id=message.id,
                seq=self._last_seq,
                size=len(message.raw),
                envelope=message.envelope,
                summary=message.summary,
                tags=tags,
            )
            self._messages[stored.id] = stored
            self._by_mailbox.setdefault(stored.envelope.mailbox, {})[stored.id] = None
            self._unread[stored.envelope.mailbox] += 1
            self._raw[stored.id] = as_bytes(message.raw)
            self._count_tags(tags, 1)
            self._hub.publish(
                Change(
                    ChangeKind.NEW,
                    ids=(stored.id,),
                    message=stored,
                    mailbox=stored.envelope.mailbox,
                )
            )
        future.set_result(stored)
        return future

    def spool(self) -> None:
        return None  # the bytes are kept in memory anyway

    def add_now(self, messages: Sequence[NewMessage]) -> list[StoredMessage] | None:
        with self._lock:
            ids = {message.id for message in messages}
            if len(ids) < len(messages) or not ids.isdisjoint(self._messages):
                return None  # `add` gives each its own answer
            return [self.add(message).result() for message in messages]

    def get(self, message_id: str) -> StoredMessage | None:
        with self._lock:
            self._check_open()
            return self._messages.get(message_id)

    def raw(self, message_id: str) -> bytes | None:
        with self._lock:
            self._check_open()
            return self._raw.get(message_id)

    def search(
        self,
        query: SearchQuery | None = None,
        *,
        offset: int = 0,
        limit: int | None = 50,
        after_seq: int | None = None,
        oldest_first: bool = False,
    ) -> list[StoredMessage]:
        with self._lock:
            self._check_open()
            found = self._matching(query, after_seq, oldest_first)
            # islice takes no bound past sys.maxsize; a page that far holds nothing anyway.
            start = min(max(offset, 0), sys.maxsize)
            stop = None if limit is None else min(start + max(limit, 0), sys.maxsize)
            return list(islice(found, start, stop))

    def count(self, query: SearchQuery | None = None) -> MailboxCounts:
        with self._lock:
            self._check_open()
            if query is None or not query.terms:
                return MailboxCounts(len(self._messages), self._unread.total())
            match query.terms:
                case (MailboxTerm(name, negated=False),):
                    return MailboxCounts(len(self._by_mailbox.get(name, ())), self._unread[name])
            total = unread = 0
            for stored in self._matching(query, None, oldest_first=True):
                total += 1
                unread += not stored.read
            return MailboxCounts(total, unread)

    def delete(self, message_ids: Iterable[str]) -> list[str]:
        with self._lock:
            self._check_open()
            deleted = self._remove(message_ids)
            self._publish_by_mailbox(ChangeKind.DELETE, deleted)
            return [stored.id for stored in deleted]

    def delete_all(self, mailbox: str | None = None) -> None:
        with self._lock:
            self._check_open()
            if mailbox is not None:
                filed = [s.id for s in self._messages.values() if s.envelope.mailbox == mailbox]
                self._publish_by_mailbox(ChangeKind.DELETE, self._remove(filed))
                return
            self._messages.clear()
            self._raw.clear()
            self._by_mailbox.clear()
            self._unread.clear()
            self._tag_spellings.clear()
            self._tag_counts.clear()
            self._hub.publish(Change(ChangeKind.TRUNCATE))

    def mailboxes(self) -> list[MailboxStatus]:
        with self._lock:
            self._check_open()
            return [
                MailboxStatus(
                    name,
                    len(ids),
                    self._unread[name],
                    self._messages[next(reversed(ids))].received,
                )
                for name, ids in sorted(self._by_mailbox.items())
            ]

    def set_read(self, message_ids: Iterable[str] | None, read: bool) -> list[str]:
        with self._lock:
            self._check_open()
            candidates = self._messages.keys() if message_ids is None else message_ids
            changed = [
                message_id
                for message_id in dict.fromkeys(candidates)
                if (stored := self._messages.get(message_id)) is not None and stored.read != read
            ]
            for message_id in changed:
                stored = self._messages[message_id] = replace(self._messages[message_id], read=read)
                self._unread[stored.envelope.mailbox] += -1 if read else 1
            self._publish_by_mailbox(ChangeKind.UPDATE, changed, read=read)
            return changed

    def set_tags(self, message_ids: Iterable[str], tags: Iterable[str]) -> None:
        with self._lock:
            self._check_open()
            cleaned = clean_tags(tags, self._tag_spellings.get)
            targets = [i for i in dict.fromkeys(message_ids) if i in self._messages]
            for message_id in targets:
                self._retag(message_id, cleaned)
            self._publish_by_mailbox(ChangeKind.UPDATE, targets, tags=cleaned)

    def tags(self) -> dict[str, int]:
        with self._lock:
            self._check_open()
            names = sorted(self._tag_spellings.values(), key=tag_sort_key)
            return {name: self._tag_counts[name.lower()] for name in names}

    def rename_tag(self, old: str, new: str) -> None:
        with self._lock:
            self._check_open()
            current = self._existing_tag(old)
            renamed = clean_tag(new)
            if not renamed:
                raise TagError(f"invalid tag name: {new}")
            if renamed.lower() != current.lower() and renamed.lower() in self._tag_spellings:
                raise TagError(f"tag already exists: {new}")
            self._replace_tag(current, renamed)

    def delete_tag(self, tag: str) -> None:
        with self._lock:
            self._check_open()
            self._replace_tag(self._existing_tag(tag), None)

    def prune(
        self,
        *,
        max_count: int = 0,
        older_than: datetime | None = None,
        mailbox: str | None = None,
    ) -> list[str]:
        with self._lock:
            self._check_open()
            candidates = [
                s for s in self._messages.values() if mailbox in (None, s.envelope.mailbox)
            ]
            doomed: list[str] = []
            if older_than is not None:
                bound = to_unix_ms(older_than)
                doomed += [s.id for s in candidates if to_unix_ms(s.received) < bound]
            excess = len(candidates) - len(doomed) - max_count
            if max_count > 0 and excess > 0:
                expired = set(doomed)
                doomed += islice((s.id for s in candidates if s.id not in expired), excess)
            deleted = self._remove(doomed)
            self._publish_by_mailbox(ChangeKind.PRUNE, deleted)
            return [stored.id for stored in deleted]

    def size_on_disk(self) -> int:
        return 0

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._messages.clear()
            self._raw.clear()
            self._by_mailbox.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the message store is closed")

    def _matching(
        self, query: SearchQuery | None, after_seq: int | None, oldest_first: bool
    ) -> Iterator[StoredMessage]:
        ids: Reversible[str] = self._messages
        for term in query.terms if query is not None else ():
            if isinstance(term, MailboxTerm) and not term.negated:  # only its IDs can match
                ids = self._by_mailbox.get(term.name, {})
        ordered = ids if oldest_first else reversed(ids)
        for message_id in ordered:
            stored = self._messages[message_id]
            if after_seq is not None and stored.seq <= after_seq:
                if oldest_first:
                    continue
                return
            if matches(query, stored):
                yield stored

    def _remove(self, message_ids: Iterable[str]) -> list[StoredMessage]:
        deleted = []
        for message_id in dict.fromkeys(message_ids):
            stored = self._messages.pop(message_id, None)
            if stored is not None:
                del self._raw[message_id]
                mailbox = stored.envelope.mailbox
                del self._by_mailbox[mailbox][message_id]
                self._unread[mailbox] -= not stored.read
                if not self._by_mailbox[mailbox]:
                    del self._by_mailbox[mailbox], self._unread[mailbox]
                self._count_tags(stored.tags, -1)
                deleted.append(stored)
        return deleted

    def _publish_by_mailbox(
        self,
        kind: ChangeKind,
        messages: Iterable[StoredMessage | str],
        *,
        read: bool | None = None,
        tags: tuple[str, ...] | None = None,
    ) -> None:
        """One change per mailbox for these messages (given as removed ones, or stored IDs)."""
        stored = [self._messages[m] if isinstance(m, str) else m for m in messages]
        pairs = [(message.id, message.envelope.mailbox) for message in stored]
        for change in changes_by_mailbox(kind, pairs, read=read, tags=tags):
            self._hub.publish(change)

    def _count_tags(self, tags: Iterable[str], delta: int) -> None:
        for tag in tags:
            key = tag.lower()
            self._tag_counts[key] += delta
            if self._tag_counts[key] > 0:
                self._tag_spellings.setdefault(key, tag)
            else:
                del self._tag_counts[key]
                del self._tag_spellings[key]

    def _retag(self, message_id: str, tags: tuple[str, ...]) -> None:
        stored = self._messages[message_id]
        self._count_tags(stored.tags, -1)
        self._count_tags(tags, 1)
        self._messages[message_id] = replace(stored, tags=tags)

    def _existing_tag(self, name: str) -> str:
        spelling = self._tag_spellings.get(name.lower())
        if spelling is None:
            raise TagError(f"tag not found: {name}")
        return spelling

    def _replace_tag(self, current: str, replacement: str | None) -> None:
        """Rename `current` to `replacement` (or remove it when None) on every message."""
        key = current.lower()
        affected = [s.id for s in self._messages.values() if key in (t.lower() for t in s.tags)]
        for message_id in affected:
            others = [t for t in self._messages[message_id].tags if t.lower() != key]
            if replacement is not None:
                others.append(replacement)
            self._retag(message_id, tuple(sorted(others, key=tag_sort_key)))
        if replacement is not None and affected:
            self._tag_spellings[replacement.lower()] = replacement
        self._hub.publish(Change(ChangeKind.PRUNE, ids=tuple(affected)))
