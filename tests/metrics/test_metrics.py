"""`/metrics`: scraped with httpx from real sinks and read with prometheus_client's parser."""

from __future__ import annotations

import os
import smtplib
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from mailsink import MailSink
from tests.builders import send_over_smtp
from tests.conftest import wait_until

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample at `url`, by name and labels."""
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def metrics_url(sink: MailSink) -> str:
    assert sink.url is not None
    return sink.url + "metrics"


MESSAGE = b"Subject: counted\r\n\r\nhello\r\n"


def test_off_by_default() -> None:
    with MailSink(http=True) as sink:
        assert httpx.get(metrics_url(sink)).status_code == 404


def test_messages_store_http_requests_and_ingest_latency() -> None:
    with MailSink(store="sqlite", http=True, metrics=True) as sink:
        send_over_smtp(sink, MESSAGE)
        send_over_smtp(sink, MESSAGE)
        [first, _] = sink.wait_for(count=2)
        assert sink.url is not None
        httpx.get(sink.url + "api/v1/messages")
        httpx.get(sink.url + f"api/v1/message/{first.id}")
        httpx.get(sink.url + "api/v1/message/AAAAAAAAAAAAAAAAAAAAAA")
        samples = scrape(metrics_url(sink))
    assert value(samples, "mailsink_messages_received_total") == 2
    assert value(samples, "mailsink_messages_received_bytes_total") == 2 * len(MESSAGE)
    assert value(samples, "mailsink_smtp_sessions_total") == 2
    assert value(samples, "mailsink_store_messages") == 2
    assert value(samples, "mailsink_store_unread_messages") == 1, "one was read over the API"
    assert value(samples, "mailsink_store_size_bytes") > 0
    assert value(samples, "mailsink_ingest_duration_seconds_count") == 2
    assert value(samples, "mailsink_ingest_duration_seconds_bucket", le="+Inf") == 2
    assert value(samples, "mailsink_ingest_duration_seconds_sum") > 0
    requests = "mailsink_http_requests_total"
    assert value(samples, requests, route="/api/v1/messages", status="200") == 1
    assert value(samples, requests, route="/api/v1/message/{id}", status="200") == 1
    assert value(samples, requests, route="/api/v1/message/{id}", status="404") == 1


def test_refusals_by_reason_and_auth_and_tls(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("alice:secret\n")
    options = {"smtp_max_size": 1000, "smtp_auth_file": users, "smtp_tls_cert": "auto"}
    with MailSink(http=True, metrics=True, **options) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
            client.starttls(context=ssl._create_unverified_context())
            client.login("alice", "secret")
            with pytest.raises(smtplib.SMTPSenderRefused):
                client.sendmail("a@example.com", ["b@example.com"], b"x" * 2000)
        with (
            smtplib.SMTP(sink.host, sink.port, timeout=30) as client,
            pytest.raises(smtplib.SMTPAuthenticationError),
        ):
            client.login("alice", "wrong")
        samples = scrape(metrics_url(sink))
    assert value(samples, "mailsink_smtp_sessions_total") == 2
    assert value(samples, "mailsink_smtp_tls_sessions_total") == 1
    assert value(samples, "mailsink_smtp_auth_total", result="success") == 1
    failures = value(samples, "mailsink_smtp_auth_total", result="failure")
    assert failures >= 1, "smtplib tries each mechanism offered: one failure each"
    assert value(samples, "mailsink_smtp_rejections_total", reason="auth_failed") == failures
    assert value(samples, "mailsink_smtp_rejections_total", reason="too_large") == 1
    assert value(samples, "mailsink_smtp_rejections_total", reason="strict") == 0
    assert value(samples, "mailsink_messages_received_total") == 0


def test_websocket_clients_come_and_go() -> None:
    with MailSink(http=True, metrics=True) as sink:
        assert sink.url is not None
        events = sink.url.replace("http://", "ws://") + "api/events"
        with connect(events, open_timeout=30):
            wait_until(lambda: value(scrape(metrics_url(sink)), "mailsink_websocket_clients") == 1)
        wait_until(lambda: value(scrape(metrics_url(sink)), "mailsink_websocket_clients") == 0)


def test_a_listener_of_its_own_and_sinks_that_do_not_mix() -> None:
    with (
        MailSink(http=True, metrics_listen="127.0.0.1:0") as first,
        MailSink(http=True, metrics_listen="127.0.0.1:0") as second,
    ):
        send_over_smtp(first, MESSAGE)
        first.wait_for_one()
        [first_url, second_url] = [
            f"http://127.0.0.1:{sink_listener_port(sink)}/metrics" for sink in (first, second)
        ]
        assert value(scrape(first_url), "mailsink_messages_received_total") == 1
        assert value(scrape(second_url), "mailsink_messages_received_total") == 0
        assert httpx.get(metrics_url(first)).status_code == 404, "not on the main listener"
        assert sink_listener_port(first) != sink_listener_port(second)


def sink_listener_port(sink: MailSink) -> int:
    [listener] = [x for x in sink._server.listeners if x.kind == "Metrics"]
    return listener.port


def test_metrics_need_an_http_listener_to_serve_on() -> None:
    with pytest.raises(ValueError, match="--metrics serves /metrics on the HTTP listener"):
        MailSink(http=False, metrics=True).start()


def test_the_command_announces_and_serves_its_metrics_listener() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mailsink", "--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0",
         "--store", "memory", "--metrics-listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
        [metrics_line] = [line for line in lines if line.startswith("Metrics listening on ")]
        url = metrics_line.removeprefix("Metrics listening on ")
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/metrics")
        assert value(scrape(url), "mailsink_smtp_sessions_total") == 0
    finally:
        process.terminate()
        process.communicate(timeout=60)
