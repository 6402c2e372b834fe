"""POP3 and IMAP fetch rates with many messages stored (10,000 by default).

Fills a SQLite database through the store (as ingest would, without SMTP: the fill is not what
is measured), starts `python -m mailsink` on it with `--pop3` and `--imap`, and times, with lean
raw-socket clients (so the client's parsing does not dominate the figures):

- POP3: log in (the maildrop snapshot), UIDL, then RETR of every message on one connection;
- IMAP: SELECT, one `FETCH 1:* (BODY.PEEK[])`, one `FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE)`,
  `UID FETCH` of 1,000 messages one command at a time, and a `SEARCH FROM`.

    python bench/mailaccess.py [--messages 10000]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from mailsink.events import ChangeHub
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.ids import new_message_id
from mailsink.message.summary import summarize
from mailsink.store.base import NewMessage
from mailsink.store.sqlite import SqliteStore

TIMEOUT = 300.0
BODY_LINES = 25  # about 2 KB a message


def message(number: int) -> bytes:
    body = "".join(
        f"line {line} of message {number}, some ordinary text\r\n" for line in range(BODY_LINES)
    )
    return (
        f"From: sender{number % 50}@bench.test\r\nTo: rcpt@bench.test\r\n"
        f"Subject: message {number}\r\nMessage-ID: <{number}@bench.test>\r\n"
        f"Date: Sun, 06 Dec 2026 10:00:00 +0000\r\n\r\n{body}"
    ).encode()


def fill(database: Path, count: int) -> None:
    store = SqliteStore(database, ChangeHub())
    try:
        pending = []
        for number in range(count):
            raw = message(number)
            envelope = Envelope("s@bench.test", (Recipient("rcpt@bench.test"),), datetime.now(UTC))
            pending.append(
                store.add(NewMessage(new_message_id(), raw, envelope, summarize(raw, envelope)))
            )
            if len(pending) >= 500:
                for future in pending:
                    future.result(TIMEOUT)
                pending.clear()
        for future in pending:
            future.result(TIMEOUT)
    finally:
        store.close()


def start(database: Path) -> tuple[subprocess.Popen[str], dict[str, int]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailsink",
            "--database",
            str(database),
            "--smtp",
            "127.0.0.1:0",
            "--pop3",
            "127.0.0.1:0",
            "--imap",
            "127.0.0.1:0",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    ports: dict[str, int] = {}
    assert process.stdout is not None
    while not {"SMTP", "POP3", "IMAP", "HTTP"} <= ports.keys():
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("mailsink exited before it listened")
        kind, _, address = line.strip().partition(" listening on ")
        ports[kind] = int(address.rstrip("/").rpartition(":")[2])
    return process, ports


class Lines:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        self.file = self.sock.makefile("rb", buffering=1 << 16)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        return self.file.readline()

    def until(self, ending: bytes) -> Iterator[bytes]:
        while not (line := self.line()).startswith(ending):
            if not line:
                raise EOFError("connection closed")
            yield line

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def timed(label: str, seconds: float, count: int, octets: int = 0) -> None:
    rate = f"{count / seconds:10,.0f} msg/s" if count else " " * 16
    volume = f"  {octets / seconds / 1e6:6.1f} MB/s" if octets else ""
    print(f"{label:<48} {seconds * 1000:9.1f} ms  {rate}{volume}", flush=True)


def bench_pop3(port: int, count: int) -> None:
    client = Lines(port)
    client.line()
    started = time.perf_counter()
    client.send(b"USER bench\r\nPASS bench\r\n")
    client.line()
    reply = client.line()
    timed("POP3 USER/PASS (maildrop of all messages)", time.perf_counter() - started, 0)
    assert reply.startswith(f"+OK {count} ".encode()), reply
    started = time.perf_counter()
    client.send(b"UIDL\r\n")
    uids = sum(1 for _ in client.until(b".\r\n")) - 1
    timed("POP3 UIDL", time.perf_counter() - started, uids)
    octets = 0
    started = time.perf_counter()
    for number in range(1, count + 1):
        client.send(b"RETR %d\r\n" % number)
        octets += sum(len(line) for line in client.until(b".\r\n"))
    timed(f"POP3 RETR x {count:,}, one at a time", time.perf_counter() - started, count, octets)
    client.send(b"QUIT\r\n")
    client.line()
    client.close()


def bench_imap(port: int, count: int) -> None:
    client = Lines(port)
    client.line()
    client.send(b"a LOGIN bench bench\r\n")
    list(client.until(b"a OK"))
    started = time.perf_counter()
    client.send(b"s SELECT INBOX\r\n")
    list(client.until(b"s OK"))
    timed("IMAP SELECT INBOX", time.perf_counter() - started, 0)
    for tag, items in ((b"b", b"BODY.PEEK[]"), (b"h", b"FLAGS UID RFC822.SIZE ENVELOPE")):
        started = time.perf_counter()
        client.send(tag + b" FETCH 1:* (" + items + b")\r\n")
        octets = sum(len(line) for line in client.until(tag + b" OK"))
        timed(f"IMAP FETCH 1:* ({items.decode()})", time.perf_counter() - started, count, octets)
    sample = min(count, 1000)
    started = time.perf_counter()
    for number in range(1, sample + 1):
        client.send(b"u UID FETCH %d (BODY.PEEK[])\r\n" % number)
        list(client.until(b"u OK"))
    timed(f"IMAP UID FETCH x {sample:,}, one at a time", time.perf_counter() - started, sample)
    started = time.perf_counter()
    client.send(b"f SEARCH FROM sender7@bench.test\r\n")
    found = next(client.until(b"f OK")).split()[2:]
    list(client.until(b"f OK"))
    timed(f"IMAP SEARCH FROM ({len(found)} found)", time.perf_counter() - started, 0)
    client.send(b"z LOGOUT\r\n")
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    count = parser.parse_args().messages
    with tempfile.TemporaryDirectory(prefix="mailsink-bench-") as scratch:
        database = Path(scratch) / "bench.db"
        started = time.perf_counter()
        fill(database, count)
        print(f"filled {count:,} messages in {time.perf_counter() - started:.1f} s", flush=True)
        process, ports = start(database)
        try:
            bench_pop3(ports["POP3"], count)
            bench_imap(ports["IMAP"], count)
        finally:
            process.terminate()
            process.wait(TIMEOUT)


if __name__ == "__main__":
    main()
