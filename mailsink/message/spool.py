"""Large messages written to a file as their DATA arrives, and read back without a copy.

Kept in memory, a large message was held as the chunks the transport delivered, joined into one
`bytes` at the end of DATA (a second copy, in new memory), then written to a file by the store's
writer (a third): three passes over every byte, two allocations of the message's size. Here the
chunks past `Spool.above` bytes go to a file the moment they arrive, while they are still in
the CPU's cache, and their memory is reused for the next chunk. At the end of DATA the file is
mapped read-only (`mmap`): ingest parses the summary from the page cache, and a store that keeps
raw bytes in files (SQLite) links that file under its own name instead of writing the bytes again.
The file stays in the spool directory only while its message is being received and stored
(`SpoolFile.release`); a killed process leaves files there that the store removes when it opens.

A mapped message supports what the message model reads on the ingest path (`len`, slicing,
`find`/`rfind`, regular expressions); `MessageBytes` is the type of either kind.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

MessageBytes = bytes | mmap.mmap

# A message larger than this is spooled: below it, a file costs more than the copies it saves.
SPOOL_ABOVE = 128 * 1024  # bytes


class Spool:
    """Where messages being received are written, for the store to adopt (`Store.spool`)."""

    def __init__(self, directory: Path, above: int = SPOOL_ABOVE) -> None:
        self.directory = directory
        self.above = above

    def open(self) -> SpoolFile:
        self.directory.mkdir(parents=True, exist_ok=True)
        return SpoolFile(self.directory / f"incoming-{secrets.token_hex(8)}")

    def clear(self) -> None:
        """Remove what a killed process left (no message is being received while it runs)."""
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateSpool(Spool):
    """A spool in a new directory of the system's temporary directory, for a store that keeps
    no files of its own (PostgreSQL). It is locked while in use, so that the next one made
    removes those a killed process left (their lock went with it)."""

    PREFIX = "mailsink-spool-"

    def __init__(self) -> None:
        parent = Path(tempfile.gettempdir())
        for left in parent.glob(f"{self.PREFIX}*"):
            _remove_if_unlocked(left)
        # Made under a name the sweep above does not match, locked, then renamed: a node
        # starting beside this one never sees it unlocked (and would remove it).
        making = Path(tempfile.mkdtemp(prefix=f".{self.PREFIX}", dir=parent))
        self._lock = os.open(making, os.O_RDONLY)
        fcntl.flock(self._lock, fcntl.LOCK_SH)
        directory = parent / making.name.removeprefix(".")
        making.rename(directory)
        super().__init__(directory)

    def close(self) -> None:
        self.clear()
        os.close(self._lock)


def _remove_if_unlocked(directory: Path) -> None:
    try:
        lock = os.open(directory, os.O_RDONLY)
    except OSError:  # gone, or not ours to open
        return
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # in use by a running store
        return
    else:
        shutil.rmtree(directory, ignore_errors=True)
    finally:
        os.close(lock)


class SpoolFile:
    """One message's file while it is received (`write`), then mapped (`finish`) until its
    message is stored (`release`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = open(path, "xb")  # noqa: SIM115 -- closed by `finish` or `release`
        self._mapped: mmap.mmap | None = None

    def write(self, pieces: Iterable[bytes | memoryview]) -> None:
        self._file.writelines(pieces)

    def finish(self) -> mmap.mmap:
        """The whole message, mapped read-only (the file is closed for writing)."""
        self._file.close()
        with open(self.path, "rb") as file:
            self._mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        return self._mapped

    def release(self) -> None:
        """Unmap, close and remove the file (a store that adopted it holds its own link).
        Never raises for a file that could not be written: closing it writes out its buffer,
        which a full disk refuses again; the file is closed anyway, and removed."""
        with contextlib.suppress(OSError):
            self._file.close()
        if self._mapped is not None:
            # A session cancelled mid-store (the server stopping) may release while a worker
            # thread still reads the mapping: then it is unmapped when that reader lets go.
            with contextlib.suppress(BufferError):
                self._mapped.close()
            self._mapped = None
        self.path.unlink(missing_ok=True)


def is_ascii(data: MessageBytes) -> bool:
    """`bytes.isascii` for either kind, in pieces for a mapped message (which has no such
    method): slices of a mapping are copies, so one piece at a time stays in the cache."""
    if isinstance(data, bytes):
        return data.isascii()
    piece = 1 << 20
    return all(data[start : start + piece].isascii() for start in range(0, len(data), piece))


def as_bytes(data: MessageBytes) -> bytes:
    """The message as `bytes` (a copy for a mapped one), for what needs a `bytes` method."""
    return data if isinstance(data, bytes) else data[:]


def link_or_copy(source: Path, target: Path, data: MessageBytes) -> None:
    """`target` holds the bytes of the spooled file `source`: a hard link when the file system
    allows one (no byte is written), else a write of `data`."""
    try:
        os.link(source, target)
    except OSError:
        with open(target, "wb") as file:
            file.write(data)
