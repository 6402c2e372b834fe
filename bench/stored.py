"""API timings with many messages stored: list, search, open, delete-all; RSS; database size.

The mailbox is filled over SMTP by smtp-source (8 connections, kept open), which is the fastest
way in end to end, so the fill is also the way a test suite would fill it. Five "needle"
messages from `needle@bench.test` with the word `quasar` in their body go in first, so the
searches look for a few old messages among many (the realistic case: the index must find them).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import statistics
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from loads import Load, run_load
from servers import RunningServer
from smtpclient import SmtpSession, make_message

NEEDLES = 5
NEEDLE_SENDER = "needle@bench.test"
NEEDLE_WORD = "quasar"
SAMPLES = 20
HTTP_TIMEOUT = 120.0


@dataclass
class StoredFigures:
    """p50 milliseconds per request (of 20), RSS and database size."""

    stored: int
    list_newest_ms: float
    word_search_ms: float
    from_search_ms: float
    open_message_ms: float
    rss_mib: float
    database_mb: float


def fill(server: RunningServer, count: int, cpu: int | None) -> float:
    """Store the needles and then `count` 2 KB messages; returns messages/s of the fill."""
    asyncio.run(send_needles(server.smtp_port))
    per_connection = -(-count // 8)
    load = Load("fill", count, 2048, concurrency=8, per_connection=per_connection)
    return count / run_load(load, server.smtp_port, cpu)


async def send_needles(port: int) -> None:
    session = await SmtpSession.open("127.0.0.1", port)
    try:
        for number in range(NEEDLES):
            message = make_message(
                f"needle {number}", 2048, sender=NEEDLE_SENDER, body_text=f"a {NEEDLE_WORD} here"
            )
            await session.send(message, sender=NEEDLE_SENDER)
    finally:
        await session.close()


class ApiClient:
    """Timed requests over one kept-alive connection."""

    def __init__(self, base_url: str) -> None:
        address = urllib.parse.urlsplit(base_url)
        self.prefix = address.path.rstrip("/")
        self.connection = http.client.HTTPConnection(
            address.hostname, address.port, timeout=HTTP_TIMEOUT
        )

    def request(self, method: str, path: str) -> tuple[float, bytes]:
        """(milliseconds, body) of one request that must answer 200."""
        started = time.perf_counter()
        self.connection.request(method, self.prefix + path)
        response = self.connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise RuntimeError(f"{method} {path} answered {response.status}: {body[:300]!r}")
        return elapsed, body

    def get_json(self, path: str) -> Any:
        return json.loads(self.request("GET", path)[1])

    def p50(self, path: str) -> float:
        return statistics.median(self.request("GET", path)[0] for _ in range(SAMPLES))

    def close(self) -> None:
        self.connection.close()


def measure(server: RunningServer) -> StoredFigures:
    assert server.http_url is not None
    api = ApiClient(server.http_url)
    try:
        stored = api.get_json("/api/v1/messages?limit=1")["total"]
        word = f"/api/v1/search?query={NEEDLE_WORD}"
        sender = f"/api/v1/search?query=from:{NEEDLE_SENDER}"
        found = api.get_json(sender)["messages"]
        if len(found) != NEEDLES:
            raise RuntimeError(f"from: search found {len(found)} needles, expected {NEEDLES}")
        return StoredFigures(
            stored=stored,
            list_newest_ms=api.p50("/api/v1/messages?limit=50"),
            word_search_ms=api.p50(word),
            from_search_ms=api.p50(sender),
            open_message_ms=api.p50(f"/api/v1/message/{found[0]['ID']}"),
            rss_mib=server.rss_mib(),
            database_mb=server.database_mb(),
        )
    finally:
        api.close()


def delete_all(server: RunningServer) -> float:
    """Milliseconds for `DELETE /api/v1/messages` (no body: everything)."""
    assert server.http_url is not None
    api = ApiClient(server.http_url)
    try:
        return api.request("DELETE", "/api/v1/messages")[0]
    finally:
        api.close()
