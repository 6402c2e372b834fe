"""The one writer of a SQL store: a thread fed by a queue, with group commit.

Every write (adds and every other change) is a job on one queue. The writer thread takes all
jobs queued, runs them in one transaction, commits, publishes their changes, then completes
their futures. So an acknowledged message is durable, indexed and announced, and a burst of
messages costs one commit, not one per message. If a batch fails, each of its jobs runs again
in a transaction of its own, so that a failing job fails alone (savepoints per job would
isolate them too, at a cost on every job).

What differs between databases is left to a subclass: how a transaction begins, commits and
rolls back and what follows a commit (`_transaction`), what guards the connection while it is
in use (`_using_db`), what closing it takes (`_finish`), and whether `add_now` may commit in
the calling thread.
"""

from __future__ import annotations

import abc
import contextlib
import itertools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mailsink.events import Change, ChangeHub
from mailsink.store.base import NewMessage, StoredMessage

T = TypeVar("T")
Db = TypeVar("Db")
Outcome = tuple[T, Sequence[Change]]  # what a write returns, and the changes to publish
InsertMany = Callable[[Any, Sequence[NewMessage]], list[Outcome[StoredMessage]]]

MAX_BATCH = 1000  # jobs per transaction


@dataclass(slots=True)
class _Job:
    """A change to make on the writer thread: `run`, or storing `message` (adds that follow
    each other in a batch are stored together, by `insert_many`)."""

    run: Callable[[Any], Outcome[Any]] | None
    future: Future[Any]
    message: NewMessage | None = None


_STOP = object()


class GroupCommitWriter(abc.ABC, Generic[Db]):
    """Runs every write of one store on one thread; see the module docstring."""

    def __init__(self, hub: ChangeHub, insert_many: InsertMany, name: str) -> None:
        self._hub = hub
        self._insert_many = insert_many
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._submit_lock = threading.Lock()
        self._publishing = threading.local()  # `.now` is true while changes are published
        self.closed = False
        self._closed_error = ""
        self._thread = threading.Thread(target=self._write_loop, name=name, daemon=True)
        self._thread.start()  # last: a subclass sets up what its hooks use before this

    def add(self, message: NewMessage) -> Future[StoredMessage]:
        return self._submit(None, message)

    def write(self, run: Callable[[Db], Outcome[T]]) -> T:
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

    # -- what a database provides -----------------------------------------------------------

    @abc.abstractmethod
    def add_now(self, messages: Sequence[NewMessage]) -> list[StoredMessage] | None:
        """`messages` stored at once, or None: then ingest hands each to `add`."""

    @abc.abstractmethod
    def _transaction(self, run: Callable[[Db], list[Outcome[Any]]]) -> list[Outcome[Any]]:
        """`run` on the connection in one transaction, committed; rolled back if it raises."""

    def _using_db(self) -> contextlib.AbstractContextManager[Any]:
        """Held while the writer thread uses the connection (nothing, by default)."""
        return contextlib.nullcontext()

    def _finish(self) -> None:
        """Close what the writer owns, once its last job is done (nothing, by default)."""

    # -- the machinery ----------------------------------------------------------------------

    def _submit(
        self, run: Callable[[Db], Outcome[T]] | None, message: NewMessage | None = None
    ) -> Future[T]:
        future: Future[T] = Future()
        with self._submit_lock:
            if self.closed:
                raise RuntimeError(self._closed_error)
            self._jobs.put(_Job(run, future, message))
        return future

    def _write_loop(self) -> None:
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
                    with self._using_db():
                        self._commit(jobs)
        finally:
            self._finish()

    def _commit(self, jobs: list[_Job]) -> None:
        """Run `jobs` in one transaction; if it fails, run each in its own."""
        try:
            outcomes = self._transaction(lambda db: self._run_jobs(db, jobs))
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

    def _run_jobs(self, db: Db, jobs: list[_Job]) -> list[Outcome[Any]]:
        """Each job's outcome, in order; adds that follow each other are stored together."""
        outcomes: list[Outcome[Any]] = []
        for adds, group in itertools.groupby(jobs, key=lambda job: job.run is None):
            if adds:
                outcomes += self._insert_many(db, [job.message for job in group if job.message])
            else:
                outcomes += [job.run(db) for job in group if job.run]
        return outcomes
