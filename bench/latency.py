"""Latency from the SMTP `250` to the WebSocket `new` event and to the message being searchable.

Each probe is one small message on its own connection whose Subject holds a unique token. The
clock starts when the client reads the `250` for the message's data. A WebSocket client on
`/api/events` notes when a `new` frame with the token arrives; at the same time a thread polls
`GET /api/v1/search?query=TOKEN` (every millisecond, one kept-alive connection) until the answer
lists it. mailsink publishes a message when it is committed, which can be before the `250`
reaches the client: a WebSocket figure near zero or below it means the event won that race.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from smtpclient import make_message, send_one
from websockets.asyncio.client import connect

EVENT_TIMEOUT = 10.0
POLL_INTERVAL = 0.001
TOKEN = re.compile(r"probe[0-9a-f]{20}")


@dataclass
class LatencySamples:
    """Milliseconds per probe; `missed` counts probes not seen within the timeout."""

    websocket: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    missed: int = 0


class EventWatcher:
    """Reads `/api/events` and records when each probe token's `new` frame arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, asyncio.Future[float]] = {}
        self.connected = asyncio.Event()
        self.closed = False

    def expect(self, token: str) -> asyncio.Future[float]:
        future = self.arrived.setdefault(token, asyncio.get_running_loop().create_future())
        if self.closed and not future.done():
            future.set_exception(ConnectionError("the event stream has closed"))
        return future

    async def watch(self, url: str) -> None:
        try:
            async with connect(url, open_timeout=EVENT_TIMEOUT, max_size=None) as websocket:
                self.connected.set()
                async for frame in websocket:
                    now = time.perf_counter()
                    if isinstance(frame, str) and '"Type":"new"' in frame:
                        for token in TOKEN.findall(frame):
                            future = self.expect(token)
                            if not future.done():
                                future.set_result(now)
        finally:
            self.closed = True
            for token in list(self.arrived):
                self.expect(token)  # fails the probes still waiting


def poll_until_listed(base_url: str, token: str, deadline: float) -> float | None:
    """`time.perf_counter()` when a search for `token` first lists it, or None at `deadline`."""
    address = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=EVENT_TIMEOUT)
    path = f"{address.path.rstrip('/')}/api/v1/search?query={token}"
    try:
        while time.perf_counter() < deadline:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            if response.status == 200 and token.encode() in body:
                return time.perf_counter()
            time.sleep(POLL_INTERVAL)
        return None
    finally:
        connection.close()


async def probe_once(
    smtp_port: int, http_url: str, watcher: EventWatcher, samples: LatencySamples
) -> None:
    token = "probe" + uuid.uuid4().hex[:20]
    event = watcher.expect(token)
    accepted = await send_one(smtp_port, make_message(f"latency {token}", 1024))
    listed = await asyncio.to_thread(poll_until_listed, http_url, token, accepted + EVENT_TIMEOUT)
    try:
        async with asyncio.timeout(max(0.0, accepted + EVENT_TIMEOUT - time.perf_counter())):
            event_time = await event
    except (TimeoutError, ConnectionError):
        event_time = None
    finally:
        watcher.arrived.pop(token, None)
    if event_time is None or listed is None:
        samples.missed += 1
    if event_time is not None:
        samples.websocket.append((event_time - accepted) * 1000)
    if listed is not None:
        samples.api.append((listed - accepted) * 1000)


async def measure(
    smtp_port: int, http_url: str, max_samples: int, keep_going: Callable[[], bool]
) -> LatencySamples:
    """Probe one at a time, up to `max_samples`, while `keep_going()` (at least once)."""
    samples = LatencySamples()
    watcher = EventWatcher()
    events_url = "ws" + http_url.removeprefix("http").rstrip("/") + "/api/events"
    watching = asyncio.create_task(watcher.watch(events_url))
    connected = asyncio.create_task(watcher.connected.wait())
    try:
        await asyncio.wait([watching, connected], return_when=asyncio.FIRST_COMPLETED)
        if watching.done():
            watching.result()  # raises why the WebSocket could not connect (or closed)
        for number in range(max_samples):
            if number and not keep_going():
                break
            await probe_once(smtp_port, http_url, watcher, samples)
    finally:
        for task in (watching, connected):
            task.cancel()
        await asyncio.gather(watching, connected, return_exceptions=True)
    return samples
