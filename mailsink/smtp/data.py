"""The DATA reader: the message bytes after `354`, taken as the transport delivers them.

aiosmtpd reads DATA one line at a time, a Python loop per line that makes large messages slow.
Here the session hands every chunk its transport receives during DATA to a `DataCollector`
(`SmtpSession.data_received`) instead of its `StreamReader`: one regex search per chunk finds
both the end marker and the dot-stuffed lines (each is a line break followed by a period), the
chunks are kept as they came (no copy) and joined once at the end, or, once a message is larger
than its `Spool`'s threshold, written to a file as they come (`mailsink.message.spool`).
Passing through the StreamReader cost a copy into its buffer, a copy out of it, a copy into the
message buffer and a second search for the stuffed periods: several times as long per megabyte.
Nothing past the end marker is taken: the collector returns those bytes, and the session feeds
them to its StreamReader, so pipelined commands after the final dot are read as commands.

The end marker is only ever `<CR><LF>.<CR><LF>`, where the first `<CR><LF>` may be the one that
ended the DATA command (an empty message is just `.<CR><LF>`). Look-alikes used for SMTP
smuggling (`<LF>.<LF>`, `<CR>.<CR>`, `<LF>.<CR><LF>`, `<CR><LF>.<LF>`) are message content.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from mailsink.message.spool import MessageBytes, Spool, SpoolFile

log = logging.getLogger(__name__)

END_MARKER = b"\r\n.\r\n"
_LINE_STARTING_WITH_PERIOD = re.compile(rb"\r\n\.")


@dataclass(frozen=True, slots=True)
class ReceivedData:
    """What came between `354` and the final dot.

    `raw` is the message after dot-unstuffing (mapped from `spooled` when it was written to a
    file), or None when it was over the size limit or its file could not be written (`failed`
    says why); then its bytes were dropped as they arrived. `size` is the number of bytes
    received, stuffed. `release` once the message is stored (or refused).
    """

    raw: MessageBytes | None
    size: int
    spooled: SpoolFile | None = None
    failed: str = ""

    def release(self) -> None:
        if self.spooled is not None:
            self.spooled.release()


class DataCollector:
    """Collects one message from the chunks of the DATA stream, in order (`feed`).

    A period that starts a line is either the end marker (the line is just the period) or
    dot-stuffing, removed (RFC 5321 §4.5.2). A period at the end of a chunk is decided by the
    next one: until then it is held back (`_held`: the period, or the period and a CR).
    """

    def __init__(self, max_size: int, spool: Spool | None = None) -> None:
        self.max_size = max_size  # 0: no limit
        self.size = 0  # stuffed bytes taken so far
        self._pieces: list[bytes | memoryview] = []
        self._kept = 0
        self._over_limit = False
        self._spool = spool
        self._file: SpoolFile | None = None  # once the message outgrew the spool's threshold
        self._failed = ""  # why the file could not be written
        self._before = b"\r\n"  # the last two bytes before the next chunk (DATA's own CRLF)
        self._held = b""
        self.done = False

    def feed(self, chunk: bytes) -> bytes | None:
        """Take `chunk`; once the end marker is complete, the bytes after it (often b""), else
        None."""
        assert not self.done
        start, search_from = 0, 0
        if self._held:
            held, self._held = self._held, b""
            ending = END_MARKER[len(b"\r\n") + len(held) :]
            if chunk[: len(ending)] == ending:
                return self._finish(chunk, len(ending))
            if len(held) + len(chunk) < len(b".\r\n") and chunk == ending[: len(chunk)]:
                self._held = held + chunk  # still undecided: ".\r" after "." came alone
                self.size += len(chunk)
                return None
            self._keep(held[1:])  # dot-stuffing: the period goes, a CR after it stays
            self._before = (b"\n" + held)[-2:]
        # A period whose line break began in the previous chunk.
        if self._before == b"\r\n" and chunk[:1] == b".":
            dot = 0
        elif self._before[-1:] == b"\r" and chunk[:2] == b"\n.":
            dot = 1
        else:
            dot = -1
        while True:
            if dot < 0:
                found = _LINE_STARTING_WITH_PERIOD.search(chunk, search_from)
                if found is None:
                    break
                dot = found.end() - 1
            after = chunk[dot + 1 : dot + 3]
            if after == b"\r\n":
                self._keep(_slice(chunk, start, dot))
                return self._finish(chunk, dot + 3)
            if len(after) < 2 and after == b"\r\n"[: len(after)]:
                self._keep(_slice(chunk, start, dot))  # decided by the next chunk
                self._held = chunk[dot:]
                self.size += len(chunk)
                return None
            self._keep(_slice(chunk, start, dot))  # dot-stuffing: drop the period
            start = search_from = dot + 1
            dot = -1
        self._keep(_slice(chunk, start, len(chunk)))
        self._before = (self._before + chunk)[-2:] if len(chunk) < 2 else chunk[-2:]
        self.size += len(chunk)
        return None

    def received(self) -> ReceivedData:
        """The message, once `feed` has returned the bytes after the end marker."""
        assert self.done
        if self._over_limit or self._failed:
            return ReceivedData(None, self.size, failed=self._failed)
        if self._file is None:
            return ReceivedData(b"".join(self._pieces), self.size)
        try:
            return ReceivedData(self._file.finish(), self.size, self._file)
        except OSError as error:
            self._fail(error)
            return ReceivedData(None, self.size, failed=self._failed)

    def discard(self) -> None:
        """Drop what was received (the client went away, or the session is closing)."""
        self._pieces = []
        if self._file is not None:
            self._file.release()
            self._file = None

    def _finish(self, chunk: bytes, end: int) -> bytes:
        self.done = True
        self.size += end
        if self.max_size and self.size - len(b".\r\n") > self.max_size:
            self._over_limit = True
            self.discard()
        return chunk[end:]

    def _keep(self, piece: bytes | memoryview) -> None:
        if not piece or self._over_limit or self._failed:
            return
        self._kept += len(piece)
        if self.max_size and self._kept > self.max_size:
            self._over_limit = True  # drop what came so far and what follows: read to the end
            self.discard()
            return
        self._pieces.append(piece)
        if self._spool is not None and self._kept > self._spool.above:
            self._spill()

    def _spill(self) -> None:
        """Write the pieces kept so far to the spool file (opened the first time)."""
        assert self._spool is not None
        try:
            if self._file is None:
                self._file = self._spool.open()
            self._file.write(self._pieces)
        except OSError as error:
            self._fail(error)
        self._pieces = []

    def _fail(self, error: OSError) -> None:
        """The file could not be written (a full disk, say): the rest is read and dropped, and
        the client hears a temporary error."""
        log.error("could not write a message being received to the spool: %s", error)
        self._failed = f"the message could not be written to disk ({error.strerror or error})"
        self.discard()


def _slice(chunk: bytes, start: int, end: int) -> bytes | memoryview:
    """chunk[start:end] without copying it."""
    if start == 0 and end == len(chunk):
        return chunk
    return memoryview(chunk)[start:end]


def take_buffered(reader: asyncio.StreamReader) -> bytes:
    """The bytes `reader` holds unread, taken out of it: what a client sent right after the DATA
    command, before its `354`. StreamReader has no public call that returns them without
    waiting when there are none."""
    buffer: bytearray = reader._buffer  # type: ignore[attr-defined]
    taken = bytes(buffer)
    buffer.clear()
    reader._maybe_resume_transport()  # type: ignore[attr-defined]
    return taken
