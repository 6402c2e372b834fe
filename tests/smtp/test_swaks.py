"""The command-line client swaks: STARTTLS + AUTH, implicit TLS, and attachments."""

from __future__ import annotations

import base64
import email
import email.policy
import shutil
import subprocess
from pathlib import Path

import pytest

from mailsink.config import HostPort

from .harness import MakeSink, RunningSmtp

pytestmark = pytest.mark.skipif(
    shutil.which("swaks") is None, reason="needs swaks (apt install swaks)"
)


def swaks(sink: RunningSmtp, *args: str, server: tuple[str, int] | None = None) -> str:
    host, port = server or (sink.host, sink.port)
    done = subprocess.run(
        [
            "swaks",
            "--server",
            f"{host}:{port}",
            "--from",
            "app@example.com",
            "--to",
            "user@example.com",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_starttls_and_auth_with_exact_bytes(make_sink: MakeSink, tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("app:hunter2\n")
    sink = make_sink(smtp_tls_cert="auto", smtp_auth_file=users, smtp_auth_required=True)
    message = b"From: app@example.com\r\nSubject: swaks\r\n\r\n.leading dot\r\nbody\r\n"
    data = tmp_path / "message.eml"
    data.write_bytes(message[:-2])  # swaks sends the data, then CRLF . CRLF
    for mechanism in ("PLAIN", "LOGIN", "CRAM-MD5"):
        transcript = swaks(
            sink,
            "--tls",
            "--auth",
            mechanism,
            "--auth-user",
            "app",
            "--auth-password",
            "hunter2",
            "--data",
            f"@{data}",
        )
        assert "235 2.7.0" in transcript
    messages = sink.wait_for_messages(3)
    assert sink.raws() == [message] * 3
    assert all(m.envelope.auth_user == "app" and m.envelope.tls for m in messages)


def test_wrong_password_is_refused(make_sink: MakeSink, tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("app:hunter2\n")
    sink = make_sink(smtp_tls_cert="auto", smtp_auth_file=users)
    done = subprocess.run(
        [
            "swaks",
            "--server",
            f"{sink.host}:{sink.port}",
            "--to",
            "u@example.com",
            "--tls",
            "--auth",
            "LOGIN",
            "--auth-user",
            "app",
            "--auth-password",
            "wrong",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "535 5.7.8" in done.stdout
    assert sink.messages() == []


def test_implicit_tls(make_sink: MakeSink) -> None:
    sink = make_sink(smtps=HostPort("127.0.0.1", 0))
    transcript = swaks(
        sink,
        "--tlsc",
        "--auth",
        "PLAIN",
        "--auth-user",
        "u",
        "--auth-password",
        "p",
        server=sink.address("SMTPS"),
    )
    assert "250-AUTH PLAIN LOGIN CRAM-MD5" in transcript
    [message] = sink.wait_for_messages(1)
    assert message.envelope.tls
    assert message.envelope.auth_user == "u"


def test_attachments(sink: RunningSmtp, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 40
    attachment = tmp_path / "report.bin"
    attachment.write_bytes(payload)
    swaks(
        sink,
        "--header",
        "Subject: with attachment",
        "--body",
        "see attached",
        "--attach",
        f"@{attachment}",
    )
    sink.wait_for_messages(1)
    [raw] = sink.raws()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    [part] = [p for p in parsed.iter_attachments()]
    assert part.get_filename() == "report.bin"
    assert part.get_payload(decode=True) == payload
    assert base64.b64encode(payload[:48]) in raw
