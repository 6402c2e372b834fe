"""The SQLite store: WAL, one writer thread with group commit, pooled reader connections.

Every write (adds and every other change) is a job on one queue. The writer thread takes all
jobs queued, runs them in one transaction (a savepoint each, so one failing job fails alone),
commits, publishes their changes, then completes their futures. So an acknowledged message is
durable (WAL with `synchronous=NORMAL` survives a killed process), indexed and announced, and
a burst of messages costs one commit, not one per message.

`add_now` is the one exception: the event loop's ingest hands it the small messages that
finished in one loop iteration, and when the writer is idle they are committed right there,
with no trip to the writer thread and back (two thread switches, and GIL hand-offs with the
loop, which cost more than the commit on a busy core). The connection's lock keeps the two
paths apart; whatever cannot go at once goes by the queue.

Readers borrow a connection from a pool and read in their own transaction; in WAL mode they
never wait for the writer. Nothing but the current page of results is held in Python memory.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from mailsink.events import Change, ChangeHub, ChangeKind
from mailsink.store import sqlite_search
from mailsink.store.base import MailboxCounts, NewMessage, StoredMessage, TagError
from mailsink.store.codec import (
    envelope_from_json,
    envelope_to_json,
    summary_from_json,
    summary_to_json,
)
from mailsink.store.dates import to_unix_ms
from mailsink.store.search import SearchQuery, TextTerm, field_text
from mailsink.store.sqlite_checkpointer import Checkpointer
from mailsink.store.sqlite_raw import RAW_IN_FILE_ABOVE, RawFiles, WriterConnection
from mailsink.store.sqlite_schema import TEXT_COLUMNS, check_sqlite_features, migrate
from mailsink.store.sqlite_search import (
    TEXT_COLUMN,
    TRIGRAM,
    CompiledQuery,
    compile_query,
)
from mailsink.store.tags import clean_tag, clean_tags, tag_sort_key

T = TypeVar("T")
C = TypeVar("C", bound=sqlite3.Connection)
Outcome = tuple[T, Sequence[Change]]  # what a job returns, and the changes to publish

MAX_BATCH = 1000  # jobs per transaction
# The WAL is copied into the database after about this much was written (SQLite's automatic
# checkpoint: 1,000 pages of 4 KiB), counting each message as its size plus `_JOB_WAL_BYTES`
# for the pages of rows and indexes it changes.
CHECKPOINT_AFTER_BYTES = 4 * 1024 * 1024
_JOB_WAL_BYTES = 16 * 1024
WRITER_CACHE_KIB = 16 * 1024
_FIELD_OF_COLUMN = {column: field for field, column in TEXT_COLUMN.items()}
_TEXT_FIELDS = [_FIELD_OF_COLUMN[column] for column in TEXT_COLUMNS]
_TEXT_NAMES, _TEXT_MARKS = ", ".join(TEXT_COLUMNS), ", ?" * len(TEXT_COLUMNS)
_CHUNK = 500  # IDs per "IN (...)" list
_TRIGRAM_SAMPLE = 12  # trigrams of a value that `_candidates` looks up

_SELECT_MESSAGES = """SELECT m.id, m.seq, m.size, m.read, d.tags, d.envelope, d.summary,
    t.search_text FROM messages m JOIN message_data d ON d.seq = m.seq
    JOIN message_text t ON t.seq = m.seq"""
_COUNTS = "SELECT total, unread FROM mailbox_counts"


@dataclass(slots=True)
class _Job:
    """A change to make on the writer thread: `run`, or storing `message` (adds that follow
    each other in a batch are stored together, by `_insert_many`)."""

    run: Callable[[sqlite3.Connection], Outcome[Any]] | None
    future: Future[Any]
    message: NewMessage | None = None


_STOP = object()


class SqliteStore:
    def __init__(self, path: Path, hub: ChangeHub) -> None:
        check_sqlite_features()
        self._path = Path(path)
        self._hub = hub
        self._raw_files = RawFiles(self._path)
        self._writer_db = self._connect(WriterConnection)
        self._writer_db.raw_files = self._raw_files
        try:
            mode = self._writer_db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise RuntimeError(f"{self._path}: SQLite refused WAL mode (got {mode!r})")
            self._writer_db.execute("PRAGMA synchronous = NORMAL")
            # Statement journals (triggers, savepoints) in memory, not in temporary files; and
            # a page cache that holds the indexes' hot pages at 100,000s of messages.
            self._writer_db.execute("PRAGMA temp_store = MEMORY")
            self._writer_db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
            # `Checkpointer` checkpoints, beside the writer: SQLite's automatic checkpoint
            # would copy and sync the WAL inside the COMMIT, before the `250` of the message
            # that crossed its threshold (0.2 s for a 25 MB message).
            self._writer_db.execute("PRAGMA wal_autocheckpoint = 0")
            # When the WAL starts over, its file is cut back to this (it may have grown to
            # `sqlite_checkpointer.RESTART_WAL_ABOVE` and more under a steady load).
            self._writer_db.execute(f"PRAGMA journal_size_limit = {CHECKPOINT_AFTER_BYTES}")
            migrate(self._writer_db, str(self._path))
            self._raw_files.remove_orphans(
                seq for (seq,) in self._writer_db.execute("SELECT seq FROM raw WHERE in_file")
            )
        except sqlite3.DatabaseError as error:
            self._writer_db.close()
            raise RuntimeError(
                f"cannot open {self._path} as a mailsink database: {error}"
            ) from None
        except BaseException:
            self._writer_db.close()
            raise
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._submit_lock = threading.Lock()
        self._writing = threading.Lock()  # held while `_writer_db` is in use
        self._publishing = threading.local()  # `.now` is true while changes are published
        self._closed = False
        self._checkpointer = Checkpointer(
            self._connect,
            self._writing,
            self._raw_files.sync,
            CHECKPOINT_AFTER_BYTES,
            f"mailsink-sqlite-checkpoint {self._path.name}",
        )
        self._pool_lock = threading.Lock()
        self._idle_readers: list[sqlite3.Connection] = []
        self._writer = threading.Thread(
            target=self._write_loop, name=f"mailsink-sqlite-writer {self._path.name}", daemon=True
        )
        self._writer.start()

    # -- writes -----------------------------------------------------------------------------

    def add(self, message: NewMessage) -> Future[StoredMessage]:
        return self._submit(None, message)

    def add_now(self, messages: Sequence[NewMessage]) -> list[StoredMessage] | None:
        if not messages or not self._writing.acquire(blocking=False):
            return None
        try:
            if self._closed or not self._jobs.empty():  # queued jobs go first
                return None
            try:
                outcomes = self._transaction(partial(_insert_many, messages=messages))
            except Exception:
                return None  # through the queue, where a failing message fails alone
            self._publish(outcomes)
        finally:
            self._writing.release()
        return [stored for stored, _ in outcomes]

    def delete(self, message_ids: Iterable[str]) -> list[str]:
        return self._write(partial(_delete, message_ids=list(message_ids)))

    def delete_all(self) -> None:
        self._write(_delete_all)

    def set_read(self, message_ids: Iterable[str] | None, read: bool) -> list[str]:
        wanted = None if message_ids is None else list(message_ids)
        return self._write(partial(_set_read, message_ids=wanted, read=read))

    def set_tags(self, message_ids: Iterable[str], tags: Iterable[str]) -> None:
        self._write(partial(_set_tags, message_ids=list(message_ids), tags=list(tags)))

    def rename_tag(self, old: str, new: str) -> None:
        self._write(partial(_rename_tag, old=old, new=new))

    def delete_tag(self, tag: str) -> None:
        self._write(partial(_rename_tag, old=tag, new=None))

    def prune(self, *, max_count: int = 0, older_than: datetime | None = None) -> list[str]:
        return self._write(partial(_prune, max_count=max_count, older_than=older_than))

    # -- reads ------------------------------------------------------------------------------

    def get(self, message_id: str) -> StoredMessage | None:
        with self._reading() as db:
            row = db.execute(f"{_SELECT_MESSAGES} WHERE m.id = ?", (message_id,)).fetchone()
        return None if row is None else _stored(row)

    def raw(self, message_id: str) -> bytes | None:
        with self._reading() as db:
            row = db.execute(
                "SELECT r.seq, r.data, r.in_file FROM raw r JOIN messages m ON m.seq = r.seq"
                " WHERE m.id = ?",
                (message_id,),
            ).fetchone()
        if row is None:
            return None
        seq, data, in_file = row
        return self._raw_files.read(seq) if in_file else bytes(data)

    def search(
        self,
        query: SearchQuery | None = None,
        *,
        offset: int = 0,
        limit: int | None = 50,
        after_seq: int | None = None,
        oldest_first: bool = False,
    ) -> list[StoredMessage]:
        order = "ASC" if oldest_first else "DESC"
        with self._reading() as db:
            compiled = _compile(db, query, for_page=limit is not None)
            condition, params = compiled.condition, list(compiled.params)
            if after_seq is not None:
                condition += f" AND {compiled.order_key} > ?"
                params.append(after_seq)
            params += [-1 if limit is None else max(limit, 0), max(offset, 0)]
            # The page's Seqs first (skipping `offset` rows reads no JSON), then their rows.
            page = (
                f"SELECT m.seq FROM {compiled.source} WHERE {condition}"
                f" ORDER BY {compiled.order_key} {order} LIMIT ? OFFSET ?"
            )
            sql = f"{_SELECT_MESSAGES} WHERE m.seq IN ({page}) ORDER BY m.seq {order}"
            rows = db.execute(sql, params).fetchall()
        return [_stored(row) for row in rows]

    def count(self, query: SearchQuery | None = None) -> MailboxCounts:
        with self._reading() as db:
            if query is None or not query.terms:  # the counts kept by every write
                return MailboxCounts(*db.execute(_COUNTS).fetchone())
            compiled = _compile(db, query, for_page=False)
            sql = (
                f"SELECT COUNT(*), COALESCE(SUM(m.read = 0), 0) FROM {compiled.source}"
                f" WHERE {compiled.condition}"
            )
            total, unread = db.execute(sql, compiled.params).fetchone()
        return MailboxCounts(total, unread)

    def tags(self) -> dict[str, int]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT t.name, COUNT(*) FROM message_tags mt JOIN tags t ON t.tag_id = mt.tag_id"
                " GROUP BY mt.tag_id"
            ).fetchall()
        return dict(sorted(rows, key=lambda row: tag_sort_key(row[0])))

    def size_on_disk(self) -> int:
        files = (self._path, self._path.with_name(self._path.name + "-wal"))
        return sum(f.stat().st_size for f in files if f.exists()) + self._raw_files.size()

    def close(self) -> None:
        with self._submit_lock:
            if self._closed:
                return
            self._closed = True
            self._jobs.put(_STOP)
        self._writer.join()
        self._checkpointer.close()
        with self._pool_lock:
            idle, self._idle_readers = self._idle_readers, []
        for db in idle:
            db.close()

    # -- machinery --------------------------------------------------------------------------

    def _connect(self, factory: type[C] = sqlite3.Connection) -> C:  # type: ignore[assignment]
        # Pooled connections move between threads, never used by two at once.
        return sqlite3.connect(
            self._path,
            timeout=30,
            isolation_level=None,
            check_same_thread=False,
            factory=factory,
        )

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"the message store {self._path} is closed")

    def _submit(
        self,
        run: Callable[[sqlite3.Connection], Outcome[T]] | None,
        message: NewMessage | None = None,
    ) -> Future[T]:
        future: Future[T] = Future()
        with self._submit_lock:
            self._check_open()
            self._jobs.put(_Job(run, future, message))
        return future

    def _write(self, run: Callable[[sqlite3.Connection], Outcome[T]]) -> T:
        if getattr(self._publishing, "now", False):
            raise RuntimeError("a change subscriber must not write to the store (deadlock)")
        return self._submit(run).result()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        self._check_open()
        with self._pool_lock:
            db = self._idle_readers.pop() if self._idle_readers else None
        if db is None:
            db = self._connect()
            db.execute("PRAGMA query_only = 1")
            db.execute("PRAGMA temp_store = MEMORY")  # IN (…) lists and sorts, never in files
        try:
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")
        finally:
            with self._pool_lock:
                if self._closed:
                    db.close()
                else:
                    self._idle_readers.append(db)

    def _write_loop(self) -> None:
        db = self._writer_db
        try:
            stopping = False
            while not stopping:
                batch = [self._jobs.get()]
                while len(batch) < MAX_BATCH:
                    try:
                        batch.append(self._jobs.get_nowait())
                    except queue.Empty:
                        break
                stopping = _STOP in batch
                jobs = [
                    job
                    for job in batch
                    if isinstance(job, _Job) and job.future.set_running_or_notify_cancel()
                ]
                if jobs:
                    with self._writing:
                        self._commit(jobs)
            with self._writing:
                db.execute("PRAGMA optimize")
        finally:
            with self._writing:
                db.close()

    def _commit(self, jobs: list[_Job]) -> None:
        """Run `jobs` in one transaction; if one fails, run each in its own instead, so that
        it fails alone (savepoints per job would isolate them too, at a cost on every job)."""
        try:
            outcomes = self._transaction(partial(_run_jobs, jobs=jobs))
        except Exception as error:
            if len(jobs) == 1:
                jobs[0].future.set_exception(error)
                return
            for job in jobs:
                self._commit([job])
            return
        self._publish(outcomes)
        for job, outcome in zip(jobs, outcomes, strict=True):
            job.future.set_result(outcome[0])

    def _publish(self, outcomes: list[Outcome[Any]]) -> None:
        self._publishing.now = True
        try:
            for _, changes in outcomes:
                for change in changes:
                    self._hub.publish(change)
        finally:
            self._publishing.now = False

    def _transaction(
        self, run: Callable[[WriterConnection], list[Outcome[Any]]]
    ) -> list[Outcome[Any]]:
        db = self._writer_db
        db.execute("BEGIN IMMEDIATE")
        try:
            outcomes = run(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            db.settle(committed=False)
            raise
        self._checkpointer.wrote(*db.settle(committed=True))
        return outcomes


# -- the jobs: run on the writer thread, inside its transaction ---------------------------------


def _run_jobs(db: WriterConnection, jobs: list[_Job]) -> list[Outcome[Any]]:
    """Each job's outcome, in order; adds that follow each other are stored together."""
    outcomes: list[Outcome[Any]] = []
    for adds, group in itertools.groupby(jobs, key=lambda job: job.run is None):
        if adds:
            outcomes += _insert_many(db, [job.message for job in group if job.message])
        else:
            outcomes += [job.run(db) for job in group if job.run]
    return outcomes


def _insert_many(
    db: WriterConnection, messages: Sequence[NewMessage]
) -> list[Outcome[StoredMessage]]:
    """Store `messages` in the open transaction, each table's rows together and the text
    index's last: FTS5 writes out its pending terms at every statement savepoint, so an
    ordinary statement between two index inserts would cost one index segment per message."""
    count = len(messages)
    db.execute("UPDATE mailbox_counts SET total = total + ?, unread = unread + ?", (count, count))
    (last,) = db.execute(
        "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'messages'"
    ).fetchone()
    seqs = range(last + 1, last + 1 + count)
    try:
        db.executemany(
            "INSERT INTO messages (seq, id, received_ms, size, attachments, inlines, mailbox)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    seq,
                    message.id,
                    to_unix_ms(message.envelope.received),
                    len(message.raw),
                    message.summary.attachments,
                    message.summary.inlines,
                    message.envelope.mailbox,
                )
                for seq, message in zip(seqs, messages, strict=True)
            ],
        )
    except sqlite3.IntegrityError:  # the writer then stores each alone, to name the one
        named = " or ".join(repr(message.id) for message in messages)
        raise ValueError(f"message ID {named} is already stored") from None
    tags = [clean_tags(message.summary.tags, partial(_tag_spelling, db)) for message in messages]
    db.executemany(
        "INSERT INTO message_data (seq, tags, envelope, summary) VALUES (?, ?, ?, ?)",
        [
            (
                seq,
                json.dumps(message_tags),
                envelope_to_json(message.envelope),
                summary_to_json(message.summary),
            )
            for seq, message, message_tags in zip(seqs, messages, tags, strict=True)
        ],
    )
    for seq, message, message_tags in zip(seqs, messages, tags, strict=True):
        _insert_raw(db, seq, message.raw)
        _link_tags(db, seq, message_tags)
    texts = [
        (seq, *(field_text(field, message.summary) for field in _TEXT_FIELDS))
        for seq, message in zip(seqs, messages, strict=True)
    ]
    db.executemany(f"INSERT INTO message_text (seq, {_TEXT_NAMES}) VALUES (?{_TEXT_MARKS})", texts)
    db.executemany(
        f"INSERT INTO message_text_index (rowid, {_TEXT_NAMES}) VALUES (?{_TEXT_MARKS})", texts
    )
    outcomes: list[Outcome[StoredMessage]] = []
    for seq, message, message_tags in zip(seqs, messages, tags, strict=True):
        stored = StoredMessage(
            id=message.id,
            seq=seq,
            size=len(message.raw),
            envelope=message.envelope,
            summary=message.summary,
            tags=message_tags,
        )
        outcomes.append((stored, (Change(ChangeKind.NEW, ids=(stored.id,), message=stored),)))
    return outcomes


def _insert_raw(db: WriterConnection, seq: int, raw: bytes) -> None:
    """Store the exact bytes: in the row, or for a large message in a file (`sqlite_raw`)."""
    db.written_bytes += _JOB_WAL_BYTES + len(raw)
    if len(raw) <= RAW_IN_FILE_ABOVE:
        db.execute("INSERT INTO raw (seq, data) VALUES (?, ?)", (seq, raw))
        return
    db.raw_files.write(seq, raw)
    db.files_written.append(seq)
    db.execute("INSERT INTO raw (seq, data, in_file) VALUES (?, x'', 1)", (seq,))


def _delete(db: sqlite3.Connection, message_ids: list[str]) -> Outcome[list[str]]:
    found = _seqs_of(db, message_ids)
    _delete_seqs(db, list(found.values()))
    deleted = list(found)
    return deleted, (Change(ChangeKind.DELETE, ids=tuple(deleted)),) if deleted else ()


def _delete_all(db: WriterConnection) -> Outcome[None]:
    db.files_released += [seq for (seq,) in db.execute("SELECT seq FROM raw WHERE in_file")]
    db.execute("INSERT INTO message_text_index (message_text_index) VALUES ('delete-all')")
    for table in ("messages", "message_data", "raw", "message_text", "message_tags", "tags"):
        db.execute(f"DELETE FROM {table}")
    db.execute("UPDATE mailbox_counts SET total = 0, unread = 0")
    return None, (Change(ChangeKind.TRUNCATE),)


def _set_read(
    db: sqlite3.Connection, message_ids: list[str] | None, read: bool
) -> Outcome[list[str]]:
    if message_ids is None:
        changed = [
            i
            for (i,) in db.execute("SELECT id FROM messages WHERE read != ? ORDER BY seq", (read,))
        ]
        db.execute("UPDATE messages SET read = ? WHERE read != ?", (read, read))
    else:
        found = _seqs_of(db, message_ids, "AND read != ?", (read,))
        changed = list(found)
        for chunk in _chunks(list(found.values())):
            db.execute(
                f"UPDATE messages SET read = ? WHERE seq IN ({_marks(chunk)})", (read, *chunk)
            )
    unread_change = -len(changed) if read else len(changed)
    db.execute("UPDATE mailbox_counts SET unread = unread + ?", (unread_change,))
    return changed, (Change(ChangeKind.UPDATE, ids=tuple(changed), read=read),) if changed else ()


def _set_tags(db: sqlite3.Connection, message_ids: list[str], tags: list[str]) -> Outcome[None]:
    cleaned = clean_tags(tags, partial(_tag_spelling, db))
    found = _seqs_of(db, message_ids)
    for seq in found.values():
        db.execute("DELETE FROM message_tags WHERE seq = ?", (seq,))
        _link_tags(db, seq, cleaned)
        db.execute("UPDATE message_data SET tags = ? WHERE seq = ?", (json.dumps(cleaned), seq))
    _drop_unused_tags(db)
    targets = tuple(found)
    return None, (Change(ChangeKind.UPDATE, ids=targets, tags=cleaned),) if targets else ()


def _rename_tag(db: sqlite3.Connection, old: str, new: str | None) -> Outcome[None]:
    """Rename tag `old` to `new` on every message, or remove it when `new` is None."""
    row = db.execute("SELECT tag_id FROM tags WHERE name_lower = ?", (old.lower(),)).fetchone()
    if row is None:
        raise TagError(f"tag not found: {old}")
    (tag_id,) = row
    affected = db.execute(
        "SELECT m.id, m.seq FROM message_tags mt JOIN messages m ON m.seq = mt.seq"
        " WHERE mt.tag_id = ? ORDER BY m.seq",
        (tag_id,),
    ).fetchall()
    if new is None:
        db.execute("DELETE FROM message_tags WHERE tag_id = ?", (tag_id,))
        db.execute("DELETE FROM tags WHERE tag_id = ?", (tag_id,))
    else:
        renamed = clean_tag(new)
        if not renamed:
            raise TagError(f"invalid tag name: {new}")
        clash = db.execute(
            "SELECT 1 FROM tags WHERE name_lower = ? AND tag_id != ?", (renamed.lower(), tag_id)
        ).fetchone()
        if clash is not None:
            raise TagError(f"tag already exists: {new}")
        db.execute(
            "UPDATE tags SET name = ?, name_lower = ? WHERE tag_id = ?",
            (renamed, renamed.lower(), tag_id),
        )
    for _, seq in affected:
        names = [
            n
            for (n,) in db.execute(
                "SELECT t.name FROM message_tags mt JOIN tags t ON t.tag_id = mt.tag_id"
                " WHERE mt.seq = ?",
                (seq,),
            )
        ]
        names.sort(key=tag_sort_key)
        db.execute("UPDATE message_data SET tags = ? WHERE seq = ?", (json.dumps(names), seq))
    return None, (Change(ChangeKind.PRUNE, ids=tuple(i for i, _ in affected)),)


def _prune(
    db: sqlite3.Connection, max_count: int, older_than: datetime | None
) -> Outcome[list[str]]:
    doomed: list[tuple[str, int]] = []
    kept_condition, params = "1", []
    if older_than is not None:
        bound = to_unix_ms(older_than)
        doomed += db.execute(
            "SELECT id, seq FROM messages WHERE received_ms < ? ORDER BY seq", (bound,)
        ).fetchall()
        kept_condition, params = "received_ms >= ?", [bound]
    if max_count > 0:
        excess = db.execute(
            f"SELECT id, seq FROM messages WHERE {kept_condition}"
            " ORDER BY seq DESC LIMIT -1 OFFSET ?",
            (*params, max_count),
        ).fetchall()
        doomed += reversed(excess)
    _delete_seqs(db, [seq for _, seq in doomed])
    deleted = [message_id for message_id, _ in doomed]
    return deleted, (Change(ChangeKind.PRUNE, ids=tuple(deleted)),) if deleted else ()


# -- helpers of the jobs ------------------------------------------------------------------------


def _seqs_of(
    db: sqlite3.Connection,
    message_ids: Iterable[str],
    extra: str = "",
    params: tuple[object, ...] = (),
) -> dict[str, int]:
    """{id: seq} of the stored messages among `message_ids`, in their order, duplicates once."""
    wanted = list(dict.fromkeys(message_ids))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update(
            db.execute(
                f"SELECT id, seq FROM messages WHERE id IN ({_marks(chunk)}) {extra}",
                (*chunk, *params),
            ).fetchall()
        )
    return {i: found[i] for i in wanted if i in found}


def _delete_seqs(db: WriterConnection, seqs: list[int]) -> None:
    for chunk in _chunks(seqs):
        marks = _marks(chunk)
        db.execute(
            "UPDATE mailbox_counts SET (total, unread) = (SELECT total - COUNT(*),"
            f" unread - COUNT(*) FILTER (WHERE read = 0) FROM messages WHERE seq IN ({marks}))",
            chunk,
        )
        db.execute(f"DELETE FROM messages WHERE seq IN ({marks})", chunk)
        db.execute(f"DELETE FROM message_data WHERE seq IN ({marks})", chunk)
        db.files_released += [
            seq
            for (seq,) in db.execute(
                f"SELECT seq FROM raw WHERE in_file AND seq IN ({marks})", chunk
            )
        ]
        db.execute(f"DELETE FROM raw WHERE seq IN ({marks})", chunk)
        db.execute(
            f"INSERT INTO message_text_index (message_text_index, rowid, {_TEXT_NAMES})"
            f" SELECT 'delete', seq, {_TEXT_NAMES} FROM message_text WHERE seq IN ({marks})",
            chunk,
        )
        db.execute(f"DELETE FROM message_text WHERE seq IN ({marks})", chunk)
        db.execute(f"DELETE FROM message_tags WHERE seq IN ({marks})", chunk)
    if seqs:
        _drop_unused_tags(db)


def _compile(db: sqlite3.Connection, query: SearchQuery | None, for_page: bool) -> CompiledQuery:
    """Compile with the index's candidate counts, unless the query is one positive text term
    and at most a page is wanted: the index then serves it fast however common the term is."""
    terms = query.terms if query is not None else ()
    text_terms = [term for term in terms if isinstance(term, TextTerm)]
    if not text_terms or (for_page and len(text_terms) == 1 and not text_terms[0].negated):
        return compile_query(query)
    total, _ = db.execute(_COUNTS).fetchone()
    cap = int(total * sqlite_search.INDEX_SHARE) + 1  # enough to tell index from scan
    return compile_query(query, partial(_candidates, db, cap=cap), total)


def _candidates(db: sqlite3.Connection, column: str, value: str, cap: int) -> int:
    """How many messages hold (a sample of) the trigrams of `value` in `column`, counted up to
    `cap`: from the index alone, so cheaper than the search, and an upper bound of its matches."""
    trigrams = sorted({value[i : i + TRIGRAM] for i in range(len(value) - TRIGRAM + 1)})
    sample = trigrams[:: max(len(trigrams) // _TRIGRAM_SAMPLE, 1)][:_TRIGRAM_SAMPLE]
    phrases = " AND ".join('"' + trigram.replace('"', '""') + '"' for trigram in sample)
    sql = (
        "SELECT COUNT(*) FROM (SELECT 1 FROM message_text_index"
        " WHERE message_text_index MATCH ? LIMIT ?)"
    )
    (count,) = db.execute(sql, (f"{column} : ({phrases})", cap)).fetchone()
    return int(count)


def _tag_spelling(db: sqlite3.Connection, lowered: str) -> str | None:
    row = db.execute("SELECT name FROM tags WHERE name_lower = ?", (lowered,)).fetchone()
    return None if row is None else row[0]


def _link_tags(db: sqlite3.Connection, seq: int, tags: Iterable[str]) -> None:
    for tag in tags:
        db.execute(
            "INSERT OR IGNORE INTO tags (name, name_lower) VALUES (?, ?)", (tag, tag.lower())
        )
        db.execute(
            "INSERT INTO message_tags (tag_id, seq)"
            " SELECT tag_id, ? FROM tags WHERE name_lower = ?",
            (seq, tag.lower()),
        )


def _drop_unused_tags(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM tags WHERE tag_id NOT IN (SELECT tag_id FROM message_tags)")


def _stored(row: tuple[Any, ...]) -> StoredMessage:
    message_id, seq, size, read, tags, envelope, summary, search_text = row
    return StoredMessage(
        id=message_id,
        seq=seq,
        size=size,
        envelope=envelope_from_json(envelope),
        summary=summary_from_json(summary, search_text),
        read=bool(read),
        tags=tuple(json.loads(tags)),
    )


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(items: Sized) -> str:
    return ", ".join("?" * len(items))
