"""Fixtures for the HTTP API tests: a real sink (SMTP + HTTP) on each store, an HTTP client and
a sender that goes through real SMTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from mailsink import MailSink
from tests.builders import compose, send_over_smtp

SendMail = Callable[..., str]


def start_sink(store: str, tmp_path: Path, **options: Any) -> MailSink:
    if store == "sqlite":
        options.setdefault("database", tmp_path / "mail.db")
    return MailSink(store=store, http=True, **options).start()


@pytest.fixture(params=["memory", "sqlite"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sink(store_kind: str, tmp_path: Path) -> Iterator[MailSink]:
    running = start_sink(store_kind, tmp_path)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def make_sink(store_kind: str, tmp_path: Path) -> Iterator[Callable[..., MailSink]]:
    """Start a sink with other options: `make_sink(webroot="/mail/")`."""
    started: list[MailSink] = []

    def make(**options: Any) -> MailSink:
        running = start_sink(store_kind, tmp_path / f"sink{len(started)}", **options)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def client(sink: MailSink) -> Iterator[httpx.Client]:
    assert sink.url is not None
    with httpx.Client(base_url=sink.url, timeout=30) as http:
        yield http


def smtp_send(
    sink: MailSink,
    message: EmailMessage | bytes,
    *,
    mail_from: str = "sender@example.com",
    rcpt_to: tuple[str, ...] = ("rcpt@example.com",),
) -> str:
    """Send over real SMTP; returns the stored message's ID (known once the 250 is in)."""
    send_over_smtp(sink, message, mail_from=mail_from, to=rcpt_to)
    return sink.messages[-1].id


@pytest.fixture
def send_message(sink: MailSink) -> Callable[..., str]:
    """`send_message(email_message_or_bytes, mail_from=…, rcpt_to=(…))` → the stored ID."""

    def send(message: EmailMessage | bytes, **kwargs: Any) -> str:
        return smtp_send(sink, message, **kwargs)

    return send


@pytest.fixture
def send_mail(sink: MailSink) -> SendMail:
    """`send_mail("Subject", to=…, html=…)` → the new message's ID."""

    def send(subject: str = "Hello", **kwargs: Any) -> str:
        rcpt_to = kwargs.pop("rcpt_to", ("rcpt@example.com",))
        return smtp_send(sink, compose(subject, **kwargs), rcpt_to=rcpt_to)

    return send
