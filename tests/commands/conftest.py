"""Fixtures for the command tests: a real sink with its HTTP API, and the `mailsink` command
run as a subprocess, as users and their tools (PHP, cron, git) run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mailsink import MailSink

COMMAND_TIMEOUT_SECONDS = 120


def mailsink_command(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`python -m mailsink ARGS` with `stdin`, to its end."""
    return subprocess.run(
        [sys.executable, "-m", "mailsink", *args],
        input=stdin,
        capture_output=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        env={**os.environ, **(env or {})},
        check=False,
    )


def assert_unreachable_postgres_exits_69(command: str, refusing_addr: str, *args: str) -> None:
    """`mailsink COMMAND --database URL ARGS` on a database nothing answers for exits 69 with
    one line naming the URL without its password."""
    url = f"postgresql://mail:s3cret@{refusing_addr}/mail"
    result = mailsink_command(command, "--database", url, *args)
    assert result.returncode == os.EX_UNAVAILABLE
    (line,) = result.stderr.decode().strip().splitlines()
    assert line.startswith(
        f"mailsink {command}: cannot open postgresql://mail@{refusing_addr}/mail"
    )
    assert "s3cret" not in line


def smtp_addr(sink: MailSink) -> str:
    return f"{sink.host}:{sink.port}"


def stored_messages(sink: MailSink) -> list[dict[str, Any]]:
    """Every message as the HTTP API lists it, oldest first, with its `Raw` bytes and full
    message JSON (`Message`) added."""
    assert sink.url is not None
    with httpx.Client(base_url=sink.url, timeout=30) as client:
        listing = client.get("api/v1/messages", params={"limit": 1000}).json()
        found = []
        for summary in reversed(listing["messages"]):
            summary["Raw"] = client.get(f"api/v1/message/{summary['ID']}/raw").content
            summary["Message"] = client.get(f"api/v1/message/{summary['ID']}").json()
            found.append(summary)
        return found


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(store="memory", http=True) as running:
        yield running


@pytest.fixture
def refusing_addr() -> Iterator[str]:
    """HOST:PORT of a socket that refuses connections (bound, never listening) while in use."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"
