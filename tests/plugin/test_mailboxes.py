"""Mailboxes in the plugin: `mailsink_mailbox` per test, `--mailsink-mailbox` per session or
xdist worker, against one shared remote sink under `-n 4`, and on the local sink."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunningCli, run_cli
from tests.plugin.conftest import run_inner
from tests.plugin.test_remote import remote_args

SEND_AS = '''
import smtplib
from email.message import EmailMessage


def send_as(sink, user, subject, *, to="same@example.com", header=None):
    """Send over SMTP, logged in as `user` (None: no AUTH), maybe with a mailbox header."""
    message = EmailMessage()
    message["From"] = "app@example.com"
    message["To"] = to
    message["Subject"] = subject
    if header is not None:
        message["X-Mailsink-Mailbox"] = header
    message.set_content("hello")
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        if user is not None:
            client.login(user, "any password")
        client.send_message(message)
'''

PER_TEST = (
    SEND_AS
    + """
import pytest


@pytest.mark.parametrize("n", range(12))
def test_each_test_sees_only_its_own_mailbox(mailsink, mailsink_mailbox, n):
    assert mailsink.mailbox_name == mailsink_mailbox
    assert mailsink.smtp_user == f"mailbox:{mailsink_mailbox}"
    assert len(mailsink) == 0
    send_as(mailsink, "mailbox:someone-else", f"noise {n}")
    send_as(mailsink, None, f"no mailbox {n}")
    send_as(mailsink, mailsink.smtp_user, f"by auth {n}")
    send_as(mailsink, None, f"by header {n}", header=mailsink_mailbox)
    got = mailsink.wait_for(2, timeout=30)
    assert [m.subject for m in got] == [f"by auth {n}", f"by header {n}"]
    assert {m.mailbox for m in got} == {mailsink_mailbox}
    assert [m.subject for m in mailsink] == [f"by auth {n}", f"by header {n}"]
"""
)

PER_WORKER = (
    SEND_AS
    + """
import os

import pytest


@pytest.mark.parametrize("n", range(6))
def test_the_session_mailbox_is_the_workers(mailsink, n):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    assert mailsink.mailbox_name == f"job-{worker}"
    send_as(mailsink, "mailbox:job-elsewhere", f"other job {n}")
    send_as(mailsink, mailsink.smtp_user, f"mine {n}")
    assert [m.subject for m in mailsink.wait_for(1, timeout=30)] == [f"mine {n}"]
    assert [m.subject for m in mailsink] == [f"mine {n}"]
"""
)


@pytest.fixture(scope="module")
def shared() -> Iterator[RunningCli]:
    """One sink that every inner run, and all of its workers, share."""
    with run_cli("--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0") as cli:
        yield cli


@pytest.mark.slow
def test_four_workers_on_one_shared_sink_never_see_each_others_mail(
    inner: pytest.Pytester, shared: RunningCli
) -> None:
    inner.makepyfile(test_per_test=PER_TEST)
    run_inner(inner, "-n", "4", *remote_args(shared)).assert_outcomes(passed=12)


@pytest.mark.slow
def test_each_worker_reads_its_session_mailbox(inner: pytest.Pytester, shared: RunningCli) -> None:
    inner.makepyfile(test_per_worker=PER_WORKER)
    args = (*remote_args(shared), "--mailsink-mailbox=job-{worker}")
    run_inner(inner, "-n", "2", *args).assert_outcomes(passed=6)


def test_a_test_mailbox_also_works_on_the_local_sink(inner: pytest.Pytester) -> None:
    inner.makepyfile(test_per_test=PER_TEST)
    run_inner(inner).assert_outcomes(passed=12)


def test_a_bad_session_mailbox_stops_the_run(inner: pytest.Pytester) -> None:
    inner.makepyfile("def test_nothing():\n    pass\n")
    result = run_inner(inner, "--mailsink-mailbox=a b")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mailsink_mailbox: expected a mailbox name*'a b'*"])
