"""The PostgreSQL store's schema and its migrations.

The version is the one row of `mailsink_schema`. `MIGRATIONS[n]` brings a database from version
n - 1 to n; `migrate` runs the missing ones in order, each in its own transaction, under an
advisory lock, so that nodes starting together migrate once. A database from a newer mailsink
is refused rather than guessed at. `mailsink db upgrade --database URL` runs `migrate` alone
(before a rolling update of the nodes, say).

Layout (names as in the SQLite store, so `mailsink.store.sql_query` compiles for both):
- `store_state`: one row: the last Seq given out, and the Seq epoch (IMAP's UIDVALIDITY: made
  with the database, so every node tells clients the same). Every write transaction locks it
  first: writes from every node are serialized, so Seqs are given out in
  commit order (a reader that saw Seq n never later finds a new message below n), and a
  transaction that fails gives its Seqs back (a database SEQUENCE would leave a gap).
- `messages`: what search filters on, plus envelope, summary and tags as JSON text (the
  codec's), so that a page of results is one read per row. `mailbox` is indexed from the start.
  `exact_search_text` is the search text as a JSON string when it holds a NUL character, which
  a `text` column cannot (`message_text` has U+FFFD in its place); else NULL.
- `message_text`: the lower-cased text that search looks in, one column per field, under one
  multi-column `pg_trgm` GIN index that serves `LIKE '%value%'` on any of them.
- `raw`: the exact bytes, `bytea` stored uncompressed (`EXTERNAL`), so that reading a large
  message slice by slice fetches only the slices.
- `tags`, `message_tags`: tag names and which messages carry them.
- `mailbox_counts`: the total and unread counts of each mailbox holding mail, kept by the
  writes (the store's counts are their sums).
Rows that hang off a message go with it (`ON DELETE CASCADE`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import psycopg

from mailsink.store.base import StoreUnavailable
from mailsink.store.sql_query import TEXT_COLUMNS

_MIGRATION_LOCK = 0x6D61696C73696E6B  # "mailsink": an advisory lock key of our own


def _create_v1(db: psycopg.Connection) -> None:
    db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    db.execute(
        """CREATE TABLE store_state (
            singleton boolean PRIMARY KEY DEFAULT TRUE CHECK (singleton),
            last_seq bigint NOT NULL,
            seq_epoch integer NOT NULL
        )"""
    )
    db.execute("INSERT INTO store_state VALUES (TRUE, 0, %s)", (secrets.randbelow(2**31 - 1) + 1,))
    db.execute(
        """CREATE TABLE mailbox_counts (
            mailbox text PRIMARY KEY,
            total bigint NOT NULL,
            unread bigint NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE messages (
            seq bigint PRIMARY KEY,
            id text NOT NULL UNIQUE,
            received_ms bigint NOT NULL,
            size bigint NOT NULL,
            read boolean NOT NULL DEFAULT FALSE,
            attachments integer NOT NULL,
            inlines integer NOT NULL,
            mailbox text NOT NULL,
            tags text NOT NULL,
            envelope text NOT NULL,
            summary text NOT NULL,
            exact_search_text text
        )"""
    )
    db.execute("CREATE INDEX messages_unread ON messages (seq) WHERE NOT read")
    db.execute("CREATE INDEX messages_received ON messages (received_ms)")
    db.execute("CREATE INDEX messages_size ON messages (size)")
    db.execute("CREATE INDEX messages_with_attachments ON messages (seq) WHERE attachments > 0")
    db.execute("CREATE INDEX messages_with_inlines ON messages (seq) WHERE inlines > 0")
    db.execute("CREATE INDEX messages_mailbox ON messages (mailbox, seq)")
    db.execute(
        """CREATE TABLE raw (
            seq bigint PRIMARY KEY REFERENCES messages ON DELETE CASCADE,
            data bytea NOT NULL
        )"""
    )
    db.execute("ALTER TABLE raw ALTER COLUMN data SET STORAGE EXTERNAL")
    db.execute(
        """CREATE TABLE tags (
            tag_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL,
            name_lower text NOT NULL UNIQUE
        )"""
    )
    db.execute(
        """CREATE TABLE message_tags (
            tag_id bigint NOT NULL REFERENCES tags ON DELETE CASCADE,
            seq bigint NOT NULL REFERENCES messages ON DELETE CASCADE,
            PRIMARY KEY (tag_id, seq)
        )"""
    )
    db.execute("CREATE INDEX message_tags_seq ON message_tags (seq)")
    declared = ", ".join(f"{column} text NOT NULL" for column in TEXT_COLUMNS)
    db.execute(
        "CREATE TABLE message_text ("
        f"seq bigint PRIMARY KEY REFERENCES messages ON DELETE CASCADE, {declared})"
    )
    indexed = ", ".join(f"{column} gin_trgm_ops" for column in TEXT_COLUMNS)
    db.execute(f"CREATE INDEX message_text_trigrams ON message_text USING gin ({indexed})")


MIGRATIONS: dict[int, Callable[[psycopg.Connection], None]] = {
    1: _create_v1,
}
SCHEMA_VERSION = max(MIGRATIONS)


def schema_version(db: psycopg.Connection) -> int:
    """The database's mailsink schema version; 0 for a database without mailsink's tables."""
    exists = db.execute("SELECT to_regclass('mailsink_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = db.execute("SELECT version FROM mailsink_schema").fetchone()
    return 0 if row is None else int(row[0])


def migrate(db: psycopg.Connection, where: str) -> list[int]:
    """Bring the database (`db` in autocommit mode) to `SCHEMA_VERSION`; returns the versions
    it migrated to. `where` names the database in errors."""
    done: list[int] = []
    while True:
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS mailsink_schema (version integer NOT NULL)")
            version = schema_version(db)
            if version > SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"{where} has mailsink schema version {version}, newer than this "
                    f"mailsink's {SCHEMA_VERSION}: upgrade mailsink or use another --database"
                )
            if version == SCHEMA_VERSION:
                return done
            MIGRATIONS[version + 1](db)
            db.execute("DELETE FROM mailsink_schema")
            db.execute("INSERT INTO mailsink_schema VALUES (%s)", (version + 1,))
            done.append(version + 1)
