"""The SQLite store's checkpoints, on their own thread and connection.

A checkpoint copies the WAL into the database file and syncs it, mostly waiting for the sync. Run by
the writer, it held up every commit queued behind it (and so every `250` waiting for one). SQLite
lets a PASSIVE checkpoint run alongside the writer, so here one runs on another connection whenever
enough was written since the last, and commits go on meanwhile.

But SQLite starts the WAL over only when a write finds all of it copied, which never happens while
commits keep coming during the copy: under a steady load the WAL would grow without end, many times
the size of the database. So when it has grown past `RESTART_WAL_ABOVE`, the checkpoint goes round
again while commits keep coming (a few rounds, each copying what was committed during the last),
then once more holding the writer's lock, so that the next commit starts the WAL over. That last
round is a stall for the writer (mostly the sync), rare enough past the threshold; done after every
checkpoint, such stalls held the writer up often.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

RESTART_WAL_ABOVE = 64 * 1024 * 1024  # bytes of WAL file
_CATCH_UP_ROUNDS = 3  # unlocked rounds at most before the locked one
_CAUGHT_UP_FRAMES = 256  # new frames since the last round that the locked round may copy


class Checkpointer:
    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        writing: threading.Lock,
        sync_files: Callable[[list[int]], None],
        after_bytes: int,
        name: str,
    ) -> None:
        self._connect = connect
        self._writing = writing  # held by whoever writes to the database
        self._sync_files = sync_files
        self._unsynced: list[int] = []  # Seqs of raw files written since the last checkpoint
        self._after_bytes = after_bytes
        self._lock = threading.Lock()
        self._unchecked = 0  # bytes written since a checkpoint was last asked for
        self._due = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def wrote(self, size: int, files: list[int]) -> None:
        """Count `size` bytes written (to the WAL, or to the raw `files` beside it); past
        `after_bytes`, a checkpoint is due."""
        with self._lock:
            self._unsynced += files
            self._unchecked += size
            if self._unchecked < self._after_bytes:
                return
            self._unchecked = 0
        self._due.set()

    def close(self) -> None:
        """Stop after the checkpoint in progress, if any; sync the files written since."""
        self._closing = True
        self._due.set()
        self._thread.join()
        self._sync_files(self._take_unsynced())

    def _take_unsynced(self) -> list[int]:
        with self._lock:
            files, self._unsynced = self._unsynced, []
        return files

    def _run(self) -> None:
        db = self._connect()
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
        try:
            while True:
                self._due.wait()
                self._due.clear()
                if self._closing:
                    return
                try:
                    self._checkpoint_round(db, page_size)
                except (OSError, sqlite3.Error):  # a full disk, say: the next round tries again
                    log.exception("checkpoint of the message database failed")
        finally:
            db.close()

    def _checkpoint_round(self, db: sqlite3.Connection, page_size: int) -> None:
        files = self._take_unsynced()
        try:
            self._sync_files(files)  # before the rows that name them
        except OSError:
            with self._lock:
                self._unsynced[:0] = files  # for the next round
            raise
        frames = _checkpoint(db)
        if frames * page_size > RESTART_WAL_ABOVE:
            for _ in range(_CATCH_UP_ROUNDS):
                copied, frames = frames, _checkpoint(db)
                if frames - copied <= _CAUGHT_UP_FRAMES:
                    break
            with self._writing:
                _checkpoint(db)


def _checkpoint(db: sqlite3.Connection) -> int:
    """Copy what it can of the WAL into the database; returns the WAL's length in frames."""
    _, frames, _ = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(frames)
