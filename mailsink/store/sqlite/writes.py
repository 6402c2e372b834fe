"""The SQL of each write: functions run on the writer thread, inside its open transaction.

Each returns its result and the changes to publish once the transaction has committed
(`Outcome`); none commits or publishes by itself (`writer.py` does, for a whole batch).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence, Sized
from datetime import datetime
from functools import partial
from typing import TypeVar

from mailsink.events import Change, ChangeKind, changes_by_mailbox
from mailsink.store import sql_writes
from mailsink.store.base import NewMessage, StoredMessage
from mailsink.store.codec import envelope_to_json, summary_to_json
from mailsink.store.dates import to_unix_ms
from mailsink.store.group_commit import Outcome
from mailsink.store.search import field_text
from mailsink.store.sql_query import TEXT_COLUMNS
from mailsink.store.sql_writes import TEXT_FIELDS, Dialect, already_stored, inserted
from mailsink.store.sqlite.raw_files import RAW_IN_FILE_ABOVE, WriterConnection
from mailsink.store.tags import clean_tags

T = TypeVar("T")

# Bytes of WAL a message costs beyond its size: the pages of rows and indexes it changes.
JOB_WAL_BYTES = 16 * 1024
_TEXT_NAMES, _TEXT_MARKS = ", ".join(TEXT_COLUMNS), ", ?" * len(TEXT_COLUMNS)
_CHUNK = 500  # IDs per "IN (...)" list

_DIALECT = Dialect(mark="?", tags_table="message_data")


def insert_many(
    db: WriterConnection, messages: Sequence[NewMessage]
) -> list[Outcome[StoredMessage]]:
    """Store `messages` in the open transaction, each table's rows together and the text
    index's last: FTS5 writes out its pending terms at every statement savepoint, so an
    ordinary statement between two index inserts would cost one index segment per message."""
    per_mailbox = Counter(message.envelope.mailbox for message in messages)
    db.executemany(
        "INSERT INTO mailbox_counts (mailbox, total, unread) VALUES (?, ?, ?)"
        " ON CONFLICT (mailbox) DO UPDATE SET"
        " total = total + excluded.total, unread = unread + excluded.unread",
        [(mailbox, count, count) for mailbox, count in per_mailbox.items()],
    )
    count = len(messages)
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
        raise already_stored(messages) from None
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
        _insert_raw(db, seq, message)
        _link_tags(db, seq, message_tags)
    texts = [
        (seq, *(field_text(field, message.summary) for field in TEXT_FIELDS))
        for seq, message in zip(seqs, messages, strict=True)
    ]
    db.executemany(f"INSERT INTO message_text (seq, {_TEXT_NAMES}) VALUES (?{_TEXT_MARKS})", texts)
    db.executemany(
        f"INSERT INTO message_text_index (rowid, {_TEXT_NAMES}) VALUES (?{_TEXT_MARKS})", texts
    )
    return inserted(seqs, messages, tags)


def _insert_raw(db: WriterConnection, seq: int, message: NewMessage) -> None:
    """Store the exact bytes: in the row, or for a large message in a file (`raw_files.py`)."""
    raw = message.raw
    db.written_bytes += JOB_WAL_BYTES + len(raw)
    if len(raw) <= RAW_IN_FILE_ABOVE and message.spooled is None:
        db.execute("INSERT INTO raw (seq, data) VALUES (?, ?)", (seq, raw))
        return
    db.files_written.append(seq)  # first: a write that fails (a full disk) leaves part of it
    db.raw_files.write(seq, raw, message.spooled)
    db.execute("INSERT INTO raw (seq, data, in_file) VALUES (?, x'', 1)", (seq,))


def delete(db: WriterConnection, message_ids: list[str]) -> Outcome[list[str]]:
    found = _rows_of(db, message_ids)
    _delete_seqs(db, [seq for seq, _ in found.values()])
    pairs = [(message_id, mailbox) for message_id, (_, mailbox) in found.items()]
    return list(found), changes_by_mailbox(ChangeKind.DELETE, pairs)


def delete_all(db: WriterConnection, mailbox: str | None = None) -> Outcome[None]:
    """Every message (one TRUNCATE), or every message of `mailbox` (a DELETE of its IDs)."""
    if mailbox is not None:
        rows = db.execute(
            "SELECT id, seq FROM messages WHERE mailbox = ? ORDER BY seq", (mailbox,)
        ).fetchall()
        _delete_seqs(db, [seq for _, seq in rows])
        pairs = [(message_id, mailbox) for message_id, _ in rows]
        return None, changes_by_mailbox(ChangeKind.DELETE, pairs)
    db.files_released += [seq for (seq,) in db.execute("SELECT seq FROM raw WHERE in_file")]
    db.execute("INSERT INTO message_text_index (message_text_index) VALUES ('delete-all')")
    for table in ("messages", "message_data", "raw", "message_text", "message_tags", "tags"):
        db.execute(f"DELETE FROM {table}")
    db.execute("DELETE FROM mailbox_counts")
    return None, (Change(ChangeKind.TRUNCATE),)


def set_read(
    db: sqlite3.Connection, message_ids: list[str] | None, read: bool
) -> Outcome[list[str]]:
    if message_ids is None:
        pairs = db.execute(
            "SELECT id, mailbox FROM messages WHERE read != ? ORDER BY seq", (read,)
        ).fetchall()
        db.execute("UPDATE messages SET read = ? WHERE read != ?", (read, read))
        db.execute("UPDATE mailbox_counts SET unread = CASE WHEN ? THEN 0 ELSE total END", (read,))
    else:
        found = _rows_of(db, message_ids, "AND read != ?", (read,))
        pairs = [(message_id, mailbox) for message_id, (_, mailbox) in found.items()]
        for chunk in _chunks([seq for seq, _ in found.values()]):
            db.execute(
                f"UPDATE messages SET read = ? WHERE seq IN ({_marks(chunk)})", (read, *chunk)
            )
        for mailbox, count in Counter(mailbox for _, mailbox in pairs).items():
            db.execute(
                "UPDATE mailbox_counts SET unread = unread + ? WHERE mailbox = ?",
                (-count if read else count, mailbox),
            )
    changed = [message_id for message_id, _ in pairs]
    return changed, changes_by_mailbox(ChangeKind.UPDATE, pairs, read=read)


def set_tags(db: sqlite3.Connection, message_ids: list[str], tags: list[str]) -> Outcome[None]:
    cleaned = clean_tags(tags, partial(_tag_spelling, db))
    found = _rows_of(db, message_ids)
    for seq, _ in found.values():
        db.execute("DELETE FROM message_tags WHERE seq = ?", (seq,))
        _link_tags(db, seq, cleaned)
        db.execute("UPDATE message_data SET tags = ? WHERE seq = ?", (json.dumps(cleaned), seq))
    _drop_unused_tags(db)
    pairs = [(message_id, mailbox) for message_id, (_, mailbox) in found.items()]
    return None, changes_by_mailbox(ChangeKind.UPDATE, pairs, tags=cleaned)


def rename_tag(db: sqlite3.Connection, old: str, new: str | None) -> Outcome[None]:
    """Rename tag `old` to `new` on every message, or remove it when `new` is None."""
    return sql_writes.rename_tag(db, _DIALECT, old, new)


def prune(
    db: WriterConnection, max_count: int, older_than: datetime | None, mailbox: str | None
) -> Outcome[list[str]]:
    """Retention among all messages, or those of `mailbox`."""
    doomed: list[tuple[str, int, str]] = []
    within, params = ("mailbox = ?", [mailbox]) if mailbox is not None else ("1", [])
    kept_condition, kept_params = within, list[object](params)
    if older_than is not None:
        bound = to_unix_ms(older_than)
        doomed += db.execute(
            f"SELECT id, seq, mailbox FROM messages WHERE {within} AND received_ms < ?"
            " ORDER BY seq",
            (*params, bound),
        ).fetchall()
        kept_condition, kept_params = f"{within} AND received_ms >= ?", [*params, bound]
    if max_count > 0:
        excess = db.execute(
            f"SELECT id, seq, mailbox FROM messages WHERE {kept_condition}"
            " ORDER BY seq DESC LIMIT -1 OFFSET ?",
            (*kept_params, max_count),
        ).fetchall()
        doomed += reversed(excess)
    _delete_seqs(db, [seq for _, seq, _ in doomed])
    pairs = [(message_id, mailbox) for message_id, _, mailbox in doomed]
    return [message_id for message_id, _ in pairs], changes_by_mailbox(ChangeKind.PRUNE, pairs)


def _rows_of(
    db: sqlite3.Connection,
    message_ids: Iterable[str],
    extra: str = "",
    params: tuple[object, ...] = (),
) -> dict[str, tuple[int, str]]:
    """{id: (seq, mailbox)} of the stored messages among `message_ids`, in their order,
    duplicates once."""
    wanted = list(dict.fromkeys(message_ids))
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(wanted):
        rows = db.execute(
            f"SELECT id, seq, mailbox FROM messages WHERE id IN ({_marks(chunk)}) {extra}",
            (*chunk, *params),
        )
        found.update((message_id, (seq, mailbox)) for message_id, seq, mailbox in rows)
    return {i: found[i] for i in wanted if i in found}


def _delete_seqs(db: WriterConnection, seqs: list[int]) -> None:
    for chunk in _chunks(seqs):
        marks = _marks(chunk)
        counted = db.execute(
            "SELECT mailbox, COUNT(*), SUM(read = 0) FROM messages"
            f" WHERE seq IN ({marks}) GROUP BY mailbox",
            chunk,
        ).fetchall()
        db.executemany(
            "UPDATE mailbox_counts SET total = total - ?, unread = unread - ? WHERE mailbox = ?",
            [(total, unread, mailbox) for mailbox, total, unread in counted],
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
        db.execute("DELETE FROM mailbox_counts WHERE total = 0")


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


def _chunks(items: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(items: Sized) -> str:
    return ", ".join("?" * len(items))
