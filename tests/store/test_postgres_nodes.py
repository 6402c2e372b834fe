"""Two `mailsink` processes on one PostgreSQL database: what node A acknowledges, node B
shows (HTTP, WebSocket), even when node A is killed mid-ingest."""

from __future__ import annotations

import asyncio
import json
import signal
import smtplib
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from websockets.asyncio.client import connect

from tests.conftest import RunningCli, run_cli

FREE = ("--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0")
TIMEOUT = 30.0


def send_one(node: RunningCli, subject: str) -> str:
    """Send a message over SMTP; the ID in node's `250 … queued as ID`."""
    raw = f"Subject: {subject}\r\nFrom: a@example.com\r\n\r\nbody of {subject}\r\n"
    with smtplib.SMTP(*node.smtp, timeout=TIMEOUT) as client:
        client.ehlo()
        client.mail("a@example.com")
        client.rcpt("b@example.com")
        code, reply = client.data(raw.encode())
    assert code == 250, reply
    return reply.decode().rpartition(" ")[2]


def test_a_message_sent_to_node_a_is_seen_on_node_b_over_http_and_websocket(
    postgres_url: str,
) -> None:
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@", 1)  # trust: unused
    with (
        run_cli(*FREE, "--database", postgres_url) as node_a,
        run_cli(*FREE, env={"MAILSINK_DATABASE": with_password}) as node_b,
    ):
        events = node_b.url.replace("http://", "ws://", 1) + "api/events"

        async def scenario() -> tuple[str, dict[str, object], dict[str, object]]:
            async with connect(events) as ws, httpx.AsyncClient(timeout=TIMEOUT) as http:
                await ws.recv()  # the stats frame sent on connect: B's listener is registered
                waiting = asyncio.create_task(
                    http.get(
                        node_b.url + "api/v1/wait",
                        params={"query": "subject:across-nodes", "timeout": "30"},
                    )
                )
                sent = await asyncio.to_thread(send_one, node_a, "across-nodes")
                async with asyncio.timeout(TIMEOUT):
                    while (frame := json.loads(await ws.recv()))["Type"] != "new":
                        pass
                waited = await waiting
                assert waited.status_code == 200, waited.text
                return sent, frame["Data"], waited.json()

        sent, new_frame, waited = asyncio.run(scenario())
        assert new_frame["ID"] == sent
        assert new_frame["Subject"] == "across-nodes"
        assert waited["ID"] == sent
        with httpx.Client(base_url=node_b.url, timeout=TIMEOUT) as http:
            raw = http.get(f"api/v1/message/{sent}/raw")
            info = http.get("api/v1/info").json()
        assert raw.content.startswith(b"Subject: across-nodes\r\n")
        assert info["Database"] == postgres_url  # without the password


def test_every_message_node_a_acknowledged_is_on_node_b_after_node_a_is_killed(
    postgres_url: str,
) -> None:
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def keep_sending(node: RunningCli, sender: int) -> None:
        for number in range(10_000):
            try:
                sent = send_one(node, f"s{sender}-{number}")
            except (OSError, smtplib.SMTPException, AssertionError):
                return  # node A is gone (or going): what it did not acknowledge may be lost
            with lock:
                acknowledged.append(sent)
                if len(acknowledged) >= 200:
                    enough.set()

    with run_cli(*FREE, "--database", postgres_url) as node_b:
        with (
            run_cli(*FREE, "--database", postgres_url) as node_a,
            ThreadPoolExecutor(4) as senders,
        ):
            running = [senders.submit(keep_sending, node_a, n) for n in range(4)]
            assert enough.wait(120), f"only {len(acknowledged)} acknowledged"
            node_a.stop(signal.SIGKILL)  # with sessions in the middle of DATA
            for sender in running:
                sender.result(timeout=TIMEOUT)
        with lock:
            expected = set(acknowledged)
        with httpx.Client(base_url=node_b.url, timeout=TIMEOUT) as http:
            listed = http.get("api/v1/messages", params={"limit": "100000"}).json()
        stored = {message["ID"] for message in listed["messages"]}
        assert expected - stored == set()
        assert len(expected) >= 200
