"""The PostgreSQL store: several mailsink nodes on one database (`--database postgresql://…`).

The parts: `writer.py` runs this node's writes on one thread, batched into one transaction;
`writes.py` is the SQL of each write; `query.py` compiles a `SearchQuery`; `schema.py` creates
and migrates the tables; `notify.py` carries changes between nodes (NOTIFY when a write
commits, a LISTEN thread that publishes the other nodes' changes on this node's hub).

Reads borrow a connection from a pool (psycopg_pool) and run one statement each, in
autocommit: PostgreSQL's MVCC never makes them wait for writers. A large message is read in
1 MiB slices (the driver holds one at a time, as raw bytes, not as hex text), each written into
one buffer of the message's size, so it is held once; it is written by a COPY fed the same way
(`writes.py`).
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from mailsink.config import DEFAULT_DATABASE_POOL_SIZE, shown_database
from mailsink.events import ChangeHub
from mailsink.message.spool import PrivateSpool, Spool
from mailsink.store.base import MailboxCounts, MailboxStatus, StoredMessage, StoreUnavailable
from mailsink.store.codec import envelope_from_json, summary_from_json
from mailsink.store.postgres import writes
from mailsink.store.postgres.connect import unavailable, upgrade_database, with_connect_timeout
from mailsink.store.postgres.notify import CHANNEL, Listener
from mailsink.store.postgres.query import compile_query
from mailsink.store.postgres.writer import Writer
from mailsink.store.postgres.writes import RAW_PIECE
from mailsink.store.search import LARGEST_INTEGER, MailboxTerm, SearchQuery, page_bounds
from mailsink.store.sql_store import WritesByWriter
from mailsink.store.tags import tag_sort_key

POOL_APPLICATION_NAME = "mailsink"  # in pg_stat_activity
POOL_FILLED_SECONDS = 30.0  # for the pool's connections, once the first one was made
RECENT_WINDOW = 1000  # messages a text search walks before it asks the index (`_text_page`)

_COUNTS = "SELECT COALESCE(sum(total), 0), COALESCE(sum(unread), 0) FROM mailbox_counts"
# Each mailbox's counts, and its newest message's arrival (from the mailbox index, in Seq
# order); by name as Python sorts it (byte order, whatever the database's collation).
_MAILBOXES = """SELECT c.mailbox, c.total, c.unread, (SELECT m.received_ms FROM messages m
    WHERE m.mailbox = c.mailbox ORDER BY m.seq DESC LIMIT 1)
    FROM mailbox_counts c WHERE c.total > 0 ORDER BY c.mailbox COLLATE "C"
"""
_SELECT_MESSAGES = """SELECT m.id, m.seq, m.size, m.read, m.tags, m.envelope, m.summary,
    COALESCE(m.exact_search_text, t.search_text), m.exact_search_text IS NOT NULL
    FROM messages m JOIN message_text t ON t.seq = m.seq"""


class PostgresStore(WritesByWriter):
    _writes = writes  # the `Store` writes: `WritesByWriter`'s, with these functions

    def __init__(
        self, conninfo: str, hub: ChangeHub, *, pool_size: int = DEFAULT_DATABASE_POOL_SIZE
    ) -> None:
        """Open the database, migrated first; `pool_size` connections are held from then on
        for reads and the writer (one more listens). `StoreUnavailable` when the database
        cannot be opened, or not with that many connections."""
        if pool_size < 1:
            raise ValueError(f"expected a pool of 1 connection or more, got {pool_size}")
        self._where = shown_database(conninfo)
        upgrade_database(conninfo)
        connect_to = with_connect_timeout(conninfo)
        self._node = secrets.token_hex(8)  # tells this node's notifications from the others'
        self._pool = ConnectionPool(
            connect_to,
            min_size=pool_size,
            max_size=pool_size,
            kwargs={"autocommit": True, "application_name": POOL_APPLICATION_NAME},
            check=self._check_taken,
            name=f"mailsink {self._where}",
            open=True,
        )
        try:
            try:
                self._pool.wait(timeout=POOL_FILLED_SECONDS)
            except PoolTimeout:
                raise StoreUnavailable(
                    f"cannot open {pool_size} connections to {self._where} within"
                    f" {POOL_FILLED_SECONDS:g} s (--database-pool-size {pool_size}, plus one"
                    " per node for changes: is PostgreSQL's max_connections high enough?)"
                ) from None
            try:
                self._listener = Listener(
                    connect_to, self._node, hub, self._messages_by_seq, self._tags_of
                )
            except psycopg.Error as error:
                raise unavailable(conninfo, error) from None
        except BaseException:
            self._pool.close()
            raise
        self._writer = Writer(self._pool, hub, self._node, f"mailsink-postgres-writer {self._node}")
        self._spool = PrivateSpool()

    def spool(self) -> Spool:
        """A directory of its own in the system's temporary directory: a large message is
        copied to the database from its mapping there, in pieces, never held whole in memory."""
        return self._spool

    # -- reads ------------------------------------------------------------------------------

    def get(self, message_id: str) -> StoredMessage | None:
        with self._reading() as db:
            row = db.execute(f"{_SELECT_MESSAGES} WHERE m.id = %s", (message_id,)).fetchone()
        return None if row is None else _stored(row)

    def raw(self, message_id: str) -> bytes | None:
        with self._reading() as db:
            found = db.execute(
                "SELECT seq, size FROM messages WHERE id = %s", (message_id,)
            ).fetchone()
            if found is None:
                return None
            seq, size = found
            cursor = db.cursor(binary=True)  # bytea as bytes, not as hex text
            return _read_whole(size, lambda start: _raw_slice(cursor, seq, start))

    def search(
        self,
        query: SearchQuery | None = None,
        *,
        offset: int = 0,
        limit: int | None = 50,
        after_seq: int | None = None,
        oldest_first: bool = False,
    ) -> list[StoredMessage]:
        compiled = compile_query(query)
        condition, params = compiled.condition, list(compiled.params)
        if after_seq is not None:
            condition += " AND m.seq > %s"
            params.append(after_seq)
        order = "ASC" if oldest_first else "DESC"
        first, count = page_bounds(offset, limit)
        page = [count, first]
        sql = f"{_SELECT_MESSAGES} WHERE {condition} ORDER BY m.seq {order} LIMIT %s OFFSET %s"
        with self._reading() as db:
            if compiled.needs_text and limit is not None and limit > 0:
                rows = _text_page(db, sql, params, page, oldest_first, after_seq)
            else:
                rows = db.execute(sql, [*params, *page]).fetchall()
        return [_stored(row) for row in rows]

    def count(self, query: SearchQuery | None = None) -> MailboxCounts:
        with self._reading() as db:
            if query is None or not query.terms:  # the counts kept by every write
                row = db.execute(_COUNTS).fetchone()
            elif len(query.terms) == 1 and isinstance(query.terms[0], MailboxTerm):
                term = query.terms[0]
                kept = db.execute(f"{_COUNTS} WHERE mailbox = %s", (term.name,)).fetchone()
                assert kept is not None
                if not term.negated:
                    return MailboxCounts(int(kept[0]), int(kept[1]))
                everything = db.execute(_COUNTS).fetchone()
                assert everything is not None
                row = (everything[0] - kept[0], everything[1] - kept[1])
            else:
                compiled = compile_query(query)
                source = "messages m"
                if compiled.needs_text:
                    source += " JOIN message_text t ON t.seq = m.seq"
                with db.transaction():
                    if compiled.needs_text:  # the index, whatever stale statistics say
                        db.execute("SET LOCAL enable_seqscan = off")
                    row = db.execute(
                        f"SELECT count(*), count(*) FILTER (WHERE NOT m.read) FROM {source}"
                        f" WHERE {compiled.condition}",
                        compiled.params,
                    ).fetchone()
        assert row is not None
        return MailboxCounts(int(row[0]), int(row[1]))

    def mailboxes(self) -> list[MailboxStatus]:
        with self._reading() as db:
            rows = db.execute(_MAILBOXES).fetchall()
        return [
            MailboxStatus(name, int(total), int(unread), datetime.fromtimestamp(newest / 1000, UTC))
            for name, total, unread, newest in rows
        ]

    @property
    def seq_epoch(self) -> int:
        """The database's Seq epoch (IMAP's UIDVALIDITY), the same on every node."""
        with self._reading() as db:
            row = db.execute("SELECT seq_epoch FROM store_state").fetchone()
        assert row is not None
        return int(row[0])

    def tags(self) -> dict[str, int]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT t.name, count(*) FROM message_tags mt JOIN tags t ON t.tag_id = mt.tag_id"
                " GROUP BY t.tag_id, t.name"
            ).fetchall()
        return {name: int(count) for name, count in sorted(rows, key=lambda r: tag_sort_key(r[0]))}

    def size_on_disk(self) -> int:
        with self._reading() as db:
            row = db.execute("SELECT pg_database_size(current_database())").fetchone()
        return 0 if row is None else int(row[0])

    def close(self) -> None:
        if self._writer.closed:
            return
        self._listener.stop(self._notify)  # first: it reads through the pool
        self._writer.close(f"the message store {self._where} is closed")
        self._pool.close()
        self._spool.close()

    # -- machinery --------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._writer.closed:
            raise RuntimeError(f"the message store {self._where} is closed")

    @contextlib.contextmanager
    def _reading(self) -> Iterator[psycopg.Connection]:
        self._check_open()
        with self._pool.connection() as db:
            yield db

    def _check_taken(self, db: psycopg.Connection) -> None:
        """Check a connection as it is taken: after a restart of PostgreSQL (or cut
        connections) the next write and read get a live one, not an error. When one is dead
        the others most likely are too, so all are checked at once: the taker then waits for
        a new connection, instead of trying the dead ones one by one, each after a longer
        pause (psycopg_pool's backoff)."""
        try:
            ConnectionPool.check_connection(db)
        except psycopg.Error:
            self._pool.check()
            raise

    def _notify(self, payload: str) -> None:
        with self._pool.connection(timeout=5) as db:
            db.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))

    def _messages_by_seq(self, seqs: list[int]) -> list[StoredMessage]:
        with self._reading() as db:
            rows = db.execute(
                f"{_SELECT_MESSAGES} WHERE m.seq = ANY(%s) ORDER BY m.seq", (seqs,)
            ).fetchall()
        return [_stored(row) for row in rows]

    def _tags_of(self, message_ids: list[str]) -> dict[str, tuple[str, ...]]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT id, tags FROM messages WHERE id = ANY(%s) ORDER BY seq", (message_ids,)
            ).fetchall()
        return {message_id: tuple(json.loads(tags)) for message_id, tags in rows}


def _text_page(
    db: psycopg.Connection,
    sql: str,
    params: list[object],
    page: list[int | None],
    oldest_first: bool,
    after_seq: int | None,
) -> list[tuple[Any, ...]]:
    """A page of a text search, by the plan that suits how common the text is.

    PostgreSQL cannot tell: it keeps no statistics on values over 1 KB (most search texts),
    so it guesses a substring rare and reads every match from the trigram index before it
    sorts them, which for a word most messages hold is every message. So the page is looked
    for first by walking the newest (or oldest) `RECENT_WINDOW` messages in Seq order (of those
    after `after_seq`: a wait's few new messages), which a common text fills at once; only when
    that leaves the page short does the index find them all (then they are few).
    """
    limit, offset = page
    assert limit is not None
    assert offset is not None
    order = "ASC" if oldest_first else "DESC"
    window = min(RECENT_WINDOW + offset + limit, LARGEST_INTEGER)
    after, after_params = ("seq > %s", [after_seq]) if after_seq is not None else ("TRUE", [])
    bound = db.execute(
        f"SELECT seq FROM messages WHERE {after} ORDER BY seq {order} OFFSET %s LIMIT 1",
        [*after_params, window],
    ).fetchone()
    walk, walk_params = sql, params  # when the window holds them all
    if bound is not None:
        side = "<=" if oldest_first else ">="
        walk = sql.replace(" ORDER BY", f" AND m.seq {side} %s AND t.seq {side} %s ORDER BY")
        walk_params = [*params, bound[0], bound[0]]
    with db.transaction():  # along the Seq indexes only
        db.execute("SET LOCAL enable_bitmapscan = off")
        db.execute("SET LOCAL enable_seqscan = off")
        rows = db.execute(walk, [*walk_params, *page]).fetchall()
    if bound is None or len(rows) == limit:
        return rows
    with db.transaction():
        db.execute("SET LOCAL enable_seqscan = off")
        return db.execute(sql, [*params, *page]).fetchall()


def _raw_slice(cursor: psycopg.Cursor[Any], seq: int, start: int) -> bytes | None:
    row = cursor.execute(
        "SELECT substring(data FROM %s FOR %s) FROM raw WHERE seq = %s",
        (start + 1, RAW_PIECE, seq),
    ).fetchone()
    return None if row is None else bytes(row[0])


def _read_whole(size: int, read_slice: Callable[[int], bytes | None]) -> bytes | None:
    """The `size` bytes that `read_slice(start)` gives `RAW_PIECE` at a time, held once (and
    a slice): each slice is written into one buffer of the final size, whose bytes CPython's
    `BytesIO.getvalue()` hands over without a copy when they fill it exactly; joining the
    slices would hold the message twice. None when a slice is gone (deleted meanwhile)."""
    if size <= RAW_PIECE:
        return read_slice(0)
    buffer = io.BytesIO()
    buffer.seek(size - 1)
    buffer.write(b"\0")  # the whole size, allocated at once
    buffer.seek(0)
    for start in range(0, size, RAW_PIECE):
        piece = read_slice(start)
        if piece is None:
            return None
        buffer.write(piece)
    if buffer.tell() != size:
        raise RuntimeError(f"{buffer.tell()} bytes stored for a message of {size}")
    return buffer.getvalue()


def _stored(row: tuple[Any, ...]) -> StoredMessage:
    message_id, seq, size, read, tags, envelope, summary, search_text, search_text_is_json = row
    if search_text_is_json:
        search_text = json.loads(search_text)
    return StoredMessage(
        id=message_id,
        seq=seq,
        size=size,
        envelope=envelope_from_json(envelope),
        summary=summary_from_json(summary, search_text),
        read=read,
        tags=tuple(json.loads(tags)),
    )
