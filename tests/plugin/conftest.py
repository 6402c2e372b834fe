"""Running the plugin for real: inner pytest runs in a subprocess (`pytester`), with an inner
conftest whose `send` fixture sends mail over a real SMTP connection.

pytester itself is enabled in tests/conftest.py (pytest allows `pytest_plugins` only there).
"""

from __future__ import annotations

import pytest

INNER_CONFTEST = '''
import smtplib
from email.message import EmailMessage

import pytest


@pytest.fixture
def send():
    """send(sink, to=..., subject=..., body=..., bcc=[...]) over a real SMTP connection."""

    def send(sink, *, to, subject="Hello", body="hello", mail_from="app@example.com", bcc=()):
        message = EmailMessage()
        message["From"] = mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
            client.send_message(message, to_addrs=[to, *bcc])
        return message

    return send
'''

# Strict like the project's own configuration: unknown markers or ini keys and any warning fail.
# pytest-benchmark, when installed, warns that xdist disables it: not the plugin's business.
STRICT = (
    *("-p", "no:cacheprovider", "-p", "no:benchmark"),
    *("-W", "error", "--strict-markers", "--strict-config"),
)
INNER_RUN_TIMEOUT = 300


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester directory with the inner conftest."""
    pytester.makeconftest(INNER_CONFTEST)
    return pytester


def run_inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest on the inner directory in a subprocess, as a user's run would go."""
    return pytester.runpytest_subprocess(*STRICT, *args, timeout=INNER_RUN_TIMEOUT)
