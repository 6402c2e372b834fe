"""One client connection of a line protocol (POP3, IMAP): bounded lines, replies, STARTTLS.

Exceptions: `ClientGone` when the client disconnects or stays silent past the idle timeout
(the session just ends); `LineTooLong` for a line over the limit, which is read to its end and
dropped, so the session can answer it and go on.
"""

from __future__ import annotations

import asyncio
import ssl

from mailsink.tls import tls_facts


class ClientGone(Exception):
    """The client closed the connection, or said nothing for the idle timeout."""


class LineTooLong(Exception):
    """A line longer than the stream's limit; it was read and dropped."""


class LineStream:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle_timeout: float
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.idle_timeout = idle_timeout
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)

    @property
    def tls_version(self) -> str | None:
        facts = tls_facts(self._writer.transport)
        return facts.version if facts else None

    async def read_line(self) -> bytes:
        """The next line, its line break included."""
        try:
            async with asyncio.timeout(self.idle_timeout):
                return await self._reader.readuntil(b"\n")
        except asyncio.LimitOverrunError:
            await self._drop_rest_of_line()
            raise LineTooLong from None
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError) as error:
            raise ClientGone from error

    async def _drop_rest_of_line(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    await self._reader.readuntil(b"\n")
                return
            except asyncio.LimitOverrunError as overrun:
                await self._reader.readexactly(overrun.consumed)
            except (asyncio.IncompleteReadError, TimeoutError, ConnectionError) as error:
                raise ClientGone from error

    async def read_exactly(self, count: int) -> bytes:
        try:
            async with asyncio.timeout(self.idle_timeout):
                return await self._reader.readexactly(count)
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError) as error:
            raise ClientGone from error

    async def write(self, data: bytes) -> None:
        """Send `data`; waits while the client reads slowly (a large message is not buffered
        whole in memory for a client that does not read)."""
        self._writer.write(data)
        try:
            async with asyncio.timeout(self.idle_timeout):
                await self._writer.drain()
        except (TimeoutError, ConnectionError) as error:
            raise ClientGone from error

    def send_nowait(self, data: bytes) -> None:
        """Queue `data` without waiting for the client: for a last word before closing."""
        self._writer.write(data)

    def pipelined_before_tls(self) -> bool:
        """Whether the client sent more after its STARTTLS/STLS command: such plain-text
        commands must not run as if they had come encrypted (command injection)."""
        return bool(self._reader._buffer)  # type: ignore[attr-defined]  # no public peek

    async def start_tls(self, context: ssl.SSLContext) -> None:
        try:
            async with asyncio.timeout(self.idle_timeout):
                await self._writer.start_tls(context)
        except (ssl.SSLError, TimeoutError, ConnectionError, OSError) as error:
            raise ClientGone from error

    def close(self) -> None:
        self._writer.close()
