"""Webhooks against a real local HTTP server: the summary's shape, the rate limit and how a
burst is coalesced, retries, and receivers that are slow or gone."""

from __future__ import annotations

import json
import logging
import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from mailsink import MailSink
from mailsink.cli import config_from
from tests.builders import send_over_smtp


@dataclass
class Receiver:
    """What the receiving server saw, and how it should answer the next requests."""

    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    failures_to_give: list[int] = field(default_factory=list)  # statuses for the next POSTs
    hold: threading.Event = field(default_factory=threading.Event)  # answer only once set
    changed: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_posts(self, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.posts) >= count, timeout):
                raise AssertionError(f"expected {count} POSTs, got {len(self.posts)}")
            return list(self.posts)

    def no_more_posts_than(self, count: int, within: float) -> bool:
        with self.changed:
            return not self.changed.wait_for(lambda: len(self.posts) > count, within)


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.hold.wait(60)
            status = receiver.failures_to_give.pop(0) if receiver.failures_to_give else 200
            if status == 200:
                with receiver.changed:
                    receiver.posts.append(json.loads(body))
                    receiver.headers.append(dict(self.headers))
                    receiver.times.append(time.monotonic())
                    receiver.changed.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received = Receiver()
    received.hold.set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(received))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield received
    finally:
        received.hold.set()
        server.shutdown()
        server.server_close()


def message(subject: str) -> bytes:
    headers = f"From: App <app@example.com>\r\nTo: a@example.com\r\nSubject: {subject}\r\n"
    return f"{headers}\r\nhi\r\n".encode()


def test_each_new_message_posts_the_summary_the_api_lists(receiver: Receiver) -> None:
    with MailSink(http=True, webhook_urls=(receiver.url,)) as sink:
        send_over_smtp(sink, message("hooked"))
        [posted] = receiver.wait_for_posts(1)
        assert sink.url is not None
        [listed] = httpx.get(sink.url + "api/v1/messages").json()["messages"]
    assert posted == listed
    assert posted["Subject"] == "hooked"
    assert posted["From"] == {"Name": "App", "Address": "app@example.com"}
    assert receiver.headers[0]["Content-Type"] == "application/json"
    assert receiver.headers[0]["User-Agent"].startswith("mailsink/")


def test_a_burst_is_coalesced_to_the_first_and_the_last(receiver: Receiver) -> None:
    with MailSink(webhook_urls=(receiver.url,), webhook_limit=1) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
            for n in range(10):
                client.sendmail("app@example.com", ["a@example.com"], message(f"burst {n}"))
                if n == 0:
                    # The first POST starts no earlier than just before this `250` (the
                    # commit), so the second, a second later, arrives no earlier than this
                    # plus a second, however long the first took to arrive.
                    first_acknowledged = time.monotonic()
        posts = receiver.wait_for_posts(2)
        assert receiver.no_more_posts_than(2, within=1.5)
    assert posts[0]["Subject"] == "burst 0"
    assert posts[1]["Subject"] == "burst 9", "the newest message replaces those waiting"
    assert receiver.times[1] - first_acknowledged >= 0.9, "at most one POST a second"


def test_every_url_gets_every_message_when_unlimited(receiver: Receiver) -> None:
    urls = (receiver.url, receiver.url + "?second")
    with MailSink(webhook_urls=urls, webhook_limit=0) as sink:
        send_over_smtp(sink, message("to both"))
        posts = receiver.wait_for_posts(2)
    assert [p["Subject"] for p in posts] == ["to both", "to both"]


def test_failures_are_retried_with_backoff(receiver: Receiver) -> None:
    receiver.failures_to_give = [503, 500]
    with MailSink(webhook_urls=(receiver.url,)) as sink:
        send_over_smtp(sink, message("third time lucky"))
        [posted] = receiver.wait_for_posts(1)
    assert posted["Subject"] == "third time lucky"


def test_a_client_error_is_not_retried(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.failures_to_give = [400]
    with MailSink(webhook_urls=(receiver.url,), webhook_limit=0) as sink:
        send_over_smtp(sink, message("refused"))
        send_over_smtp(sink, message("taken"))
        [posted] = receiver.wait_for_posts(1)
    assert posted["Subject"] == "taken"
    assert "gave up on message" in caplog.text
    assert "HTTP 400" in caplog.text


def test_a_slow_receiver_never_holds_up_smtp(receiver: Receiver) -> None:
    receiver.hold.clear()  # the receiver answers nothing until released
    with MailSink(webhook_urls=(receiver.url,)) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
            for n in range(5):
                client.sendmail("app@example.com", ["a@example.com"], message(f"slow {n}"))
        assert len(sink.wait_for(count=5)) == 5
        assert receiver.posts == []
        receiver.hold.set()
        assert receiver.wait_for_posts(1)[0]["Subject"] == "slow 0"


class LogWaiter(logging.Handler):
    """Sets `seen` once a record containing `text` is logged."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


def test_a_dead_receiver_is_logged_not_fatal() -> None:
    webhook_log = logging.getLogger("mailsink.webhooks")
    waiter = LogWaiter("Connection refused; retrying in")
    webhook_log.addHandler(waiter)
    webhook_log.setLevel(logging.INFO)
    try:
        with socket.socket() as unused:  # bound, never listening: connections are refused
            unused.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{unused.getsockname()[1]}/hook"
            with MailSink(webhook_urls=(url,)) as sink:
                send_over_smtp(sink, message("nobody listens"))
                send_over_smtp(sink, message("still accepted"))
                assert len(sink.wait_for(count=2)) == 2
                assert waiter.seen.wait(60)
    finally:
        webhook_log.removeHandler(waiter)
        webhook_log.setLevel(logging.NOTSET)


def test_flags_and_environment() -> None:
    config = config_from(
        ["--webhook-url", "http://a.test/x", "--webhook-url", "https://b.test/y"],
        {"MAILSINK_WEBHOOK_LIMIT": "2.5"},
    )
    assert config.webhook_urls == ("http://a.test/x", "https://b.test/y")
    assert config.webhook_limit == 2.5
    env_only = config_from([], {"MAILSINK_WEBHOOK_URL": "http://a.test/1,http://a.test/2"})
    assert env_only.webhook_urls == ("http://a.test/1", "http://a.test/2")
    assert config_from([], {}).webhook_limit == 1.0
    with pytest.raises(SystemExit):
        config_from(["--webhook-url", "file:///etc/passwd"], {})
    with pytest.raises(SystemExit):
        config_from(["--webhook-limit", "-1"], {})
