"""DATA throughput: mailsink's chunked reader vs stock aiosmtpd's line-by-line reader.

    python bench/data_reader.py [--repeat N]

Sends 1 MB and 25 MB messages with smtplib (in a separate process, so that client and server do
not share a GIL) to
  (a) a mailsink SMTP service over the memory store: the whole path (DATA reader, summary, store);
  (b) the same with an ingest that discards the message: mailsink's SMTP layer alone;
  (c) stock aiosmtpd `SMTP` with its `Sink` handler, which reads DATA line by line and discards it;
and prints MB/s for each. Not a test: the numbers vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import smtplib
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP

from mailsink.ingest import Ingest
from mailsink.message.envelope import Envelope

# The SMTP tests' harness runs a sink's SMTP service on its own loop, as this needs.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.smtp.harness import RunningSmtp

MB = 1024 * 1024


def message_of(size: int) -> bytes:
    line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tem\r\n"
    head = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: bench\r\n\r\n"
    return head + line * ((size - len(head)) // len(line))


@contextmanager
def stock_aiosmtpd() -> Iterator[tuple[str, int]]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()

    async def start() -> asyncio.Server:
        return await loop.create_server(
            lambda: SMTP(Sink(), hostname="bench", data_size_limit=None), "127.0.0.1", 0
        )

    server = asyncio.run_coroutine_threadsafe(start(), loop).result()
    try:
        yield server.sockets[0].getsockname()[:2]
    finally:
        server.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


class DiscardingIngest(Ingest):
    """Answers at once and keeps nothing: what is left to measure is the SMTP layer."""

    async def deliver(self, envelope: Envelope, raw: bytes, listener: Any = None) -> Any:
        return SimpleNamespace(id="discarded")


def send(address: tuple[str, int], size: int, repeat: int) -> float:
    raw = message_of(size)
    with smtplib.SMTP(*address, timeout=300) as client:
        client.ehlo()
        started = time.perf_counter()
        for _ in range(repeat):
            client.sendmail("a@example.com", ["b@example.com"], raw)
        elapsed = time.perf_counter() - started
    return len(raw) * repeat / MB / elapsed


def throughput(address: tuple[str, int], size: int, repeat: int) -> float:
    with multiprocessing.get_context("spawn").Pool(1) as client:
        return client.apply(send, (address, size, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mailsink = RunningSmtp(smtp_max_size=0)
    smtp_only = RunningSmtp(smtp_max_size=0)
    smtp_only.context.ingest = DiscardingIngest(smtp_only.store, smtp_only.context.stats)
    try:
        with stock_aiosmtpd() as stock:
            for size in (1 * MB, 25 * MB):
                whole = throughput((mailsink.host, mailsink.port), size, args.repeat)
                layer = throughput((smtp_only.host, smtp_only.port), size, args.repeat)
                theirs = throughput(stock, size, args.repeat)
                print(
                    f"{size // MB:>3} MB x{args.repeat}: mailsink (store) {whole:6.1f} MB/s"
                    f"   mailsink (SMTP only) {layer:6.1f} MB/s"
                    f"   aiosmtpd Sink {theirs:6.1f} MB/s   SMTP layer {layer / theirs:.1f}x faster"
                )
    finally:
        mailsink.close()
        smtp_only.close()


if __name__ == "__main__":
    main()
