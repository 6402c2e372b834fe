"""`GET /api/v1/wait`: the long poll, over real HTTP, woken by mail sent over real SMTP."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from mailsink import MailSink
from mailsink.events import Change, ChangeHub, ChangeKind, Subscriber
from mailsink.web.live.wait import MessageWaiters, parse_timeout
from tests.conftest import wait_until

from .conftest import SendMail

WAIT_LIMIT = 60.0  # generous: the machine is shared; no test waits this long when it passes


def pending_waiters(sink: MailSink) -> int:
    """How many requests the running app has waiting (its registry exists after the first)."""
    app = sink._server._http_servers[0].server.config.app
    waiters: MessageWaiters | None = getattr(app.state, "message_waiters", None)
    return 0 if waiters is None else waiters.pending


def until_pending(sink: MailSink, count: int) -> None:
    wait_until(lambda: pending_waiters(sink) == count)


def start_wait(
    client: httpx.Client, pool: ThreadPoolExecutor, **params: object
) -> Future[httpx.Response]:
    return pool.submit(client.get, "/api/v1/wait", params={"timeout": WAIT_LIMIT, **params})


def test_a_waiter_started_before_the_message_arrives_returns_it(
    sink: MailSink, client: httpx.Client, send_mail: SendMail
) -> None:
    send_mail("Unrelated")
    with ThreadPoolExecutor(1) as pool:
        waiting = start_wait(client, pool, query="subject:Invoice")
        until_pending(sink, 1)
        message_id = send_mail("Invoice 42")
        response = waiting.result()
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    summary = response.json()
    assert summary["ID"] == message_id
    assert summary["Subject"] == "Invoice 42"
    assert summary["Seq"] == sink.messages[-1].seq
    assert pending_waiters(sink) == 0


def test_without_since_the_newest_stored_match_answers_at_once(
    client: httpx.Client, send_mail: SendMail
) -> None:
    send_mail("Code 1")
    newest = send_mail("Code 2")
    send_mail("Other")
    response = client.get("/api/v1/wait", params={"query": "subject:code", "timeout": 0})
    assert response.status_code == 200
    assert response.json()["ID"] == newest


def test_since_returns_the_first_match_above_it(
    sink: MailSink, client: httpx.Client, send_mail: SendMail
) -> None:
    first = send_mail("Reset 1")
    second = send_mail("Reset 2")
    first_match = client.get("/api/v1/wait?query=subject:reset&since=0&timeout=0").json()
    assert first_match["ID"] == first  # the lowest Seq above `since`, not the newest
    last_seq = sink.messages[-1].seq
    assert sink.messages[-1].id == second
    with ThreadPoolExecutor(1) as pool:
        waiting = start_wait(client, pool, query="subject:reset", since=last_seq)
        until_pending(sink, 1)
        send_mail("Something else")
        third = send_mail("Reset 3")
        response = waiting.result()
    assert response.status_code == 200
    assert response.json()["ID"] == third
    assert response.json()["Seq"] > last_seq


def test_a_message_sent_before_the_waiter_is_found_through_since(
    sink: MailSink, client: httpx.Client, send_mail: SendMail
) -> None:
    before = sink.messages[-1].seq if sink.messages else 0
    message_id = send_mail("Welcome")
    response = client.get(
        "/api/v1/wait", params={"query": "welcome", "since": before, "timeout": 5}
    )
    assert response.status_code == 200
    assert response.json()["ID"] == message_id


def test_an_empty_query_matches_every_message(
    sink: MailSink, client: httpx.Client, send_mail: SendMail
) -> None:
    with ThreadPoolExecutor(1) as pool:
        waiting = start_wait(client, pool, since=0)
        until_pending(sink, 1)
        message_id = send_mail("Anything")
        assert waiting.result().json()["ID"] == message_id


def test_the_timeout_gives_the_documented_error(client: httpx.Client, send_mail: SendMail) -> None:
    send_mail("Not it")
    response = client.get("/api/v1/wait", params={"query": "subject:never", "timeout": "0.2"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"Error": "no message matching 'subject:never' within 0.2 s"}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"timeout": "soon"}, "expected timeout in seconds (0 to 300), got 'soon'"),
        ({"timeout": "-1"}, "expected timeout in seconds (0 to 300), got '-1'"),
        ({"timeout": "nan"}, "expected timeout in seconds (0 to 300), got 'nan'"),
        ({"since": "x"}, "expected since to be a message Seq (an integer of 0 or more), got 'x'"),
    ],
)
def test_bad_parameters_are_a_clear_400(
    client: httpx.Client, params: dict[str, str], reason: str
) -> None:
    response = client.get("/api/v1/wait", params=params)
    assert response.status_code == 400
    assert response.text == reason


def test_the_timeout_is_capped_at_300_seconds() -> None:
    assert parse_timeout(None) == 30
    assert parse_timeout("1e6") == 300
    assert parse_timeout("2.5") == 2.5


def test_200_concurrent_waiters_all_get_the_message(sink: MailSink, send_mail: SendMail) -> None:
    assert sink.url is not None
    since = sink.messages[-1].seq if sink.messages else 0
    results: Future[list[httpx.Response]] = Future()

    async def wait_many() -> None:
        limits = httpx.Limits(max_connections=250, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=sink.url, timeout=WAIT_LIMIT, limits=limits) as http:
            params = {"query": "subject:broadcast", "since": since, "timeout": WAIT_LIMIT}
            requests = [http.get("/api/v1/wait", params=params) for _ in range(200)]
            results.set_result(await asyncio.gather(*requests))

    waiter_thread = threading.Thread(target=asyncio.run, args=(wait_many(),))
    waiter_thread.start()
    try:
        until_pending(sink, 200)
        message_id = send_mail("Broadcast")
        responses = results.result(timeout=WAIT_LIMIT)
    finally:
        waiter_thread.join(WAIT_LIMIT)
    assert {r.status_code for r in responses} == {200}
    assert {r.json()["ID"] for r in responses} == {message_id}
    assert pending_waiters(sink) == 0


class CountingHub(ChangeHub):
    def __init__(self) -> None:
        super().__init__()
        self.subscriptions = 0
        self.active = 0

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self.subscriptions += 1
        self.active += 1
        unsubscribe = super().subscribe(subscriber)

        def counted_unsubscribe() -> None:
            self.active -= 1
            unsubscribe()

        return counted_unsubscribe


def test_waiters_share_one_hub_subscription_held_only_while_someone_waits() -> None:
    hub = CountingHub()
    waiters = MessageWaiters(hub)

    async def scenario() -> None:
        with contextlib.ExitStack() as stack:
            events = [stack.enter_context(waiters.waiter()) for _ in range(200)]
            assert (hub.subscriptions, hub.active) == (1, 1)
            publisher = threading.Thread(target=hub.publish, args=(Change(ChangeKind.NEW),))
            publisher.start()
            publisher.join()
            await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), WAIT_LIMIT)
        assert hub.active == 0

    asyncio.run(scenario())
