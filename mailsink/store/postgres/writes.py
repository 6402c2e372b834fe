"""The SQL of each write: functions run by the writer inside its open transaction, after it
locked `store_state` (see `schema.py`: writes from every node take turns).

Each returns its result and the changes to publish once the transaction has committed
(`Outcome`); none commits or publishes by itself (`writer.py` does, for a whole batch, and
sends the same changes to the other nodes with NOTIFY in the same transaction).
"""

from __future__ import annotations

import json
import struct
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from functools import partial

import psycopg
import psycopg.errors

from mailsink.events import Change, ChangeKind, changes_by_mailbox
from mailsink.store import sql_writes
from mailsink.store.base import NewMessage, StoredMessage
from mailsink.store.codec import envelope_to_json, summary_to_json
from mailsink.store.dates import to_unix_ms
from mailsink.store.group_commit import Outcome
from mailsink.store.postgres.query import storable_text
from mailsink.store.search import field_text
from mailsink.store.sql_query import TEXT_COLUMNS
from mailsink.store.sql_writes import TEXT_FIELDS, Dialect, already_stored, inserted
from mailsink.store.tags import clean_tags

_MESSAGE_COLUMNS = (
    "seq, id, received_ms, size, attachments, inlines, mailbox, tags, envelope, summary,"
    " exact_search_text"
)
# COPY … (FORMAT BINARY) framing: the file header, a (seq, data) row's field count and Seq.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER = struct.pack("!h", -1)
RAW_PIECE = 1024 * 1024  # bytes handed to the connection at a time

_DIALECT = Dialect(mark="%s", tags_table="messages")


def insert_many(
    db: psycopg.Connection, messages: Sequence[NewMessage]
) -> list[Outcome[StoredMessage]]:
    """Store `messages` in the open transaction. A message ID already stored fails the whole
    batch; its rollback gives the Seqs back (the writer then stores each message alone, so
    that only that one fails)."""
    count = len(messages)
    row = db.execute(
        "UPDATE store_state SET last_seq = last_seq + %s RETURNING last_seq", (count,)
    ).fetchone()
    assert row is not None
    seqs = range(row[0] - count + 1, row[0] + 1)
    per_mailbox = Counter(storable_text(message.envelope.mailbox) for message in messages)
    _add_counts(db, [(mailbox, n, n) for mailbox, n in per_mailbox.items()])
    tags = [clean_tags(message.summary.tags, partial(_tag_spelling, db)) for message in messages]
    cursor = db.cursor()
    try:
        _copy_messages(cursor, seqs, messages, tags)
    except psycopg.errors.UniqueViolation:
        raise already_stored(messages) from None
    with cursor.copy(f"COPY message_text (seq, {', '.join(TEXT_COLUMNS)}) FROM STDIN") as copy:
        for seq, message in zip(seqs, messages, strict=True):
            texts = (storable_text(field_text(f, message.summary)) for f in TEXT_FIELDS)
            copy.write_row((seq, *texts))
    _copy_raw(cursor, seqs, messages)
    for seq, message_tags in zip(seqs, tags, strict=True):
        _link_tags(db, seq, message_tags)
    return inserted(seqs, messages, tags)


def _copy_messages(
    cursor: psycopg.Cursor,
    seqs: range,
    messages: Sequence[NewMessage],
    tags: list[tuple[str, ...]],
) -> None:
    with cursor.copy(f"COPY messages ({_MESSAGE_COLUMNS}) FROM STDIN") as copy:
        for seq, message, message_tags in zip(seqs, messages, tags, strict=True):
            copy.write_row(
                (
                    seq,
                    message.id,
                    to_unix_ms(message.envelope.received),
                    len(message.raw),
                    message.summary.attachments,
                    message.summary.inlines,
                    storable_text(message.envelope.mailbox),
                    json.dumps(message_tags),
                    envelope_to_json(message.envelope),
                    summary_to_json(message.summary),
                    _exact_search_text(message.summary.search_text),
                )
            )


def _exact_search_text(search_text: str) -> str | None:
    return json.dumps(search_text) if "\x00" in search_text else None


def _copy_raw(cursor: psycopg.Cursor, seqs: range, messages: Sequence[NewMessage]) -> None:
    """The exact bytes, streamed in `RAW_PIECE`s through a binary COPY: the connection never
    holds a second copy of a large message (an INSERT parameter would be copied whole)."""
    with cursor.copy("COPY raw (seq, data) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_COPY_HEADER)
        for seq, message in zip(seqs, messages, strict=True):
            copy.write(struct.pack("!hiqi", 2, 8, seq, len(message.raw)))
            data = memoryview(message.raw)
            for start in range(0, len(data), RAW_PIECE):
                copy.write(data[start : start + RAW_PIECE])
        copy.write(_COPY_TRAILER)


def delete(db: psycopg.Connection, message_ids: list[str]) -> Outcome[list[str]]:
    wanted = _positions(message_ids)
    rows = _delete_where(db, "id = ANY(%s)", (list(wanted),))
    rows.sort(key=lambda row: wanted[row[0]])
    return [row[0] for row in rows], _changes(ChangeKind.DELETE, rows)


def delete_all(db: psycopg.Connection, mailbox: str | None = None) -> Outcome[None]:
    """Every message (one TRUNCATE), or every message of `mailbox` (a DELETE of its IDs)."""
    if mailbox is not None:
        rows = _delete_where(db, "mailbox = %s", (mailbox,))
        return None, _changes(ChangeKind.DELETE, rows)
    db.execute("TRUNCATE message_tags, tags, message_text, raw, messages, mailbox_counts")
    return None, (Change(ChangeKind.TRUNCATE),)


def set_read(
    db: psycopg.Connection, message_ids: list[str] | None, read: bool
) -> Outcome[list[str]]:
    where = "read != %s"
    params: list[object] = [read]
    if message_ids is not None:
        where += " AND id = ANY(%s)"
        params.append(list(dict.fromkeys(message_ids)))
    rows = db.execute(
        f"UPDATE messages SET read = %s WHERE {where} RETURNING id, seq, mailbox",
        (read, *params),
    ).fetchall()
    if message_ids is None:
        rows.sort(key=lambda row: row[1])
    else:
        wanted = _positions(message_ids)
        rows.sort(key=lambda row: wanted[row[0]])
    per_mailbox = Counter(mailbox for _, _, mailbox in rows)
    _add_counts(db, [(mailbox, 0, -n if read else n) for mailbox, n in per_mailbox.items()])
    pairs = [(message_id, mailbox) for message_id, _, mailbox in rows]
    return [message_id for message_id, _ in pairs], changes_by_mailbox(
        ChangeKind.UPDATE, pairs, read=read
    )


def set_tags(db: psycopg.Connection, message_ids: list[str], tags: list[str]) -> Outcome[None]:
    cleaned = clean_tags(tags, partial(_tag_spelling, db))
    wanted = list(dict.fromkeys(message_ids))
    found: dict[str, tuple[int, str]] = {
        message_id: (seq, mailbox)
        for message_id, seq, mailbox in db.execute(
            "SELECT id, seq, mailbox FROM messages WHERE id = ANY(%s)", (wanted,)
        )
    }
    targets = [message_id for message_id in wanted if message_id in found]
    seqs = [found[message_id][0] for message_id in targets]
    db.execute("DELETE FROM message_tags WHERE seq = ANY(%s)", (seqs,))
    for seq in seqs:
        _link_tags(db, seq, cleaned)
    db.execute("UPDATE messages SET tags = %s WHERE seq = ANY(%s)", (json.dumps(cleaned), seqs))
    _drop_unused_tags(db)
    pairs = [(message_id, found[message_id][1]) for message_id in targets]
    return None, changes_by_mailbox(ChangeKind.UPDATE, pairs, tags=cleaned)


def rename_tag(db: psycopg.Connection, old: str, new: str | None) -> Outcome[None]:
    """Rename tag `old` to `new` on every message, or remove it when `new` is None."""
    return sql_writes.rename_tag(db, _DIALECT, old, new)


def prune(
    db: psycopg.Connection, max_count: int, older_than: datetime | None, mailbox: str | None
) -> Outcome[list[str]]:
    """Retention among all messages, or those of `mailbox`: the aged first, then the excess
    beyond the newest `max_count` of the others, each in Seq order (as the memory store lists
    them)."""
    bound = None if older_than is None else to_unix_ms(older_than)
    within, within_params = ("mailbox = %s", [mailbox]) if mailbox is not None else ("TRUE", [])
    conditions: list[str] = []
    params: list[object] = []
    if bound is not None:
        conditions.append("received_ms < %s")
        params.append(bound)
    if max_count > 0:
        kept, kept_params = ("received_ms >= %s", [bound]) if bound is not None else ("TRUE", [])
        conditions.append(
            f"seq IN (SELECT seq FROM messages WHERE {within} AND {kept}"
            " ORDER BY seq DESC OFFSET %s)"
        )
        params += [*within_params, *kept_params, max_count]
    if not conditions:
        return [], ()
    where = f"{within} AND ({' OR '.join(conditions)})"
    rows = _delete_where(db, where, (*within_params, *params))
    if bound is not None:
        rows.sort(key=lambda row: (row[2] >= bound, row[1]))
    return [row[0] for row in rows], _changes(ChangeKind.PRUNE, rows)


def _delete_where(
    db: psycopg.Connection, where: str, params: tuple[object, ...]
) -> list[tuple[str, int, int, str]]:
    """Delete the messages matching `where` (and what hangs off them); their (ID, Seq,
    received time, mailbox) in Seq order."""
    rows = db.execute(
        f"DELETE FROM messages WHERE {where} RETURNING id, seq, received_ms, mailbox, read",
        params,
    ).fetchall()
    if rows:
        totals = Counter(mailbox for *_, mailbox, _ in rows)
        unread = Counter(mailbox for *_, mailbox, read in rows if not read)
        _add_counts(db, [(mailbox, -n, -unread[mailbox]) for mailbox, n in totals.items()])
        db.execute("DELETE FROM mailbox_counts WHERE total = 0")
        _drop_unused_tags(db)
    return sorted(
        ((i, seq, received, mailbox) for i, seq, received, mailbox, _ in rows),
        key=lambda row: row[1],
    )


def _changes(kind: ChangeKind, rows: list[tuple[str, int, int, str]]) -> list[Change]:
    return changes_by_mailbox(kind, [(message_id, mailbox) for message_id, _, _, mailbox in rows])


def _add_counts(db: psycopg.Connection, deltas: list[tuple[str, int, int]]) -> None:
    """Add (mailbox, total, unread) to each mailbox's counts (a new mailbox starts at 0)."""
    if deltas:
        db.cursor().executemany(
            "INSERT INTO mailbox_counts (mailbox, total, unread) VALUES (%s, %s, %s)"
            " ON CONFLICT (mailbox) DO UPDATE SET total = mailbox_counts.total + excluded.total,"
            " unread = mailbox_counts.unread + excluded.unread",
            deltas,
        )


def _positions(message_ids: list[str]) -> dict[str, int]:
    """Each ID's place among `message_ids` (its first), to answer in the caller's order."""
    return {message_id: index for index, message_id in enumerate(dict.fromkeys(message_ids))}


def _tag_spelling(db: psycopg.Connection, lowered: str) -> str | None:
    row = db.execute("SELECT name FROM tags WHERE name_lower = %s", (lowered,)).fetchone()
    return None if row is None else str(row[0])


def _link_tags(db: psycopg.Connection, seq: int, tags: Sequence[str]) -> None:
    for tag in tags:
        db.execute(
            "INSERT INTO tags (name, name_lower) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (tag, tag.lower()),
        )
        db.execute(
            "INSERT INTO message_tags (tag_id, seq)"
            " SELECT tag_id, %s FROM tags WHERE name_lower = %s",
            (seq, tag.lower()),
        )


def _drop_unused_tags(db: psycopg.Connection) -> None:
    db.execute(
        "DELETE FROM tags t WHERE NOT EXISTS (SELECT 1 FROM message_tags mt"
        " WHERE mt.tag_id = t.tag_id)"
    )
