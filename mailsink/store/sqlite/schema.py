"""The SQLite store's schema and its migrations.

The schema version is `PRAGMA user_version`. `MIGRATIONS[n]` brings a database from version
n - 1 to n; opening a database runs the missing ones in order, each in its own transaction, so a
later schema change is one more function in the table. A database from a newer mailsink is
refused rather than guessed at.

Layout:
- `messages`: what search filters on, one narrow row per message (cheap to scan and count);
  its INTEGER PRIMARY KEY is the Seq (AUTOINCREMENT, so a Seq is never reused).
- `message_data`: envelope and summary as JSON, and the tags again, so that listing a page
  reads them with one lookup per message.
- `mailbox_counts`: the total and unread counts of each mailbox, kept by the store's writes
  (not by triggers: a trigger makes every insert keep a statement journal); the store's counts
  are their sums (a row per mailbox: a few at most, a hundred for a big shared sink).
- `raw`: the exact bytes, once; or `in_file` = 1 when they are in a file of their own
  (`raw_files.py`).
- `tags`, `message_tags`: tag names and which messages carry them.
- `message_text`: the lower-cased text that search looks in (subject, Message-ID, addresses,
  then the body text last, so that a scan of the small fields stops before a long body's
  overflow pages), with one FTS5 trigram index with external content (the text is stored
  once); `query.py` tells how queries use it.

Version 1 kept the fields and the body text in two tables with an FTS5 index each; version 2
merged them (one index per message, not two: less SQLite work per stored message),
dropped FTS5's per-row column sizes (`columnsize=0`: only ranking reads them, and search never
ranks), and added `raw.in_file`. It also made the attachment and inline indexes partial (only
messages with attachments, or inlines, are in them: a new message without either changes
neither) and dropped the mailbox index, which no query used yet. Every index is one more page
written per commit.

Version 3 brought the mailbox index back, on `messages (mailbox)` (with the Seq that every
index entry carries, so one mailbox's newest page is read from it in order), and keeps the
counts per mailbox.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from mailsink.store.sql_query import TEXT_COLUMNS

# The searchable text: `TEXT_COLUMNS` are the columns of `message_text` and of its index.
TEXT_TABLE = "message_text"
_V1_TEXT_TABLES = {"message_text": ("search_text",), "message_fields": TEXT_COLUMNS[:-1]}


def _create_v1(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            received_ms INTEGER NOT NULL,
            size INTEGER NOT NULL,
            read INTEGER NOT NULL DEFAULT 0,
            attachments INTEGER NOT NULL,
            inlines INTEGER NOT NULL,
            mailbox TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE message_data (
            seq INTEGER PRIMARY KEY,
            tags TEXT NOT NULL,
            envelope TEXT NOT NULL,
            summary TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX messages_read ON messages (read)")
    db.execute("CREATE INDEX messages_received ON messages (received_ms)")
    db.execute("CREATE INDEX messages_size ON messages (size)")
    db.execute("CREATE INDEX messages_attachments ON messages (attachments)")
    db.execute("CREATE INDEX messages_inlines ON messages (inlines)")
    db.execute("CREATE INDEX messages_mailbox ON messages (mailbox)")
    db.execute("CREATE TABLE raw (seq INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    db.execute(
        """CREATE TABLE tags (
            tag_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_lower TEXT NOT NULL UNIQUE
        )"""
    )
    db.execute(
        """CREATE TABLE message_tags (
            tag_id INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (tag_id, seq)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX message_tags_seq ON message_tags (seq)")
    db.execute("CREATE TABLE mailbox_counts (total INTEGER NOT NULL, unread INTEGER NOT NULL)")
    db.execute("INSERT INTO mailbox_counts VALUES (0, 0)")
    for table, columns in _V1_TEXT_TABLES.items():
        _create_text_table(db, table, columns)
        _create_text_index(db, table, columns, "")


def _create_text_table(db: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> None:
    declared = ", ".join(f"{column} TEXT NOT NULL" for column in columns)
    db.execute(f"CREATE TABLE {table} (seq INTEGER PRIMARY KEY, {declared})")


def _create_text_index(
    db: sqlite3.Connection, table: str, columns: tuple[str, ...], options: str
) -> None:
    # Case-sensitive: the text is lower-cased by Python already. detail=column: positions
    # would cost space and time, and GLOB re-checks every candidate anyway.
    db.execute(
        f"CREATE VIRTUAL TABLE {table}_index USING fts5({', '.join(columns)},"
        f" content = '{table}', content_rowid = 'seq',"
        f" tokenize = 'trigram case_sensitive 1', detail = column{options})"
    )


def _create_v2(db: sqlite3.Connection) -> None:
    """One text table and one index; large messages in files; the flag indexes hold only the
    messages that have the flag (see the module's docstring)."""
    db.execute("ALTER TABLE raw ADD COLUMN in_file INTEGER NOT NULL DEFAULT 0")
    for index in ("messages_attachments", "messages_inlines", "messages_mailbox"):
        db.execute(f"DROP INDEX {index}")
    db.execute("CREATE INDEX messages_with_attachments ON messages (seq) WHERE attachments > 0")
    db.execute("CREATE INDEX messages_with_inlines ON messages (seq) WHERE inlines > 0")
    _create_text_table(db, "merged_text", TEXT_COLUMNS)
    fields = ", ".join(f"f.{column}" for column in TEXT_COLUMNS[:-1])
    db.execute(
        f"INSERT INTO merged_text (seq, {', '.join(TEXT_COLUMNS)})"
        f" SELECT t.seq, {fields}, t.search_text"
        " FROM message_text t JOIN message_fields f ON f.seq = t.seq"
    )
    for table in _V1_TEXT_TABLES:
        db.execute(f"DROP TABLE {table}_index")
        db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE merged_text RENAME TO {TEXT_TABLE}")
    _create_text_index(db, TEXT_TABLE, TEXT_COLUMNS, ", columnsize = 0")
    # FTS5 merges its segments when a level holds `automerge` of them (4 by default): each
    # commit of a few small messages adds one, so merging was a large part of the index's
    # cost. At 16, a query reads a few more segments, which costs it little.
    db.execute(
        f"INSERT INTO {TEXT_TABLE}_index ({TEXT_TABLE}_index, rank) VALUES ('automerge', 16)"
    )
    db.execute(f"INSERT INTO {TEXT_TABLE}_index ({TEXT_TABLE}_index) VALUES ('rebuild')")


def _create_v3(db: sqlite3.Connection) -> None:
    """The mailbox index, and the counts per mailbox (see the module's docstring)."""
    db.execute("CREATE INDEX messages_mailbox ON messages (mailbox)")
    db.execute("DROP TABLE mailbox_counts")
    db.execute(
        """CREATE TABLE mailbox_counts (
            mailbox TEXT PRIMARY KEY,
            total INTEGER NOT NULL,
            unread INTEGER NOT NULL
        ) WITHOUT ROWID"""
    )
    db.execute(
        "INSERT INTO mailbox_counts (mailbox, total, unread)"
        " SELECT mailbox, COUNT(*), SUM(read = 0) FROM messages GROUP BY mailbox"
    )


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _create_v1,
    2: _create_v2,
    3: _create_v3,
}
SCHEMA_VERSION = max(MIGRATIONS)


def migrate(db: sqlite3.Connection, path: str) -> None:
    """Bring the database at `path` (opened in autocommit mode) to `SCHEMA_VERSION`."""
    (version,) = db.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"{path} has mailsink schema version {version}, newer than this mailsink's "
            f"{SCHEMA_VERSION}: upgrade mailsink or use another --database"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[target](db)
            db.execute(f"PRAGMA user_version = {target}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")


def check_sqlite_features() -> None:
    """Fail clearly when the runtime SQLite lacks what the store needs (FTS5 with trigram)."""
    if sqlite3.sqlite_version_info < (3, 34, 0):
        raise RuntimeError(
            f"the SQLite store needs SQLite 3.34 or later (FTS5 trigram tokenizer); this Python "
            f"uses SQLite {sqlite3.sqlite_version}: use --store memory or a newer Python/SQLite"
        )
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x, tokenize = 'trigram')")
    except sqlite3.OperationalError as error:
        raise RuntimeError(
            f"the SQLite store needs FTS5 with the trigram tokenizer, which this SQLite "
            f"({sqlite3.sqlite_version}) lacks ({error}): use --store memory"
        ) from None
    finally:
        probe.close()
