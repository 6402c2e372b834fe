"""A sink with IMAP (plain with STARTTLS, and implicit TLS) for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailsink import MailSink


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(imap=True, imaps=True, pop3=True, smtp_tls_cert="auto", http=True) as running:
        yield running
