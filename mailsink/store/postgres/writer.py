"""The PostgreSQL store's writer: `group_commit.py`'s, on a connection of the pool.

Each transaction first locks `store_state`, so that writes from every node take turns, and
NOTIFYs the other nodes of its changes before it commits. So an acknowledged message is
durable (the commit waited for PostgreSQL's WAL flush), indexed and announced on every node.

`add_now` never commits on an event loop: a commit is a round trip to the server (over the
network, for a shared database) that would stall every SMTP session; ingest then uses `add`,
and the writer still commits the messages that arrive together in one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from mailsink.events import ChangeHub
from mailsink.store.base import NewMessage, StoredMessage
from mailsink.store.group_commit import GroupCommitWriter, Outcome
from mailsink.store.postgres.notify import CHANNEL, notifications
from mailsink.store.postgres.writes import insert_many


class Writer(GroupCommitWriter[psycopg.Connection]):
    """Runs every write of this node on one thread; see the module docstring."""

    def __init__(self, pool: ConnectionPool, hub: ChangeHub, node: str, name: str) -> None:
        self._pool = pool
        self._node = node
        super().__init__(hub, insert_many, name)

    def add_now(self, messages: Sequence[NewMessage]) -> list[StoredMessage] | None:
        """`messages` stored together, all or none; None on an event loop (see above) or
        when one of them cannot be stored."""
        if self.closed:
            raise RuntimeError(self._closed_error)
        if not messages or _on_event_loop():
            return None
        try:
            return self.write(partial(_insert_together, messages=messages))
        except (ValueError, psycopg.Error):
            return None  # `add` gives each its own answer

    def _transaction(
        self, run: Callable[[psycopg.Connection], list[Outcome[Any]]]
    ) -> list[Outcome[Any]]:
        with self._pool.connection() as db, db.transaction():
            db.execute("SELECT 1 FROM store_state FOR UPDATE")
            outcomes = run(db)
            payloads = notifications(self._node, [c for _, cs in outcomes for c in cs])
            if payloads:
                db.execute(
                    "SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) AS payload",
                    (CHANNEL, payloads),
                )
        return outcomes


def _insert_together(
    db: psycopg.Connection, messages: Sequence[NewMessage]
) -> Outcome[list[StoredMessage]]:
    outcomes = insert_many(db, messages)
    return [stored for stored, _ in outcomes], [c for _, changes in outcomes for c in changes]


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
