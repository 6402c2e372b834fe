"""Large messages' exact bytes, in files beside the SQLite database.

In the database, every byte of a message is written twice (into the WAL at commit, then into
the file by the checkpoint, which also syncs it), a large part of what a big message costs to
store. A message over `RAW_IN_FILE_ABOVE` is written once, into
`<database>.raw/<Seq>`, and its `raw` row only says so; one that SMTP wrote to
`<database>.raw/incoming/` as it arrived (`mailsink.message.spool`) is linked there, not
written again. The file is named by the Seq the store assigned, never by anything the message
says.

Files are written before the commit that records them and removed after the commit that
forgets them, so a failed transaction or a killed process leaves at most files that no row
names, and opening the store removes those, when no other process has it open (`open`). The
checkpoint syncs the files written since the last one before it syncs the database, so a row
that reached the disk names a file that did.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from mailsink.message.spool import SPOOL_ABOVE, MessageBytes, Spool, link_or_copy

RAW_IN_FILE_ABOVE = SPOOL_ABOVE  # bytes: what is spooled as it arrives goes to a file


class RawFiles:
    def __init__(self, database: Path) -> None:
        self.directory = database.with_name(database.name + ".raw")
        # Messages being received, linked into `directory` once stored (`spool.py`).
        self.spool = Spool(self.directory / "incoming")
        self._lock: int | None = None  # the directory, locked while the store is open

    def open(self, kept: Iterable[int]) -> None:
        """Remove what a killed process or a failed transaction left (files of Seqs not in
        `kept`, the spool), unless another process has the store open: `mailsink dump` or
        `ingest` beside a running server would remove a file it is about to commit (an
        acknowledged message lost) or a message it is receiving. The directory is locked
        shared until `close`, exclusively to clean it."""
        self.directory.mkdir(exist_ok=True)
        self._lock = os.open(self.directory, os.O_RDONLY)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fcntl.flock(self._lock, fcntl.LOCK_SH)
            return
        self._remove_orphans(kept)
        self.spool.clear()
        fcntl.flock(self._lock, fcntl.LOCK_SH)

    def close(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def path(self, seq: int) -> Path:
        return self.directory / str(seq)

    def write(self, seq: int, raw: MessageBytes, spooled: Path | None) -> None:
        """The file of `seq` holds `raw`: `spooled`, linked, when the message was written
        there as it arrived, else a file written now."""
        self.directory.mkdir(exist_ok=True)
        if spooled is not None:
            link_or_copy(spooled, self.path(seq), raw)
            return
        with open(self.path(seq), "wb") as file:
            file.write(raw)

    def read(self, seq: int) -> bytes | None:
        """The bytes, or None when the file is gone (its message was deleted meanwhile)."""
        try:
            return self.path(seq).read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, seqs: Iterable[int]) -> None:
        for seq in seqs:
            self.path(seq).unlink(missing_ok=True)

    def _remove_orphans(self, kept: Iterable[int]) -> None:
        """Remove the files of Seqs not in `kept` (left by a transaction that never committed)."""
        wanted = {str(seq) for seq in kept}
        for entry in os.scandir(self.directory):
            if entry.name.isascii() and entry.name.isdigit() and entry.name not in wanted:
                os.unlink(entry.path)

    def sync(self, seqs: Iterable[int]) -> None:
        """Make the files of `seqs` durable (those still there)."""
        for seq in seqs:
            try:
                descriptor = os.open(self.path(seq), os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)

    def size(self) -> int:
        """Bytes the files occupy: each file once, since the copies of a message filed in
        several mailboxes are links to one (`spool.py`). The spool's directory is not a
        message; a file removed while they are counted (a delete, a prune) is left out."""
        sizes: dict[int, int] = {}  # by inode
        try:
            entries = list(os.scandir(self.directory))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    sizes[info.st_ino] = info.st_size
            except FileNotFoundError:
                continue
        return sum(sizes.values())


class WriterConnection(sqlite3.Connection):
    """The store's writer connection, which also keeps the ledger of its open transaction:
    raw files written (removed again if it rolls back) and released (removed once it
    commits), and about how many bytes it wrote (WAL and files). The store settles the ledger
    after each transaction (`settle`)."""

    raw_files: RawFiles

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.files_written: list[int] = []
        self.files_released: list[int] = []
        self.written_bytes = 0

    def settle(self, committed: bool) -> tuple[int, list[int]]:
        """Remove what the transaction's outcome doomed; returns (bytes written, files
        written) of a committed transaction, for the checkpoint."""
        written, released, written_bytes = (
            self.files_written,
            self.files_released,
            self.written_bytes,
        )
        self.files_written, self.files_released, self.written_bytes = [], [], 0
        self.raw_files.remove(released if committed else written)
        return (written_bytes, written) if committed else (0, [])
