"""What the writes of both SQL stores share: the text columns' fields, the answer to an insert
(each message as stored, with its NEW change), and tag renaming (the same statements but for
the parameter mark and the table that holds each message's tags as JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mailsink.events import Change, ChangeKind
from mailsink.store.base import NewMessage, StoredMessage, TagError
from mailsink.store.group_commit import Outcome
from mailsink.store.sql_query import TEXT_COLUMN, TEXT_COLUMNS
from mailsink.store.tags import clean_tag, tag_sort_key

_FIELD_OF_COLUMN = {column: field for field, column in TEXT_COLUMN.items()}
TEXT_FIELDS = [_FIELD_OF_COLUMN[column] for column in TEXT_COLUMNS]  # in the columns' order


class Connection(Protocol):
    """What the shared writes use of a connection (sqlite3's and psycopg's both have it)."""

    def execute(self, sql: Any, parameters: Any = ..., /) -> Any: ...


@dataclass(frozen=True, slots=True)
class Dialect:
    """How a SQL store's statements differ where its writes are otherwise the same."""

    mark: str  # a parameter's placeholder: "?" or "%s"
    tags_table: str  # the table whose `tags` column holds each message's tags as JSON


def already_stored(messages: Sequence[NewMessage]) -> ValueError:
    """The error of an insert that hit a stored message ID (the writer then stores each
    message alone, so that the one to blame is named alone)."""
    named = " or ".join(repr(message.id) for message in messages)
    return ValueError(f"message ID {named} is already stored")


def inserted(
    seqs: Iterable[int], messages: Sequence[NewMessage], tags: Sequence[tuple[str, ...]]
) -> list[Outcome[StoredMessage]]:
    """Each message of an insert as stored under its Seq and tags, and its NEW change."""
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
        new = Change(
            ChangeKind.NEW, ids=(stored.id,), message=stored, mailbox=stored.envelope.mailbox
        )
        outcomes.append((stored, (new,)))
    return outcomes


def rename_tag(db: Connection, dialect: Dialect, old: str, new: str | None) -> Outcome[None]:
    """Rename tag `old` to `new` on every message, or remove it when `new` is None."""
    p = dialect.mark
    row = db.execute(f"SELECT tag_id FROM tags WHERE name_lower = {p}", (old.lower(),)).fetchone()
    if row is None:
        raise TagError(f"tag not found: {old}")
    (tag_id,) = row
    affected = db.execute(
        "SELECT m.id, m.seq FROM message_tags mt JOIN messages m ON m.seq = mt.seq"
        f" WHERE mt.tag_id = {p} ORDER BY m.seq",
        (tag_id,),
    ).fetchall()
    if new is None:
        db.execute(f"DELETE FROM message_tags WHERE tag_id = {p}", (tag_id,))
        db.execute(f"DELETE FROM tags WHERE tag_id = {p}", (tag_id,))
    else:
        renamed = clean_tag(new)
        if not renamed:
            raise TagError(f"invalid tag name: {new}")
        clash = db.execute(
            f"SELECT 1 FROM tags WHERE name_lower = {p} AND tag_id != {p}",
            (renamed.lower(), tag_id),
        ).fetchone()
        if clash is not None:
            raise TagError(f"tag already exists: {new}")
        db.execute(
            f"UPDATE tags SET name = {p}, name_lower = {p} WHERE tag_id = {p}",
            (renamed, renamed.lower(), tag_id),
        )
    for _, seq in affected:
        names = [
            name
            for (name,) in db.execute(
                "SELECT t.name FROM message_tags mt JOIN tags t ON t.tag_id = mt.tag_id"
                f" WHERE mt.seq = {p}",
                (seq,),
            )
        ]
        names.sort(key=tag_sort_key)
        db.execute(
            f"UPDATE {dialect.tags_table} SET tags = {p} WHERE seq = {p}", (json.dumps(names), seq)
        )
    return None, (Change(ChangeKind.PRUNE, ids=tuple(i for i, _ in affected)),)
