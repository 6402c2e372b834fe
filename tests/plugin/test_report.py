"""What a failing test shows: the MailTimeout text, the "Captured mail" section, the dump."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from tests.plugin.conftest import run_inner

FAILING_TESTS = """
import pytest


def test_waits_for_what_never_comes(mailsink, send):
    send(mailsink, to="bob@example.com", subject="Hello", mail_from="app@example.com")
    send(mailsink, to="carol@example.com", subject="../../escape")
    mailsink.wait_for_one(subject="Goodbye", to="bob@example.com", timeout=0.5)


@pytest.mark.mailsink(hostname="own.test")
def test_fails_on_its_own_sink(mailsink, send):
    send(mailsink, to="dan@example.com", subject="Own sink")
    mailsink.wait_for_one(subject="Own sink")
    assert False, "the test itself fails"


def test_fails_without_mail(mailsink):
    assert False, "no mail here"


def test_passes(mailsink, send):
    send(mailsink, to="erin@example.com", subject="Fine")
    mailsink.wait_for_one()
"""


def test_failures_explain_what_arrived_and_show_and_dump_the_mail(
    inner: pytest.Pytester,
) -> None:
    inner.makepyfile(test_inner=FAILING_TESTS)
    result = run_inner(inner, "-rA", "--mailsink-dump", "dumped")
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*MailTimeout: expected 1 message(s) matching to='bob@example.com', "
            "subject='Goodbye' within 0.5 s, got 0; 2 arrived:",
            "*  1. *:*:* from app@example.com to bob@example.com: 'Hello'",
            "*       - subject 'Goodbye' ≠ 'Hello'",
            "*  2. *:*:* from app@example.com to carol@example.com: '../../escape'",
            "*       - to 'bob@example.com' not among recipients [[]'carol@example.com'[]]",
            "*       - subject 'Goodbye' ≠ '../../escape'",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_waits_for_what_never_comes _*",
            "*- Captured mail call -*",
            "  1. *:*:* from app@example.com to bob@example.com: 'Hello'",
            "  2. *:*:* from app@example.com to carol@example.com: '../../escape'",
            "*_ test_fails_on_its_own_sink _*",
            "*- Captured mail call -*",
            "  1. *:*:* from app@example.com to dan@example.com: 'Own sink'",
            "*_ test_fails_without_mail _*",
            "*- Captured mail call -*",
            "  (no mail arrived)",
        ]
    )
    assert result.stdout.str().count("Captured mail") == 3  # none for the passing test
    # --mailsink-dump: the failed tests' mail as .eml, named by us, never by the message
    dumped = sorted(p.relative_to(inner.path) for p in inner.path.rglob("*.eml"))
    names = [p.name for p in dumped]
    assert all(p.parent == Path("dumped") for p in dumped), dumped
    assert len(names) == 3, names
    assert names[0].startswith("test_inner.py_test_fails_on_its_own_sink-")
    assert names[1].startswith("test_inner.py_test_waits_for_what_never_comes-")
    assert names[1].endswith("-1.eml")
    assert names[2].endswith("-2.eml")
    subjects = [
        email.message_from_bytes((inner.path / p).read_bytes(), policy=email.policy.default)[
            "Subject"
        ]
        for p in dumped
    ]
    assert subjects == ["Own sink", "Hello", "../../escape"]
    result.stdout.fnmatch_lines(["  saved as */dumped/test_inner.py_test_waits_for_*-2.eml"])
