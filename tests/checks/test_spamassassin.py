"""The spam score from a real SpamAssassin `spamd` (Debian's `spamd` package, started on a free
port for the session), and the answers when none is configured or it is down."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from mailsink.checks.spamassassin import check_spam
from mailsink.config import HostPort
from tests.conftest import free_port

from .conftest import StartSink, assert_matches_openapi, compose, deliver

SPAMMY = compose(
    subject="FREE VIAGRA!!! Act now",
    text="Buy cheap viagra and cialis now!!! 100% FREE money, click here\n",
    html="<p>Buy cheap <b>VIAGRA</b> now!!! <a href='http://spam.example/'>CLICK HERE</a></p>",
)


@pytest.mark.slow
def test_a_spammy_message_gets_a_score_and_the_rules_that_fired(
    start_sink: StartSink, spamd: HostPort
) -> None:
    sink = start_sink(spamassassin=str(spamd))
    message = deliver(sink, SPAMMY)
    result = message.checks.spam
    assert result.error == ""
    assert result.score > 0
    assert result.threshold == 5.0
    names = {rule.name for rule in result.rules}
    assert names, "no rule fired"
    assert all(rule.description for rule in result.rules)

    assert sink.url is not None
    body = httpx.get(f"{sink.url}api/v1/message/{message.id}/sa-check", timeout=120).json()
    assert_matches_openapi(body, "/api/v1/message/{id}/sa-check")
    assert body["Score"] == result.score
    assert {rule["Name"] for rule in body["Rules"]} == names
    webui = httpx.get(f"{sink.url}api/v1/webui", timeout=30).json()
    assert webui["SpamAssassin"] is True


def test_without_spamassassin_the_endpoint_says_so(start_sink: StartSink) -> None:
    sink = start_sink()
    message = deliver(sink, compose())
    response = httpx.get(f"{sink.url}api/v1/message/{message.id}/sa-check", timeout=30)
    assert response.status_code == 404
    assert "--spamassassin" in response.text


def test_a_spamd_that_is_down_is_an_error_in_the_answer() -> None:
    port = free_port()  # nothing listens here
    result = check_spam(b"Subject: x\r\n\r\nhi\r\n", HostPort("127.0.0.1", port), timeout=5)
    assert result.error.startswith(f"spamd at 127.0.0.1:{port}: ")
    assert (result.score, result.rules) == (0.0, [])


def test_a_server_that_is_not_spamd_is_an_error_in_the_answer() -> None:
    with socket.create_server(("127.0.0.1", 0)) as fake:
        port = fake.getsockname()[1]

        def answer() -> None:
            connection, _ = fake.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer)
        thread.start()
        result = check_spam(b"Subject: x\r\n\r\nhi\r\n", HostPort("127.0.0.1", port), timeout=5)
        thread.join(timeout=10)
    assert "unexpected reply" in result.error
