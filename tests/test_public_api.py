"""The public surface is deliberate: `__all__` is pinned, and importing mailsink is cheap."""

from __future__ import annotations

import subprocess
import sys

import mailsink


def test_exported_members_are_pinned() -> None:
    assert sorted(mailsink.__all__) == [
        "CapturedMessage",
        "Envelope",
        "MailSink",
        "MailTimeout",
        "MailView",
        "Recipient",
        "__version__",
    ]
    for name in mailsink.__all__:
        assert getattr(mailsink, name) is not None


def test_import_does_not_load_the_server() -> None:
    code = "import sys, mailsink; print('aiosmtpd' in sys.modules, 'starlette' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]
