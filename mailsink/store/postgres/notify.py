"""Changes between nodes: each write transaction NOTIFYs what it changed, and every node
LISTENs and publishes the other nodes' changes on its own `ChangeHub`.

A notification says only what changed, in a few bytes (PostgreSQL allows 8,000 a payload):
the kind, the writing node, and the Seqs (new messages) or IDs (the rest) with their mailbox
(changes are published per mailbox), a long list cut into several notifications. The listener
reads the rest from the database: the new messages, and the tags set when they are too many to
send along (the tags as of that read, not as of the change). NOTIFY is transactional:
it is delivered when the transaction commits and not at all if it rolls back, so a node never
hears of a change it cannot read.

    {"node": "3f2a…", "kind": "new", "seqs": [41, 42]}
    {"node": "3f2a…", "kind": "update", "ids": ["…"], "mailbox": "team-a", "read": true}
    {"node": "3f2a…", "kind": "update", "ids": ["…"], "mailbox": "team-a", "tags": ["red"]}
    {"node": "3f2a…", "kind": "update", "ids": ["…"], "mailbox": "team-a", "tags": true}
    {"node": "3f2a…", "kind": "delete" | "prune", "ids": ["…"], "mailbox": "team-a"}
    {"node": "3f2a…", "kind": "truncate"}

A node ignores its own notifications (it published those changes itself, at commit). When
the listening connection breaks, the listener connects again and publishes an empty PRUNE,
which makes every view reload, since changes may have been missed meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import psycopg

from mailsink.events import Change, ChangeHub, ChangeKind
from mailsink.store.base import StoredMessage

log = logging.getLogger(__name__)

CHANNEL = "mailsink_changes"
LISTENER_APPLICATION_NAME = "mailsink listener"  # in pg_stat_activity
IDS_PER_NOTIFICATION = 100  # 22-character IDs: about 2,500 bytes
SEQS_PER_NOTIFICATION = 500
# Tags whose JSON fits in this many bytes travel with the change (with 100 IDs, well under the
# 8,000-byte payload); more are read from the database by the listening node.
TAGS_INLINE_BYTES = 4000
_STOP = "stop"  # a node's own notification that tells its listener to end
_RECONNECT_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
_IDLE_CHECK_SECONDS = 1.0  # how often the listener looks at its stop flag without a wake-up


def notifications(node: str, changes: Sequence[Change]) -> list[str]:
    """The NOTIFY payloads that tell other nodes about `changes` (the NEW changes that follow
    each other as one: a batch of adds is one notification, not hundreds)."""
    payloads: list[str] = []
    new_seqs: list[int] = []

    def flush_new() -> None:
        for start in range(0, len(new_seqs), SEQS_PER_NOTIFICATION):
            chunk = new_seqs[start : start + SEQS_PER_NOTIFICATION]
            payloads.append(_payload(node, "new", seqs=chunk))
        new_seqs.clear()

    for change in changes:
        if change.kind is ChangeKind.NEW:
            assert change.message is not None
            new_seqs.append(change.message.seq)
            continue
        flush_new()
        if change.kind is ChangeKind.TRUNCATE:
            payloads.append(_payload(node, change.kind.value))
            continue
        extra: dict[str, Any] = {}
        if change.mailbox is not None:
            extra["mailbox"] = change.mailbox
        if change.read is not None:
            extra["read"] = change.read
        if change.tags is not None:
            fits = len(json.dumps(change.tags)) <= TAGS_INLINE_BYTES
            extra["tags"] = list(change.tags) if fits else True
        ids = list(change.ids)
        for start in range(0, max(len(ids), 1), IDS_PER_NOTIFICATION):
            chunk = ids[start : start + IDS_PER_NOTIFICATION]
            payloads.append(_payload(node, change.kind.value, ids=chunk, **extra))
    flush_new()
    return payloads


def _payload(node: str, kind: str, **fields: Any) -> str:
    return json.dumps({"node": node, "kind": kind, **fields}, separators=(",", ":"))


ReadMessages = Callable[[list[int]], list[StoredMessage]]  # Seqs → stored, in Seq order
ReadTags = Callable[[list[str]], dict[str, tuple[str, ...]]]  # IDs → their tags now


class Listener:
    """A thread that LISTENs on its own connection and publishes other nodes' changes."""

    def __init__(
        self,
        conninfo: str,
        node: str,
        hub: ChangeHub,
        read_messages: ReadMessages,
        read_tags: ReadTags,
    ) -> None:
        self._conninfo = conninfo
        self._node = node
        self._hub = hub
        self._read_messages = read_messages
        self._read_tags = read_tags
        self._stopping = threading.Event()
        # Listening before the constructor returns: no change committed after it is missed.
        self._db: psycopg.Connection | None = self._listen()
        self._thread = threading.Thread(
            target=self._run, name=f"mailsink-postgres-listener {node}", daemon=True
        )
        self._thread.start()

    def stop(self, wake: Callable[[str], None]) -> None:
        """End the thread; `wake(payload)` NOTIFYs the stop payload so that it ends at once
        (if that fails, it ends within `_IDLE_CHECK_SECONDS`)."""
        self._stopping.set()
        with contextlib.suppress(psycopg.Error):
            wake(_payload(self._node, _STOP))
        self._thread.join()

    def _listen(self) -> psycopg.Connection:
        db = psycopg.connect(
            self._conninfo, autocommit=True, application_name=LISTENER_APPLICATION_NAME
        )
        db.execute(f"LISTEN {CHANNEL}")
        return db

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                if self._db is None:
                    self._db = self._listen()
                    log.info("listening for other nodes' changes again")
                    self._hub.publish(Change(ChangeKind.PRUNE))  # anything may have changed
                failures = 0
                for payload in self._payloads(self._db):
                    self._announce(payload)
            except psycopg.Error as error:
                delay = _RECONNECT_SECONDS[min(failures, len(_RECONNECT_SECONDS) - 1)]
                log.warning(
                    "listening for other nodes' changes failed (%s); again in %gs", error, delay
                )
                failures += 1
                self._close_db()
                self._stopping.wait(delay)
        self._close_db()

    def _payloads(self, db: psycopg.Connection) -> Iterator[str]:
        while not self._stopping.is_set():
            for notification in db.notifies(timeout=_IDLE_CHECK_SECONDS):
                yield notification.payload
                if self._stopping.is_set():
                    return

    def _close_db(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _announce(self, payload: str) -> None:
        """Publish the changes `payload` tells of; a failure loses those, never the thread."""
        try:
            self._handle(payload)
        except psycopg.OperationalError:
            raise  # the connection: listen again
        except Exception:
            log.exception("could not announce another node's change %.100r", payload)

    def _handle(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            node, kind = data["node"], data["kind"]
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a notification that is not mailsink's: %.100r", payload)
            return
        if node == self._node:
            if kind == _STOP:
                self._stopping.set()
            return
        for change in self._changes(kind, data):
            self._hub.publish(change)

    def _changes(self, kind: str, data: dict[str, Any]) -> list[Change]:
        ids = tuple(data.get("ids", ()))
        mailbox = data.get("mailbox")
        match kind:
            case "new":
                return [
                    Change(
                        ChangeKind.NEW,
                        ids=(stored.id,),
                        message=stored,
                        mailbox=stored.envelope.mailbox,
                    )
                    for stored in self._read_messages(list(data["seqs"]))
                ]
            case "update" if isinstance(data.get("tags"), list):
                tags = tuple(data["tags"])
                return [Change(ChangeKind.UPDATE, ids=ids, tags=tags, mailbox=mailbox)]
            case "update" if data.get("tags"):
                by_tags: dict[tuple[str, ...], list[str]] = {}
                for message_id, tags in self._read_tags(list(ids)).items():
                    by_tags.setdefault(tags, []).append(message_id)
                return [
                    Change(ChangeKind.UPDATE, ids=tuple(group), tags=tags, mailbox=mailbox)
                    for tags, group in by_tags.items()
                ]
            case "update":
                read = bool(data.get("read"))
                return [Change(ChangeKind.UPDATE, ids=ids, read=read, mailbox=mailbox)]
            case "delete" | "prune" | "truncate":
                return [Change(ChangeKind(kind), ids=ids, mailbox=mailbox)]
        log.warning("ignored a notification of an unknown kind: %.100r", kind)
        return []
