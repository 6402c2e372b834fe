"""WebSocket `/api/events`: a real `websockets` client against a running sink fed by SMTP."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, ParamSpec

import httpx
import pytest
from starlette.datastructures import Headers
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from mailsink import MailSink
from mailsink.config import Config
from mailsink.context import SinkContext
from mailsink.events import Change, ChangeHub, ChangeKind, SmtpIncident
from mailsink.ingest import Ingest
from mailsink.stats import RuntimeStats
from mailsink.store.memory import MemoryStore
from mailsink.web.live.broadcast import FRAME_QUEUE_SIZE, Listener
from mailsink.web.live.websocket import MailpitEvents, change_frames, encode_frame
from mailsink.web.security.cross_origin import origin_allowed

from .conftest import SendMail

FRAME_TIMEOUT = 30.0
PRUNE_FRAME = '{"Type":"prune","Data":null}'

P = ParamSpec("P")


def run_async(test: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async test on its own event loop (no async test plugin needed)."""

    @functools.wraps(test)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def events_url(sink: MailSink) -> str:
    assert sink.url is not None
    return sink.url.replace("http://", "ws://", 1) + "api/events"


async def next_frame(ws: ClientConnection, event_type: str) -> Any:
    """The Data of the next frame of this type (frames of other types are skipped)."""
    async with asyncio.timeout(FRAME_TIMEOUT):
        while True:
            frame = json.loads(await ws.recv())
            assert set(frame) == {"Type", "Data"}
            if frame["Type"] == event_type:
                return frame["Data"]


async def stats_until(ws: ClientConnection, **expected: int) -> dict[str, Any]:
    """Stats frames until one shows the expected counts (earlier ones may predate a change)."""
    while True:
        stats = await next_frame(ws, "stats")
        if all(stats[key] == value for key, value in expected.items()):
            return stats


@contextlib.asynccontextmanager
async def listening(sink: MailSink) -> AsyncIterator[ClientConnection]:
    async with connect(events_url(sink)) as ws:
        await next_frame(ws, "stats")  # sent on connect: the client is registered
        yield ws


@run_async
async def test_stats_are_sent_on_connect(sink: MailSink, send_mail: SendMail) -> None:
    await asyncio.to_thread(send_mail, "Before connecting")
    async with connect(events_url(sink)) as ws:
        stats = await next_frame(ws, "stats")
    assert stats["Total"] == 1
    assert stats["Unread"] == 1
    assert stats["Version"]


@run_async
async def test_new_message_by_smtp_is_announced(sink: MailSink, send_mail: SendMail) -> None:
    async with listening(sink) as events:
        message_id = await asyncio.to_thread(send_mail, "Live <b>update</b>", to="Ann <ann@x.test>")
        data = await next_frame(events, "new")
        assert data["ID"] == message_id
        assert data["Subject"] == "Live <b>update</b>"
        assert data["To"] == [{"Name": "Ann", "Address": "ann@x.test"}]
        assert data["Read"] is False
        assert list(data)[:3] == ["ID", "MessageID", "Read"]
        await stats_until(events, Total=1, Unread=1)


@run_async
async def test_update_delete_and_truncate_follow_the_api_calls(
    sink: MailSink, send_mail: SendMail
) -> None:
    assert sink.url is not None
    async with listening(sink) as events:
        await check_update_delete_truncate(sink.url, events, send_mail)


async def check_update_delete_truncate(
    url: str, events: ClientConnection, send_mail: SendMail
) -> None:
    first = await asyncio.to_thread(send_mail, "One")
    second = await asyncio.to_thread(send_mail, "Two")
    async with httpx.AsyncClient(base_url=url, timeout=FRAME_TIMEOUT) as http:
        response = await http.put("/api/v1/messages", json={"IDs": [first], "Read": True})
        assert response.status_code == 200
        assert await next_frame(events, "update") == {"ID": first, "Read": True}
        await stats_until(events, Total=2, Unread=1)

        response = await http.put("/api/v1/tags", json={"IDs": [second], "Tags": ["Urgent"]})
        assert response.status_code == 200
        assert await next_frame(events, "update") == {"ID": second, "Tags": ["Urgent"]}

        response = await http.request("DELETE", "/api/v1/messages", json={"IDs": [first]})
        assert response.status_code == 200
        assert await next_frame(events, "delete") == {"ID": first}
        await stats_until(events, Total=1, Unread=1)

        response = await http.delete("/api/v1/messages")
        assert response.status_code == 200
        assert await next_frame(events, "truncate") is None
        await stats_until(events, Total=0, Unread=0)


@run_async
async def test_a_foreign_origin_is_refused(sink: MailSink) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(events_url(sink), origin="http://evil.example"):
            pass
    assert refused.value.response.status_code == 403


@run_async
async def test_the_servers_own_origin_is_accepted(sink: MailSink) -> None:
    assert sink.url is not None
    async with connect(events_url(sink), origin=sink.url.rstrip("/")) as ws:
        assert (await next_frame(ws, "stats"))["Total"] == 0


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        (None, "127.0.0.1:8025", True),
        ("http://127.0.0.1:8025", "127.0.0.1:8025", True),
        ("http://LOCALHOST:80", "localhost", True),
        ("http://127.0.0.1:8026", "127.0.0.1:8025", False),
        ("http://localhost:8025", "127.0.0.1:8025", False),
        ("null", "127.0.0.1:8025", False),
        ("http://[::1]:8025", "[::1]:8025", True),
        ("http://127.0.0.1:99999", "127.0.0.1:8025", False),
        ("https://app.example", "127.0.0.1:8025", True),  # a configured --api-cors origin
    ],
)
def test_origin_rules(origin: str | None, host: str, allowed: bool) -> None:
    headers = {"host": host} | ({"origin": origin} if origin else {})
    config = Config(api_cors=("https://app.example",))
    assert origin_allowed(Headers(headers), "ws", config) is allowed


def test_frames_have_mailpits_types_and_payloads() -> None:
    incident = SmtpIncident("error", "smtpd", "127.0.0.1", "554 relay denied")
    assert change_frames(Change(ChangeKind.ERROR, error=incident)) == [
        (
            "error",
            {"Level": "error", "Type": "smtpd", "IP": "127.0.0.1", "Message": "554 relay denied"},
        )
    ]
    assert change_frames(Change(ChangeKind.PRUNE)) == [("prune", None)]
    assert change_frames(Change(ChangeKind.DELETE, ids=tuple(map(str, range(201))))) == [
        ("prune", None)
    ]
    assert encode_frame("truncate", None) == '{"Type":"truncate","Data":null}'


def memory_context() -> SinkContext:
    hub = ChangeHub()
    store = MemoryStore(hub)
    stats = RuntimeStats()
    return SinkContext(Config(listen=None), store, hub, Ingest(store, stats), stats)


@run_async
async def test_a_slow_client_is_dropped_and_the_others_get_every_frame() -> None:
    context = memory_context()
    broadcaster = MailpitEvents(context)
    stalled = broadcaster.join()  # nobody reads its queue
    reader = broadcaster.join()
    stalled.sender = asyncio.create_task(asyncio.Event().wait())
    published = FRAME_QUEUE_SIZE + 10
    prunes_received = 0
    all_received = asyncio.Event()

    async def drain() -> None:
        nonlocal prunes_received
        while True:
            if await reader.queue.get() == PRUNE_FRAME:
                prunes_received += 1
                if prunes_received == published:
                    all_received.set()

    reader.sender = asyncio.create_task(drain())
    try:
        for _ in range(published):
            # Published from another thread, as the SQLite writer does.
            await asyncio.to_thread(context.hub.publish, Change(ChangeKind.PRUNE))
        await asyncio.wait_for(all_received.wait(), FRAME_TIMEOUT)
        assert stalled.dropped
        await asyncio.gather(stalled.sender, return_exceptions=True)
        assert stalled.sender.cancelled()
        assert not reader.dropped
        assert broadcaster.listeners == 1
    finally:
        reader.sender.cancel()
        broadcaster.leave(reader)
        context.store.close()


async def frame_of_type(listener: Listener, event_type: str) -> str:
    async with asyncio.timeout(FRAME_TIMEOUT):
        while True:
            frame = await listener.next_frame()
            assert frame is not None
            if json.loads(frame)["Type"] == event_type:
                return frame


@run_async
async def test_each_frame_is_encoded_once_for_all_clients() -> None:
    context = memory_context()
    broadcaster = MailpitEvents(context)
    first, second = broadcaster.join(), broadcaster.join()
    try:
        context.hub.publish(Change(ChangeKind.TRUNCATE))
        frames = [await frame_of_type(first, "truncate"), await frame_of_type(second, "truncate")]
        assert frames[0] == '{"Type":"truncate","Data":null}'
        assert frames[0] is frames[1]
    finally:
        broadcaster.leave(first)
        broadcaster.leave(second)
        context.store.close()
