"""Remote mode: the fixtures against a real `mailsink` process, over its HTTP API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunningCli, run_cli
from tests.plugin.conftest import run_inner

REMOTE_TESTS = """
import threading

import pytest


@pytest.mark.parametrize("n", range(6))
def test_sees_only_mail_of_its_own_addresses(mailsink, mailsink_address, send, n):
    alice, hidden = mailsink_address("alice"), mailsink_address("hidden")
    assert len(mailsink) == 0
    send(mailsink, to="stranger@example.com", subject=f"not for {n}")
    send(mailsink, to=alice, subject=f"for {n}", bcc=[hidden])
    got = mailsink.wait_for_one(to=alice)
    assert got.subject == f"for {n}"
    assert got.envelope.rcpt_tos == [alice, hidden]
    assert got.bcc == [hidden]
    assert mailsink.filter(to=hidden) == [got]
    assert [m.subject for m in mailsink] == [f"for {n}"]
    assert b"Subject: for " in got.raw


def test_waits_for_mail_sent_later(mailsink, mailsink_address, send):
    waiting = threading.Event()

    def job():
        waiting.wait(30)
        send(mailsink, to=mailsink_address("late"), subject="Later")

    worker = threading.Thread(target=job)
    worker.start()
    waiting.set()
    try:
        assert mailsink.wait_for_one(subject="Later", timeout=30).subject == "Later"
    finally:
        worker.join()
"""

SERIAL_REMOTE_TESTS = """
def test_without_addresses_sees_only_what_arrives_after_it_starts(mailsink, mailsink_server, send):
    assert len(mailsink_server) > 0  # earlier runs left mail on the shared sink
    assert len(mailsink) == 0
    send(mailsink, to="x@example.com", subject="After start")
    assert [m.subject for m in mailsink.wait_for(1)] == ["After start"]


def test_timeout_lists_what_arrived(mailsink, mailsink_address, send):
    send(mailsink, to=mailsink_address("bob"), subject="Hello")
    mailsink.wait_for_one(subject="Goodbye", timeout=0.5)
"""


@pytest.fixture(scope="module")
def remote() -> Iterator[RunningCli]:
    with run_cli("--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--store", "memory") as cli:
        yield cli


def remote_args(remote: RunningCli) -> tuple[str, ...]:
    host, port = remote.smtp
    return (f"--mailsink-url={remote.url}", f"--mailsink-host={host}", f"--mailsink-port={port}")


def test_parallel_tests_on_one_remote_sink_see_only_their_own_mail(
    inner: pytest.Pytester, remote: RunningCli
) -> None:
    inner.makepyfile(test_remote=REMOTE_TESTS)
    run_inner(inner, "-n", "2", *remote_args(remote)).assert_outcomes(passed=7)


def test_time_isolation_and_timeout_text_on_a_remote_sink(
    inner: pytest.Pytester, remote: RunningCli
) -> None:
    inner.makepyfile(test_remote=REMOTE_TESTS, test_serial=SERIAL_REMOTE_TESTS)
    result = run_inner(inner, *remote_args(remote), "test_remote.py", "test_serial.py")
    result.assert_outcomes(passed=8, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*MailTimeout: expected 1 message(s) matching subject='Goodbye' within 0.5 s, "
            "got 0; 1 arrived:",
            "*  1. *:*:* from app@example.com to bob@test-timeout-lists-what-arrived-*: 'Hello'",
            "*- Captured mail call -*",
            "  1. *:*:* from app@example.com to bob@test-timeout-lists-what-arrived-*: 'Hello'",
        ]
    )


def test_an_unreachable_url_is_named_in_the_error(inner: pytest.Pytester) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    inner.makepyfile("def test_needs_sink(mailsink):\n    pass\n")
    result = run_inner(inner, f"--mailsink-url=http://127.0.0.1:{port}/")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*cannot reach mailsink at http://127.0.0.1:{port}/*"])


def test_credentials_in_the_url_pass_the_sinks_basic_auth(
    inner: pytest.Pytester, tmp_path: Path
) -> None:
    users = tmp_path / "ui-users"
    users.write_text("tester:p@ss word\n")
    args = ("--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--ui-auth-file", str(users))
    inner.makepyfile(
        """
        def test_through_basic_auth(mailsink, mailsink_address, send):
            send(mailsink, to=mailsink_address("alice"), subject="Behind auth")
            assert mailsink.wait_for_one().subject == "Behind auth"
        """
    )
    with run_cli(*args) as protected:
        port = protected.smtp[1]
        locked = run_inner(inner, f"--mailsink-url={protected.url}", f"--mailsink-port={port}")
        locked.assert_outcomes(errors=1)
        locked.stdout.fnmatch_lines(["*mailsink at http://127.0.0.1:*/ wants credentials*"])

        with_credentials = protected.url.replace("http://", "http://tester:p%40ss%20word@")
        unlocked = run_inner(inner, f"--mailsink-url={with_credentials}", f"--mailsink-port={port}")
        unlocked.assert_outcomes(passed=1)
