"""The SQLite store's schema and its migrations.

The schema version is `PRAGMA user_version`. `MIGRATIONS[n]` brings a database from version
n - 1 to n; opening a database runs the missing ones in order, each in its own transaction, so a
later schema change is one more function in the table. A database from a newer mailsink is
refused rather than guessed at.

Layout: `messages` holds the metadata (its INTEGER PRIMARY KEY is the Seq, AUTOINCREMENT so a
Seq is never reused), `raw` the exact bytes (once), `tags`/`message_tags` the tags (the
`messages.tags` JSON repeats a message's tags so that listing needs no join), `message_text`
the lower-cased text that search looks in (one narrow row per message, cheap to scan), and
`message_text_index` an FTS5 trigram index over it (external content: the text is stored once),
with `message_text_vocab` telling how many messages hold a trigram (to choose index or scan).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# Columns of the text index, in the order `SqliteStore` inserts them.
TEXT_COLUMNS = (
    "search_text",
    "subject",
    "message_id",
    "from_text",
    "to_text",
    "cc_text",
    "bcc_text",
    "reply_to_text",
)


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
            mailbox TEXT NOT NULL,
            tags TEXT NOT NULL DEFAULT '[]',
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
    columns = ", ".join(f"{column} TEXT NOT NULL" for column in TEXT_COLUMNS)
    db.execute(f"CREATE TABLE message_text (seq INTEGER PRIMARY KEY, {columns})")
    # Case-sensitive because the text is lower-cased by Python already; detail=column because
    # positions cost space and time and GLOB re-checks every candidate anyway.
    db.execute(
        f"CREATE VIRTUAL TABLE message_text_index USING fts5({', '.join(TEXT_COLUMNS)},"
        " content = 'message_text', content_rowid = 'seq',"
        " tokenize = 'trigram case_sensitive 1', detail = column)"
    )
    db.execute("CREATE VIRTUAL TABLE message_text_vocab USING fts5vocab(message_text_index, col)")


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _create_v1,
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
