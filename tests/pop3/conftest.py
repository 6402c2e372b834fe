"""A sink with POP3 (plain with STLS, and implicit TLS) for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailsink import MailSink


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(pop3=True, pop3s=True, smtp_tls_cert="auto", http=True) as running:
        yield running
