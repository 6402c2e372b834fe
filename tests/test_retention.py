"""Retention (`--max`, `--max-age`): the server prunes the oldest mail and announces it."""

from __future__ import annotations

import threading

import pytest

from mailsink import MailSink, server
from mailsink.events import Change, ChangeKind
from tests.builders import send_over_smtp


def test_max_keeps_the_newest_messages() -> None:
    pruned = threading.Event()
    with MailSink(max_messages=3) as sink:

        def on_change(change: Change) -> None:
            kept = [m.summary.subject for m in sink.context.store.search(limit=None)]
            if change.kind is ChangeKind.PRUNE and kept == ["4", "3", "2"]:
                pruned.set()

        sink.context.hub.subscribe(on_change)
        for n in range(5):
            send_over_smtp(sink, f"Subject: {n}\r\n\r\nbody\r\n".encode())
        assert pruned.wait(30), "the oldest two were not pruned within 30 s"
        assert [m.subject for m in sink.messages] == ["2", "3", "4"]
        assert sink.context.stats.messages_deleted == 2


def test_max_age_prunes_what_is_older() -> None:
    with MailSink(max_age_seconds=0.001) as sink:
        gone = threading.Event()
        sink.context.hub.subscribe(lambda change: change.kind is ChangeKind.PRUNE and gone.set())
        send_over_smtp(sink, b"Subject: old\r\n\r\nbody\r\n")
        assert gone.wait(30), "no PRUNE change within 30 s"
        assert sink.messages == []


def test_max_age_also_prunes_an_idle_sink(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "RETENTION_INTERVAL_SECONDS", 0.05)
    with MailSink(max_age_seconds=1.0) as sink:
        gone = threading.Event()
        sink.context.hub.subscribe(lambda change: change.kind is ChangeKind.PRUNE and gone.set())
        send_over_smtp(sink, b"Subject: ages out\r\n\r\nbody\r\n")
        assert len(sink.messages) == 1, "kept while younger than --max-age"
        assert gone.wait(30), "not pruned within 30 s although no more mail arrived"
        assert sink.messages == []
