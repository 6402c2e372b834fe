"""The DATA reader: the message bytes after `354`, read in large chunks instead of line by line.

aiosmtpd reads DATA one line at a time, a Python loop per line that makes large messages slow; this
reader lets `StreamReader.readuntil` scan the buffered bytes for the end marker `<CR><LF>.<CR><LF>`
in C, and undoes dot-stuffing with one `bytes.replace`. Only the public `StreamReader` API is used,
and nothing past the end marker is consumed, so pipelined commands that follow the final dot stay in
the reader for the session.

The end marker is only ever `<CR><LF>.<CR><LF>`, where the first `<CR><LF>` may be the one that
ended the DATA command (an empty message is just `.<CR><LF>`). Look-alikes used for SMTP
smuggling (`<LF>.<LF>`, `<CR>.<CR>`, `<LF>.<CR><LF>`, `<CR><LF>.<LF>`) are message content.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import dataclass

END_MARKER = b"\r\n.\r\n"
# How many steps of a few bytes the reader takes (see `_pending_marker`) before yielding to the
# event loop, so that a client sending nothing but line breaks cannot starve other sessions.
_SMALL_STEPS_PER_YIELD = 1024


@dataclass(frozen=True, slots=True)
class ReceivedData:
    """What came between `354` and the final dot.

    `raw` is the message after dot-unstuffing, or None when it was over the size limit (then its
    bytes were dropped as they arrived). `size` is the number of bytes received, stuffed.
    """

    raw: bytes | None
    size: int


async def read_data(
    reader: asyncio.StreamReader,
    max_size: int,
    on_progress: Callable[[], None] = lambda: None,
) -> ReceivedData:
    """Read one message up to and including its end marker; `max_size` 0 means no limit.

    Raises `asyncio.IncompleteReadError` when the client disconnects before the end marker.
    `on_progress` is called for every large chunk, so that an idle timer can be restarted while
    a big message is still arriving.
    """
    # Chunks are appended to one growing buffer, which `getvalue` hands over without a copy: a
    # list of chunks joined at the end would hold the message twice at the peak.
    buffer = io.BytesIO()
    received = 0
    over_limit = False
    # The last bytes seen, starting with the CRLF that ended the DATA command itself.
    tail = b"\r\n"
    small_steps = 0
    while True:
        pending = _pending_marker(tail)
        if pending:
            # The marker may have begun in bytes already consumed: read only what could complete
            # it, never beyond, so that no byte after the marker is taken from the reader.
            piece = await reader.readexactly(len(END_MARKER) - pending)
            found = tail[-pending:] + piece == END_MARKER
            small_steps += 1
            if small_steps % _SMALL_STEPS_PER_YIELD == 0:
                await asyncio.sleep(0)
        else:
            try:
                piece = await reader.readuntil(END_MARKER)
                found = True
            except asyncio.LimitOverrunError as overrun:
                # No marker within the reader's limit: take what is safely before any marker.
                piece = await reader.read(overrun.consumed)
                found = False
            on_progress()
        received += len(piece)
        if not over_limit:
            buffer.write(piece)
            if max_size and received - len(b".\r\n") > max_size:
                over_limit = True
                buffer = io.BytesIO()
        keep = len(END_MARKER) - 1
        tail = (tail + piece[-keep:])[-keep:]
        if found:
            break
    if over_limit:
        return ReceivedData(None, received)
    buffer.truncate(buffer.tell() - len(b".\r\n"))
    stuffed = buffer.getvalue()
    buffer.close()
    return ReceivedData(unstuff(stuffed), received)


def _pending_marker(tail: bytes) -> int:
    """How many bytes at the end of `tail` could be the start of an end marker (0 to 4)."""
    for length in range(len(END_MARKER) - 1, 0, -1):
        if tail.endswith(END_MARKER[:length]):
            return length
    return 0


def unstuff(stuffed: bytes) -> bytes:
    """Undo SMTP dot-stuffing: a period that starts a line is removed (RFC 5321 §4.5.2).

    >>> unstuff(b"..first\\r\\n..second\\r\\n.third\\r\\nfourth.\\r\\n")
    b'.first\\r\\n.second\\r\\nthird\\r\\nfourth.\\r\\n'
    """
    if stuffed.startswith(b"."):
        stuffed = stuffed[1:]
    return stuffed.replace(b"\r\n.", b"\r\n")
