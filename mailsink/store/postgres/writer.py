"""The PostgreSQL store's writer: a thread fed by a queue, with group commit, as on SQLite.

The writer thread takes all jobs queued, runs them in one transaction (which first locks
`store_state`, so that writes from every node take turns), NOTIFYs the other nodes of their
changes, commits, publishes the changes on this node's hub, then completes the futures. So an
acknowledged message is durable (the commit waited for PostgreSQL's WAL flush), indexed and
announced on every node. If a batch fails, each of its jobs runs again alone, so that a
failing job fails alone.

`add_now` never commits on an event loop: a commit is a round trip to the server (over the
network, for a shared database) that would stall every SMTP session; ingest then uses `add`,
and the writer still commits the messages that arrive together in one transaction.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool

from mailsink.events import ChangeHub
from mailsink.store.base import NewMessage, StoredMessage
from mailsink.store.postgres.notify import CHANNEL, notifications
from mailsink.store.postgres.writes import Outcome, insert_many

T = TypeVar("T")
Write = Callable[[psycopg.Connection], Outcome[T]]

MAX_BATCH = 1000  # jobs per transaction


@dataclass(slots=True)
class _Job:
    """A change to make on the writer thread: `run`, or storing `message` (adds that follow
    each other in a batch are stored together, by `insert_many`)."""

    run: Write[Any] | None
    future: Future[Any]
    message: NewMessage | None = None


_STOP = object()


class Writer:
    """Runs every write of this node on one thread; see the module docstring."""

    def __init__(self, pool: ConnectionPool, hub: ChangeHub, node: str, name: str) -> None:
        self._pool = pool
        self._hub = hub
        self._node = node
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._submit_lock = threading.Lock()
        self._publishing = threading.local()  # `.now` is true while changes are published
        self.closed = False
        self._closed_error = ""
        self._thread = threading.Thread(target=self._write_loop, name=name, daemon=True)
        self._thread.start()

    def add(self, message: NewMessage) -> Future[StoredMessage]:
        return self._submit(None, message)

    def add_now(self, messages: Sequence[NewMessage]) -> list[StoredMessage] | None:
        """`messages` stored together, all or none; None on an event loop (see above) or
        when one of them cannot be stored."""
        if not messages or _on_event_loop():
            return None
        try:
            return self.write(partial(_insert_together, messages=messages))
        except (ValueError, psycopg.Error):
            return None  # `add` gives each its own answer

    def write(self, run: Write[T]) -> T:
        """Run `run` on the writer thread and wait for its committed result."""
        if getattr(self._publishing, "now", False):
            raise RuntimeError("a change subscriber must not write to the store (deadlock)")
        return self._submit(run).result()

    def close(self, closed_error: str) -> None:
        """Finish the jobs queued, then stop; later submissions raise `closed_error`."""
        with self._submit_lock:
            if self.closed:
                return
            self.closed = True
            self._closed_error = closed_error
            self._jobs.put(_STOP)
        self._thread.join()

    def _submit(self, run: Write[T] | None, message: NewMessage | None = None) -> Future[T]:
        future: Future[T] = Future()
        with self._submit_lock:
            if self.closed:
                raise RuntimeError(self._closed_error)
            self._jobs.put(_Job(run, future, message))
        return future

    def _write_loop(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._jobs.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._jobs.get_nowait())
                except queue.Empty:
                    break
            stopping = _STOP in batch
            jobs = [
                job
                for job in batch
                if isinstance(job, _Job) and job.future.set_running_or_notify_cancel()
            ]
            if jobs:
                self._commit(jobs)

    def _commit(self, jobs: list[_Job]) -> None:
        """Run `jobs` in one transaction; if it fails, run each in its own, so that a failing
        job fails alone."""
        try:
            outcomes = self._transaction(jobs)
        except Exception as error:
            if len(jobs) == 1:
                jobs[0].future.set_exception(error)
                return
            for job in jobs:
                self._commit([job])
            return
        self._publishing.now = True
        try:
            for _, changes in outcomes:
                for change in changes:
                    self._hub.publish(change)
        finally:
            self._publishing.now = False
        for job, outcome in zip(jobs, outcomes, strict=True):
            job.future.set_result(outcome[0])

    def _transaction(self, jobs: list[_Job]) -> list[Outcome[Any]]:
        with self._pool.connection() as db, db.transaction():
            db.execute("SELECT 1 FROM store_state FOR UPDATE")
            outcomes = _run_jobs(db, jobs)
            payloads = notifications(self._node, [c for _, cs in outcomes for c in cs])
            if payloads:
                db.execute(
                    "SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) AS payload",
                    (CHANNEL, payloads),
                )
        return outcomes


def _run_jobs(db: psycopg.Connection, jobs: list[_Job]) -> list[Outcome[Any]]:
    """Each job's outcome, in order; adds that follow each other are stored together."""
    outcomes: list[Outcome[Any]] = []
    for adds, group in itertools.groupby(jobs, key=lambda job: job.run is None):
        if adds:
            outcomes += insert_many(db, [job.message for job in group if job.message])
        else:
            outcomes += [job.run(db) for job in group if job.run]
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
