"""Graceful stop: idle sessions get 421 at once, transactions in flight finish, then 421."""

from __future__ import annotations

import logging
import socket
import threading

import pytest

from .harness import MakeSink, RawClient, RunningSmtp


def start_transaction(sink: RunningSmtp) -> RawClient:
    client = RawClient(sink.host, sink.port)
    client.reply()
    client.command("EHLO client.example")
    client.command("MAIL FROM:<a@example.com>")
    client.command("RCPT TO:<b@example.com>")
    assert client.command("DATA").startswith("354")
    client.send(b"Subject: in flight\r\n\r\nfirst half\r\n")
    return client


def stop_in_background(sink: RunningSmtp, grace: float) -> threading.Thread:
    stopper = threading.Thread(target=sink.stop, kwargs={"grace": grace})
    stopper.start()
    return stopper


def test_a_transaction_in_flight_finishes_then_gets_421(
    sink: RunningSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    busy = start_transaction(sink)
    idle = RawClient(sink.host, sink.port)
    assert idle.reply().startswith("220")
    stopper = stop_in_background(sink, grace=60)
    # The idle session is told at once, which also shows that the stop has begun.
    assert idle.reply().startswith("421 4.3.2")
    assert idle.closed_by_server()
    busy.send(b"second half\r\n.\r\n")
    assert busy.reply().startswith("250 2.0.0")
    assert busy.reply().startswith("421 4.3.2")
    assert busy.closed_by_server()
    stopper.join(60)
    assert not stopper.is_alive()
    assert sink.raws() == [b"Subject: in flight\r\n\r\nfirst half\r\nsecond half\r\n"]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((sink.host, sink.port), timeout=30).close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    busy.close()
    idle.close()


def test_a_transaction_that_does_not_finish_within_grace_is_cut(make_sink: MakeSink) -> None:
    sink = make_sink()
    busy = start_transaction(sink)
    stopper = stop_in_background(sink, grace=0.5)
    assert busy.reply().startswith("421 4.3.2")
    assert busy.closed_by_server()
    stopper.join(60)
    assert not stopper.is_alive()
    assert sink.messages() == []
    busy.close()
