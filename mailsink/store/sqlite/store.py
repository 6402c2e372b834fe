"""The SQLite store: WAL, one writer thread with group commit, pooled reader connections.

The parts: `writer.py` runs every write on one thread, batched into one commit; `writes.py` is
the SQL of each write; `query.py` compiles a `SearchQuery` to SQL; `schema.py` creates and
migrates the tables; `raw_files.py` keeps large messages in files beside the database;
`checkpointer.py` copies the WAL into the database on its own thread.

Readers borrow a connection from a pool and read in their own transaction; in WAL mode they
never wait for the writer. Nothing but the current page of results is held in Python memory.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from mailsink.events import ChangeHub
from mailsink.message.spool import Spool
from mailsink.store.base import MailboxCounts, MailboxStatus, StoredMessage
from mailsink.store.codec import envelope_from_json, summary_from_json
from mailsink.store.search import MailboxTerm, SearchQuery, TextTerm, page_bounds
from mailsink.store.sql_store import WritesByWriter
from mailsink.store.sqlite import query as sqlite_query
from mailsink.store.sqlite import writes
from mailsink.store.sqlite.checkpointer import Checkpointer
from mailsink.store.sqlite.query import TRIGRAM, CompiledQuery, compile_query
from mailsink.store.sqlite.raw_files import RawFiles, WriterConnection
from mailsink.store.sqlite.schema import check_sqlite_features, migrate
from mailsink.store.sqlite.writer import Writer
from mailsink.store.tags import tag_sort_key

C = TypeVar("C", bound=sqlite3.Connection)

# The WAL is copied into the database after about this much was written (SQLite's automatic
# checkpoint: 1,000 pages of 4 KiB), counting each message as its size plus
# `writes.JOB_WAL_BYTES` for the pages of rows and indexes it changes.
CHECKPOINT_AFTER_BYTES = 4 * 1024 * 1024
WRITER_CACHE_KIB = 16 * 1024
_TRIGRAM_SAMPLE = 12  # trigrams of a value that `_candidates` looks up

_SELECT_MESSAGES = """SELECT m.id, m.seq, m.size, m.read, d.tags, d.envelope, d.summary,
    t.search_text FROM messages m JOIN message_data d ON d.seq = m.seq
    JOIN message_text t ON t.seq = m.seq"""
_COUNTS = "SELECT COALESCE(SUM(total), 0), COALESCE(SUM(unread), 0) FROM mailbox_counts"
_MAILBOX_COUNTS = "SELECT total, unread FROM mailbox_counts WHERE mailbox = ?"
# Each mailbox's counts, and its newest message's arrival: from the mailbox index, one entry
# per mailbox (its entries are in Seq order).
_MAILBOXES = """SELECT c.mailbox, c.total, c.unread, (SELECT m.received_ms FROM messages m
    WHERE m.mailbox = c.mailbox ORDER BY m.seq DESC LIMIT 1)
    FROM mailbox_counts c WHERE c.total > 0 ORDER BY c.mailbox"""


class SqliteStore(WritesByWriter):
    _writes = writes  # the `Store` writes: `WritesByWriter`'s, with these functions

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
            # that crossed its threshold (long for a large message).
            self._writer_db.execute("PRAGMA wal_autocheckpoint = 0")
            # When the WAL starts over, its file is cut back to this (it may have grown to
            # `checkpointer.RESTART_WAL_ABOVE` and more under a steady load).
            self._writer_db.execute(f"PRAGMA journal_size_limit = {CHECKPOINT_AFTER_BYTES}")
            migrate(self._writer_db, str(self._path))
            self._raw_files.open(
                seq for (seq,) in self._writer_db.execute("SELECT seq FROM raw WHERE in_file")
            )
        except sqlite3.DatabaseError as error:
            self._writer_db.close()
            self._raw_files.close()
            raise RuntimeError(
                f"cannot open {self._path} as a mailsink database: {error}"
            ) from None
        except BaseException:
            self._writer_db.close()
            self._raw_files.close()
            raise
        writing = threading.Lock()  # held while the writer connection is in use
        self._checkpointer = Checkpointer(
            self._connect,
            writing,
            self._raw_files.sync,
            CHECKPOINT_AFTER_BYTES,
            f"mailsink-sqlite-checkpoint {self._path.name}",
        )
        self._pool_lock = threading.Lock()
        self._idle_readers: list[sqlite3.Connection] = []
        self._writer = Writer(
            self._writer_db,
            hub,
            writing,
            self._checkpointer,
            f"mailsink-sqlite-writer {self._path.name}",
        )

    def spool(self) -> Spool:
        return self._raw_files.spool

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
            first, count = page_bounds(offset, limit)
            params += [-1 if count is None else count, first]  # LIMIT -1: no limit
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
            if len(query.terms) == 1 and isinstance(query.terms[0], MailboxTerm):
                term = query.terms[0]
                kept = db.execute(_MAILBOX_COUNTS, (term.name,)).fetchone() or (0, 0)
                if not term.negated:
                    return MailboxCounts(*kept)
                total, unread = db.execute(_COUNTS).fetchone()
                return MailboxCounts(total - kept[0], unread - kept[1])
            compiled = _compile(db, query, for_page=False)
            sql = (
                f"SELECT COUNT(*), COALESCE(SUM(m.read = 0), 0) FROM {compiled.source}"
                f" WHERE {compiled.condition}"
            )
            total, unread = db.execute(sql, compiled.params).fetchone()
        return MailboxCounts(total, unread)

    def mailboxes(self) -> list[MailboxStatus]:
        with self._reading() as db:
            rows = db.execute(_MAILBOXES).fetchall()
        return [
            MailboxStatus(name, total, unread, datetime.fromtimestamp(newest_ms / 1000, UTC))
            for name, total, unread, newest_ms in rows
        ]

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
        self._writer.close(f"the message store {self._path} is closed")
        self._checkpointer.close()
        with self._pool_lock:
            idle, self._idle_readers = self._idle_readers, []
        for db in idle:
            db.close()
        self._raw_files.close()

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
        if self._writer.closed:
            raise RuntimeError(f"the message store {self._path} is closed")

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
                if self._writer.closed:
                    db.close()
                else:
                    self._idle_readers.append(db)


def _compile(db: sqlite3.Connection, query: SearchQuery | None, for_page: bool) -> CompiledQuery:
    """Compile with the index's candidate counts, unless the query is one positive text term
    and at most a page is wanted: the index then serves it fast however common the term is."""
    terms = query.terms if query is not None else ()
    text_terms = [term for term in terms if isinstance(term, TextTerm)]
    if not text_terms or (for_page and len(text_terms) == 1 and not text_terms[0].negated):
        return compile_query(query)
    total, _ = db.execute(_COUNTS).fetchone()
    cap = int(total * sqlite_query.INDEX_SHARE) + 1  # enough to tell index from scan
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
