"""A small asyncio SMTP client: the latency probes' sender, and the fallback load generator.

Postfix's `smtp-source` is the load generator (a Python one saturates first on 2 cores); this one
is used when smtp-source is not installed, which only suits tiny smoke runs:

    python bench/smtpclient.py --port 2525 --count 100 --concurrency 8 --per-connection 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import time
import uuid
from email.utils import formatdate

TIMEOUT = 60.0  # for every command and reply, and for sending a message's data


class SmtpError(Exception):
    pass


def make_message(
    subject: str, size: int, sender: str = "load@bench.test", body_text: str = ""
) -> bytes:
    """A plain-text message of about `size` bytes, already ending in CRLF."""
    head = (
        f"From: <{sender}>\r\nTo: <inbox@bench.test>\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@bench.test>\r\nDate: {formatdate()}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"{body_text}\r\n"
    ).encode()
    line = b"x" * 76 + b"\r\n"
    lines, rest = divmod(max(0, size - len(head)), len(line))
    return head + line * lines + b"y" * max(0, rest - 2) + b"\r\n"


class SmtpSession:
    """One SMTP connection; `send` returns when the server has answered the message's data."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> SmtpSession:
        async with asyncio.timeout(TIMEOUT):
            reader, writer = await asyncio.open_connection(host, port)
        session = cls(reader, writer)
        try:
            await session.expect(220)
            await session.command(b"EHLO bench.test", 250)
        except BaseException:
            await session.close()
            raise
        return session

    async def expect(self, code: int) -> bytes:
        """The reply's last line, once it came with `code`."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                line = await self.reader.readline()
                if not line:
                    raise SmtpError(f"connection closed while waiting for {code}")
                if line[3:4] != b"-":
                    break
        if int(line[:3]) != code:
            raise SmtpError(f"expected {code}, got {line[:200]!r}")
        return line

    async def command(self, line: bytes, code: int) -> None:
        self.writer.write(line + b"\r\n")
        await self.expect(code)

    async def deliver(self, message: bytes, sender: str = "load@bench.test") -> bytes:
        """Send one message; returns the server's `250` line for its data."""
        await self.command(b"MAIL FROM:<" + sender.encode() + b">", 250)
        await self.command(b"RCPT TO:<inbox@bench.test>", 250)
        await self.command(b"DATA", 354)
        self.writer.write(message.replace(b"\r\n.", b"\r\n..") + b".\r\n")
        return await self.expect(250)

    async def send(self, message: bytes, sender: str = "load@bench.test") -> float:
        """Send one message; returns `time.perf_counter()` at its `250`."""
        await self.deliver(message, sender)
        return time.perf_counter()

    async def close(self) -> None:
        try:
            if not self.writer.is_closing():
                self.writer.write(b"QUIT\r\n")
                async with asyncio.timeout(5):
                    await self.expect(221)
        except (OSError, SmtpError, TimeoutError):
            pass
        finally:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def send_one(port: int, message: bytes, sender: str = "load@bench.test") -> float:
    """Send one message on a new connection; returns `time.perf_counter()` at its `250`."""
    session = await SmtpSession.open("127.0.0.1", port)
    try:
        return await session.send(message, sender)
    finally:
        await session.close()


async def send_load(
    port: int, count: int, concurrency: int, per_connection: int, size: int
) -> None:
    """`count` messages over `concurrency` parallel connections, `per_connection` on each."""
    numbers = iter(range(count))
    message = make_message("bench load", size)

    async def one_lane() -> None:
        while batch := list(itertools.islice(numbers, per_connection)):
            session = await SmtpSession.open("127.0.0.1", port)
            try:
                for _ in batch:
                    await session.send(message)
            finally:
                await session.close()

    async with asyncio.TaskGroup() as lanes:
        for _ in range(concurrency):
            lanes.create_task(one_lane())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--per-connection", type=int, default=1)
    parser.add_argument("--size", type=int, default=2048)
    args = parser.parse_args()
    asyncio.run(send_load(args.port, args.count, args.concurrency, args.per_connection, args.size))


if __name__ == "__main__":
    main()
