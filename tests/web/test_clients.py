"""Mailpit's PyPI client `mailpit-api-client` 1.0.0 works unchanged, form bodies included."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from mailpit.client.api import API

from mailsink import MailSink


def with_attachment(subject: str) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = "Sender <sender@example.com>"
    message["To"] = "rcpt@example.com"
    message["Delivered-To"] = "rcpt@example.com"  # the client's Headers model requires it
    message["Subject"] = subject
    message["Date"] = "Tue, 02 Jan 2024 03:04:05 +0000"
    message["Message-ID"] = f"<{subject}@example.com>"
    message.set_content("body text\n")
    message.add_attachment(b"attached text", "application", "octet-stream", filename="a.txt")
    return message


@pytest.fixture
def api(sink: MailSink) -> API:
    assert sink.url is not None
    return API(sink.url.rstrip("/"), timeout=30)


def test_list_get_headers_part(api: API, send_message: Callable[..., str]) -> None:
    first = send_message(with_attachment("first"))
    second = send_message(with_attachment("second"))
    listed = api.get_messages()
    assert listed.total == 2
    assert listed.count == 2
    assert [m.id for m in listed.messages] == [second, first]
    message = api.get_message(first)
    assert message.subject == "first"
    assert message.read is True
    assert message.from_.address == "sender@example.com"
    [attachment] = message.attachments
    assert attachment.file_name == "a.txt"
    assert api.get_message_attachment(first, attachment.part_id) == "attached text"
    headers = api.get_message_headers(first)
    assert headers.from_ == ["Sender <sender@example.com>"]
    assert headers.message_id == ["<first@example.com>"]


def test_mark_read_and_delete_with_form_bodies(api: API, send_message: Callable[..., str]) -> None:
    first = send_message(with_attachment("first"))
    second = send_message(with_attachment("second"))
    api.put_messages([first], "Read", True)
    assert {m.id: m.read for m in api.get_messages().messages} == {first: True, second: False}
    api.put_messages([first, second], "Read", False)
    assert api.get_messages().unread == 2
    api.delete_messages([first])
    assert [m.id for m in api.get_messages().messages] == [second]
    api.delete_messages([])
    assert api.get_messages().total == 0
