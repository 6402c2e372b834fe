"""Fixtures for the checks: a sink with check options, real SMTP sending, DNS override files and
DKIM keys made for the test."""

from __future__ import annotations

import base64
import smtplib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailsink import CapturedMessage, MailSink

StartSink = Callable[..., MailSink]


@pytest.fixture
def start_sink() -> Iterator[StartSink]:
    """`start_sink(enable_link_check=True, ...)`: a sink with HTTP, stopped after the test."""
    started: list[MailSink] = []

    def start(**options: Any) -> MailSink:
        sink = MailSink(store="memory", http=True, **options).start()
        started.append(sink)
        return sink

    yield start
    for sink in started:
        sink.stop()


def deliver(
    sink: MailSink,
    message: EmailMessage | bytes,
    *,
    mail_from: str = "app@app.test",
    to: str = "alice@example.test",
    helo: str = "mta.app.test",
) -> CapturedMessage:
    """Send over real SMTP from 127.0.0.1 and return the message as the sink stored it."""
    raw = message if isinstance(message, bytes) else message.as_bytes(policy=SMTP)
    with smtplib.SMTP(sink.host, sink.port, local_hostname=helo, timeout=30) as client:
        client.sendmail(mail_from, [to], raw)
    return sink.wait_for_one(to=to, timeout=30)


def compose(
    *,
    subject: str = "Welcome",
    sender: str = "App <app@app.test>",
    text: str = "Hello\n",
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = "alice@example.test"
    message["Subject"] = subject
    message["Date"] = "Tue, 02 Jan 2024 03:04:05 +0000"
    message["Message-ID"] = "<welcome-1@app.test>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


@dataclass(frozen=True)
class DkimKey:
    """An RSA key made for one test: `private_pem` signs, `record` is the DNS TXT value."""

    private_pem: bytes
    record: str


@pytest.fixture(scope="session")
def dkim_key() -> DkimKey:
    return make_dkim_key()


def make_dkim_key() -> DkimKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public_der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return DkimKey(private_pem, f"v=DKIM1; k=rsa; p={base64.b64encode(public_der).decode()}")


@pytest.fixture
def dns_file(tmp_path: Path) -> Callable[[str], Path]:
    """`dns_file('app.test TXT "v=spf1 -all"')`: an override file with these lines."""

    def write(text: str) -> Path:
        path = tmp_path / "dns-override.txt"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def assert_matches_openapi(body: Any, path: str) -> None:
    """`body` is what the OpenAPI document promises for a 200 from `GET path`."""
    from jsonschema import Draft202012Validator

    from mailsink.web.openapi import openapi_document

    document = openapi_document()
    [(_, media)] = document["paths"][path]["get"]["responses"]["200"]["content"].items()
    schema = {**media["schema"], "components": document["components"]}
    Draft202012Validator(schema).validate(body)
