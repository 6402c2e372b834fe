"""The SQLite store's writer: `group_commit.py`'s, on the one writer connection.

An acknowledged message is durable (WAL with `synchronous=NORMAL` survives a killed process).
After each commit the checkpointer hears how much was written, and the raw-file ledger of the
connection settles (files of a rolled-back transaction go, those released by a committed one
too).

`add_now` commits in the calling thread: the event loop's ingest hands it the small messages
that finished in one loop iteration, and when the writer is idle they are committed right
there, with no trip to the writer thread and back (two thread switches, and GIL hand-offs with
the loop, which cost more than the commit on a busy core). The `writing` lock keeps the two
paths apart (and the checkpointer's locked round); whatever cannot go at once goes by the
queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from mailsink.events import ChangeHub
from mailsink.store.base import NewMessage, StoredMessage
from mailsink.store.group_commit import GroupCommitWriter, Outcome
from mailsink.store.sqlite.checkpointer import Checkpointer
from mailsink.store.sqlite.raw_files import WriterConnection
from mailsink.store.sqlite.writes import insert_many


class Writer(GroupCommitWriter[WriterConnection]):
    """Runs every write of one database on one thread; see the module docstring."""

    def __init__(
        self,
        db: WriterConnection,
        hub: ChangeHub,
        writing: threading.Lock,
        checkpointer: Checkpointer,
        name: str,
    ) -> None:
        self._db = db
        self._writing = writing  # held while `db` is in use
        self._checkpointer = checkpointer
        super().__init__(hub, insert_many, name)

    def add_now(self, messages: Sequence[NewMessage]) -> list[StoredMessage] | None:
        """Commit `messages` in the calling thread if the writer is idle; else None."""
        if not messages or not self._writing.acquire(blocking=False):
            return None
        try:
            if self.closed or not self._jobs.empty():  # queued jobs go first
                return None
            try:
                outcomes = self._transaction(partial(insert_many, messages=messages))
            except Exception:
                return None  # through the queue, where a failing message fails alone
            self._publish(outcomes)
        finally:
            self._writing.release()
        return [stored for stored, _ in outcomes]

    def _using_db(self) -> threading.Lock:
        return self._writing

    def _finish(self) -> None:
        with self._writing:
            try:
                self._db.execute("PRAGMA optimize")
            finally:
                self._db.close()

    def _transaction(
        self, run: Callable[[WriterConnection], list[Outcome[Any]]]
    ) -> list[Outcome[Any]]:
        db = self._db
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
