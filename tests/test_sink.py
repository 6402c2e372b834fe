"""The Python API (docs/interface.md): MailSink, views, filters, waits and their failure texts."""

from __future__ import annotations

import asyncio
import re
import smtplib
import threading
from pathlib import Path

import pytest

from mailsink import MailSink, MailTimeout
from tests.builders import send_over_smtp


def message(subject: str, to: str = "rcpt@example.com", body: str = "hello") -> bytes:
    return (
        f"From: Sender <sender@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@example.com>\r\n"
        f"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\n{body}\r\n"
    ).encode()


def test_binds_free_ports_before_enter_returns() -> None:
    with MailSink() as first, MailSink() as second:
        assert first.port != second.port
        assert first.port > 0
        assert first.host == "127.0.0.1"
        assert first.url is None
        assert first.smtps_port is None
        with smtplib.SMTP(first.host, first.port, timeout=10) as client:
            code, _ = client.noop()
            assert code == 250


def test_wait_for_returns_message_with_envelope_and_exact_bytes(sink: MailSink) -> None:
    raw = message("Welcome")
    send_over_smtp(sink, raw, to=["rcpt@example.com", "hidden@example.com"])
    got = sink.wait_for_one(subject="Welcome")
    assert got.raw == raw
    assert got.envelope.mail_from == "sender@example.com"
    assert got.envelope.rcpt_tos == ["rcpt@example.com", "hidden@example.com"]
    assert got.bcc == ["hidden@example.com"]
    assert got.subject == "Welcome"


def test_wait_blocks_until_mail_sent_from_another_thread(sink: MailSink) -> None:
    started = threading.Event()

    def send_later() -> None:
        started.wait(10)
        send_over_smtp(sink, message("Later"))

    sender = threading.Thread(target=send_later)
    sender.start()
    started.set()
    try:
        assert sink.wait_for_one(subject="Later", timeout=20).subject == "Later"
    finally:
        sender.join()


def test_filters_strings_exact_regexes_search_addresses_casefold(sink: MailSink) -> None:
    send_over_smtp(sink, message("Invoice 42", to="Bob@Example.com"), to=["Bob@Example.com"])
    send_over_smtp(sink, message("Receipt 7"), to=["carol@example.com"])
    sink.wait_for(2)
    assert [m.subject for m in sink.filter(to="bob@example.com")] == ["Invoice 42"]
    assert [m.subject for m in sink.filter(subject=re.compile(r"\d$"))] == [
        "Invoice 42",
        "Receipt 7",
    ]
    assert sink.filter(subject="Invoice") == []
    assert [m.subject for m in sink.filter(header=("Message-ID", re.compile("Receipt")))] == [
        "Receipt 7"
    ]
    assert [m.subject for m in sink.filter(where=lambda m: "7" in m.subject)] == ["Receipt 7"]
    assert len(sink.filter(mail_from="SENDER@example.com")) == 2


def test_timeout_names_filters_and_lists_what_arrived(sink: MailSink) -> None:
    send_over_smtp(sink, message("Something else"))
    sink.wait_for(1)
    with pytest.raises(MailTimeout) as caught:
        sink.wait_for_one(subject="Expected", timeout=0.2)
    text = str(caught.value)
    assert "subject='Expected'" in text
    assert "Something else" in text
    assert "1 arrived" in text
    assert isinstance(caught.value, AssertionError)


def test_view_starts_empty_and_clear_moves_its_floor(sink: MailSink) -> None:
    send_over_smtp(sink, message("Before"))
    sink.wait_for(1)
    view = sink.view()
    assert len(view) == 0
    send_over_smtp(sink, message("After"))
    assert view.wait_for_one().subject == "After"
    assert [m.subject for m in view] == ["After"]
    assert view.last.subject == "After"
    view.clear()
    assert list(view) == []
    assert len(sink) == 2


def test_sink_clear_deletes_everything(sink: MailSink) -> None:
    send_over_smtp(sink, message("One"))
    sink.wait_for(1)
    sink.clear()
    assert sink.messages == []


def test_assert_sent_counts_and_assert_no_mail(sink: MailSink) -> None:
    sink.assert_no_mail(within=0.05)
    send_over_smtp(sink, message("Once"))
    assert len(sink.assert_sent(count=1, subject="Once")) == 1
    send_over_smtp(sink, message("Once"))
    sink.wait_for(2)
    with pytest.raises(AssertionError, match="exactly 1"):
        sink.assert_sent(count=1, subject="Once")
    with pytest.raises(AssertionError, match="expected no mail"):
        sink.assert_no_mail(subject="Once")


def test_wait_for_async_keeps_the_loop_running(sink: MailSink) -> None:
    async def scenario() -> str:
        waiter = asyncio.create_task(sink.wait_for_async(subject="Async", timeout=20))
        await asyncio.to_thread(send_over_smtp, sink, message("Async"))
        return (await waiter)[0].subject

    assert asyncio.run(scenario()) == "Async"


def test_unknown_option_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="no_such_option"):
        MailSink(no_such_option=1)


def test_a_database_keeps_mail_across_sinks(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    with MailSink(database=database) as first:
        send_over_smtp(first, message("kept"))
        first.wait_for(1)
    with MailSink(database=database) as second:
        assert [m.subject for m in second.messages] == ["kept"]


def test_a_memory_store_with_a_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="store='memory' keeps nothing on disk"):
        MailSink(store="memory", database=tmp_path / "mail.db")
