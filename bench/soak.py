"""Soak: many messages over SMTP while the API and the WebSocket are read, then a SIGKILL run.

    python bench/soak.py                                  # 100,000 messages, then the kill run
    python bench/soak.py --count 20000 --kill-after 5000  # a shorter soak on a busy machine

The soak starts mailsink as a user runs it (`--database`, durable `250`s) and sends `--count`
small messages over `--concurrency` connections, `--per-connection` on each, while a poller reads
`/api/v1/messages`, a search and `/api/v1/info` in turn and a WebSocket client counts `new`
events. It reports throughput, every SMTP and API error, the events seen, the server's RSS
(after the first tenth of the messages, at its peak, at the end) and then checks, by the IDs the
`250` replies named, that every acknowledged message is listed.

The kill run sends until `--kill-after` messages are acknowledged, SIGKILLs the server while
messages are still in flight, restarts it on the same database and checks that every message
acknowledged before the kill is listed. The summary is a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import http.client
import itertools
import json
import re
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field

from servers import MAILSINK, RunningServer, start_server
from smtpclient import SmtpError, SmtpSession, make_message
from websockets.asyncio.client import connect

QUEUED = re.compile(rb"^250 [\d.]+ OK queued as ([0-9A-Za-z]+)")
POLLED_PATHS = ("api/v1/messages?limit=50", "api/v1/search?query=soak&limit=50", "api/v1/info")
POLL_INTERVAL = 0.2  # between API reads: a UI tab refreshing, not a load of its own
RSS_INTERVAL = 1.0
LIST_PAGE = 1000
HTTP_TIMEOUT = 60.0


@dataclass
class Tally:
    """What one run saw, from the client side and the server's RSS."""

    acked: list[str] = field(default_factory=list)  # message IDs from the `250` replies
    smtp_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    api_reads: int = 0
    api_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    new_events: int = 0
    websocket_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    rss_mib: list[tuple[int, float]] = field(default_factory=list)  # (acknowledged, RSS)
    seconds: float = 0.0
    kill_at: int = 0  # set `acked_enough` once this many are acknowledged (0: never)
    acked_enough: asyncio.Event = field(default_factory=asyncio.Event)
    events_wanted: int = -1  # set `events_caught_up` once this many `new` events are seen
    events_caught_up: asyncio.Event = field(default_factory=asyncio.Event)

    def acknowledged(self, message_id: str) -> None:
        self.acked.append(message_id)
        if len(self.acked) == self.kill_at:
            self.acked_enough.set()

    def new_event(self) -> None:
        self.new_events += 1
        if self.new_events == self.events_wanted:
            self.events_caught_up.set()

    def want_events(self, count: int) -> None:
        self.events_wanted = count
        if self.new_events >= count:
            self.events_caught_up.set()


def http_get(base_url: str, path: str) -> tuple[int, bytes]:
    address = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=HTTP_TIMEOUT)
    try:
        connection.request("GET", address.path.rstrip("/") + "/" + path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


async def send_lane(
    port: int, numbers: Iterator[int], per_connection: int, tally: Tally, stop: asyncio.Event
) -> None:
    """Send messages numbered from `numbers`, `per_connection` on each connection."""
    while not stop.is_set() and (batch := list(itertools.islice(numbers, per_connection))):
        try:
            session = await SmtpSession.open("127.0.0.1", port)
        except (OSError, SmtpError, TimeoutError) as error:
            tally.smtp_errors[f"connect: {type(error).__name__}"] += 1
            continue
        try:
            for number in batch:
                if stop.is_set():
                    break
                reply = await session.deliver(make_message(f"soak {number}", 2000))
                queued = QUEUED.match(reply)
                if queued is None:
                    tally.smtp_errors[f"unexpected reply {reply[:40]!r}"] += 1
                else:
                    tally.acknowledged(queued[1].decode())
        except (OSError, SmtpError, TimeoutError) as error:
            tally.smtp_errors[f"send: {type(error).__name__}"] += 1
        finally:
            await session.close()


async def poll_api(base_url: str, tally: Tally, stop: asyncio.Event) -> None:
    for path in itertools.cycle(POLLED_PATHS):
        if stop.is_set():
            return
        try:
            status, _ = await asyncio.to_thread(http_get, base_url, path)
            tally.api_reads += 1
            if status != 200:
                tally.api_errors[f"{path}: HTTP {status}"] += 1
        except OSError as error:
            tally.api_errors[f"{path}: {type(error).__name__}"] += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_INTERVAL)


async def watch_events(base_url: str, tally: Tally, stop: asyncio.Event) -> None:
    url = "ws" + base_url.removeprefix("http").rstrip("/") + "/api/events"
    try:
        async with connect(url, open_timeout=HTTP_TIMEOUT, max_size=None) as websocket:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    frame = await asyncio.wait_for(websocket.recv(), 1.0)
                    if isinstance(frame, str) and '"Type":"new"' in frame:
                        tally.new_event()
    except Exception as error:  # a closed or refused stream is a finding, not a crash
        if not stop.is_set():
            tally.websocket_errors[type(error).__name__] += 1


async def sample_rss(server: RunningServer, tally: Tally, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(OSError, RuntimeError):  # the process may just have died
            tally.rss_mib.append((len(tally.acked), server.rss_mib()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RSS_INTERVAL)


async def run_load(
    server: RunningServer, count: int, args: argparse.Namespace, kill_after: int = 0
) -> Tally:
    """Send `count` messages with the readers running; with `kill_after`, SIGKILL the server
    once that many are acknowledged (the lanes still sending) and stop there."""
    assert server.http_url is not None
    tally = Tally(kill_at=kill_after)
    stop, sending_done = asyncio.Event(), asyncio.Event()
    numbers = iter(range(count))
    started = time.perf_counter()
    readers = [
        asyncio.create_task(poll_api(server.http_url, tally, sending_done)),
        asyncio.create_task(watch_events(server.http_url, tally, sending_done)),
        asyncio.create_task(sample_rss(server, tally, sending_done)),
    ]
    lanes = [
        asyncio.create_task(send_lane(server.smtp_port, numbers, args.per_connection, tally, stop))
        for _ in range(args.concurrency)
    ]
    sending = asyncio.gather(*lanes)
    if kill_after:
        killing = asyncio.create_task(tally.acked_enough.wait())
        await asyncio.wait({killing, sending}, return_when=asyncio.FIRST_COMPLETED)
        killing.cancel()
        server.kill()
        stop.set()
    await sending
    tally.seconds = time.perf_counter() - started
    if not kill_after:  # the last `new` events follow the last commits closely
        tally.want_events(len(tally.acked))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.events_caught_up.wait(), 30)
    sending_done.set()
    await asyncio.gather(*readers)
    return tally


def listed_ids(base_url: str) -> set[str]:
    """Every message ID the API lists, page by page."""
    found: set[str] = set()
    for start in itertools.count(0, LIST_PAGE):
        status, body = http_get(base_url, f"api/v1/messages?start={start}&limit={LIST_PAGE}")
        if status != 200:
            raise RuntimeError(f"listing failed: HTTP {status}")
        page = [message["ID"] for message in json.loads(body)["messages"]]
        found.update(page)
        if len(page) < LIST_PAGE:
            return found


def rss_figures(tally: Tally, count: int) -> tuple[float, float, float]:
    """RSS after the first tenth of the messages, at its peak, and at the end, in MiB."""
    samples = tally.rss_mib or [(0, 0.0)]
    warm = next((rss for acked, rss in samples if acked >= count // 10), samples[0][1])
    return warm, max(rss for _, rss in samples), samples[-1][1]


def soak(args: argparse.Namespace) -> list[tuple[str, str]]:
    server = start_server(MAILSINK, None)
    try:
        tally = asyncio.run(run_load(server, args.count, args))
        assert server.http_url is not None
        missing = set(tally.acked) - listed_ids(server.http_url)
        database_mb = server.database_mb()
    finally:
        server.stop()
    warm, peak, end = rss_figures(tally, args.count)
    return [
        ("messages sent / acknowledged", f"{args.count:,} / {len(tally.acked):,}"),
        ("throughput, msgs/s", f"{len(tally.acked) / tally.seconds:,.0f}"),
        ("SMTP errors", errors_text(tally.smtp_errors)),
        ("API reads / errors", f"{tally.api_reads:,} / {errors_text(tally.api_errors)}"),
        ("WebSocket `new` events", f"{tally.new_events:,}"),
        ("WebSocket errors", errors_text(tally.websocket_errors)),
        ("RSS after 10 % / peak / end, MiB", f"{warm:.0f} / {peak:.0f} / {end:.0f}"),
        ("RSS growth after warm-up, MiB", f"{end - warm:+.0f}"),
        ("database with WAL, MB", f"{database_mb:,.0f}"),
        ("acknowledged but not listed", f"{len(missing):,}"),
    ]


def kill_run(args: argparse.Namespace) -> list[tuple[str, str]]:
    server = start_server(MAILSINK, None)
    try:
        tally = asyncio.run(run_load(server, args.kill_after * 2, args, args.kill_after))
        server = start_server(MAILSINK, None, scratch=server.scratch)  # the same database
        assert server.http_url is not None
        listed = listed_ids(server.http_url)
    finally:
        server.stop()
    lost = set(tally.acked) - listed
    return [
        ("SIGKILL after acknowledged", f"{len(tally.acked):,} (killed at {args.kill_after:,})"),
        ("listed after the restart", f"{len(listed):,}"),
        ("acknowledged before the kill but lost", f"{len(lost):,}"),
    ]


def errors_text(errors: collections.Counter[str]) -> str:
    if not errors:
        return "0"
    return ", ".join(f"{count} × {kind}" for kind, count in errors.most_common())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="messages to send (100000)")
    parser.add_argument("--concurrency", type=int, default=4, help="SMTP connections (4)")
    parser.add_argument("--per-connection", type=int, default=100, help="messages each (100)")
    parser.add_argument(
        "--kill-after",
        type=int,
        default=5000,
        help="SIGKILL run: kill once this many are acknowledged (5000; 0 = no kill run)",
    )
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    rows = [("soak", f"{args.count:,} × 2 KB, {args.concurrency} connections")]
    print(f"soaking with {args.count:,} messages…", file=sys.stderr)
    rows += soak(args)
    if args.kill_after:
        print(f"kill run: SIGKILL after {args.kill_after:,} acknowledged…", file=sys.stderr)
        rows += kill_run(args)
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    failed = any(
        name in ("acknowledged but not listed", "acknowledged before the kill but lost")
        and value != "0"
        for name, value in rows
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
