"""The SQLite store's one writer: a thread fed by a queue, with group commit.

Every write (adds and every other change) is a job on one queue. The writer thread takes all
jobs queued, runs them in one transaction, commits, publishes their changes, then completes
their futures. So an acknowledged message is durable (WAL with `synchronous=NORMAL` survives a
killed process), indexed and announced, and a burst of messages costs one commit, not one per
message. If a batch fails, each of its jobs runs again in a transaction of its own, so that a
failing job fails alone.

`add_now` is the one exception: the event loop's ingest hands it the small messages that
finished in one loop iteration, and when the writer is idle they are committed right there,
with no trip to the writer thread and back (two thread switches, and GIL hand-offs with the
loop, which cost more than the commit on a busy core). The `writing` lock keeps the two paths
apart (and the checkpointer's locked round); whatever cannot go at once goes by the queue.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from mailsink.events import ChangeHub
from mailsink.store.base import NewMessage, StoredMessage
from mailsink.store.sqlite.checkpointer import Checkpointer
from mailsink.store.sqlite.raw_files import WriterConnection
from mailsink.store.sqlite.writes import Outcome, insert_many

T = TypeVar("T")
Write = Callable[[WriterConnection], Outcome[T]]

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
        self._hub = hub
        self._writing = writing  # held while `db` is in use
        self._checkpointer = checkpointer
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._submit_lock = threading.Lock()
        self._publishing = threading.local()  # `.now` is true while changes are published
        self.closed = False
        self._thread = threading.Thread(target=self._write_loop, name=name, daemon=True)
        self._thread.start()

    def add(self, message: NewMessage) -> Future[StoredMessage]:
        return self._submit(None, message)

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
        db = self._db
        try:
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
                    with self._writing:
                        self._commit(jobs)
            with self._writing:
                db.execute("PRAGMA optimize")
        finally:
            with self._writing:
                db.close()

    def _commit(self, jobs: list[_Job]) -> None:
        """Run `jobs` in one transaction; if one fails, run each in its own instead, so that
        it fails alone (savepoints per job would isolate them too, at a cost on every job)."""
        try:
            outcomes = self._transaction(partial(_run_jobs, jobs=jobs))
        except Exception as error:
            if len(jobs) == 1:
                jobs[0].future.set_exception(error)
                return
            for job in jobs:
                self._commit([job])
            return
        self._publish(outcomes)
        for job, outcome in zip(jobs, outcomes, strict=True):
            job.future.set_result(outcome[0])

    def _publish(self, outcomes: list[Outcome[Any]]) -> None:
        self._publishing.now = True
        try:
            for _, changes in outcomes:
                for change in changes:
                    self._hub.publish(change)
        finally:
            self._publishing.now = False

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


def _run_jobs(db: WriterConnection, jobs: list[_Job]) -> list[Outcome[Any]]:
    """Each job's outcome, in order; adds that follow each other are stored together."""
    outcomes: list[Outcome[Any]] = []
    for adds, group in itertools.groupby(jobs, key=lambda job: job.run is None):
        if adds:
            outcomes += insert_many(db, [job.message for job in group if job.message])
        else:
            outcomes += [job.run(db) for job in group if job.run]
    return outcomes
