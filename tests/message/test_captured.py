"""CapturedMessage: the message object of the Python API (docs/interface.md, Python API)."""

from __future__ import annotations

import re

import pytest

from mailsink.message.captured import CapturedMessage
from mailsink.message.summary import summarize
from mailsink.store.base import StoredMessage
from tests.builders import make_envelope, newsletter, text_message, to_bytes


def captured(raw: bytes, rcpts: tuple[str, ...] = ("bob@example.test",)) -> CapturedMessage:
    return CapturedMessage("4oRBnPtCXgAqZniRhzLNmS", 7, raw, make_envelope(rcpts=rcpts))


def verification_mail() -> bytes:
    message = text_message(
        "Your code is 834512.\nConfirm: https://app.test/verify?token=abc&next=%2F.\n",
        Subject="Verify your address",
        Cc="carol@example.test",
    )
    message.add_alternative(
        "<p>Your code is <b>834512</b>.</p>"
        '<p><a href="https://app.test/verify?token=abc&amp;next=%2F">Confirm</a> or '
        '<a href="#top">top</a> <a href="javascript:void(0)">x</a> '
        '<a href="https://app.test/help">help</a></p>',
        subtype="html",
    )
    return to_bytes(message)


def test_fields() -> None:
    message = captured(verification_mail(), ("bob@example.test", "boss@example.test"))
    assert (message.id, message.seq) == ("4oRBnPtCXgAqZniRhzLNmS", 7)
    assert message.subject == "Verify your address"
    assert message.from_ == "app@example.test"
    assert message.to == ["bob@example.test"]
    assert message.cc == ["carol@example.test"]
    assert message.bcc == ["boss@example.test"]
    assert message.reply_to == []
    assert message.envelope.rcpt_tos == ["bob@example.test", "boss@example.test"]
    assert message.headers["subject"] == "Verify your address"
    assert message.headers.get_all("To") == ["Bob <bob@example.test>"]
    assert message.text == (
        "Your code is 834512.\nConfirm: https://app.test/verify?token=abc&next=%2F.\n"
    )
    assert message.html is not None
    assert message.html.startswith("<p>Your code")
    assert message.email["Subject"] == "Verify your address"
    assert [part.content_type for part in message.parts] == ["text/plain", "text/html"]
    assert message.warnings == ["missing Date header", "missing Message-ID header"]


def test_bcc_is_envelope_recipients_only() -> None:
    message = text_message()
    message["Bcc"] = "listed@example.test"
    assert captured(to_bytes(message), ("bob@example.test",)).bcc == []


def test_from_stored_reuses_the_summary() -> None:
    raw = verification_mail()
    envelope = make_envelope()
    summary = summarize(raw, envelope)
    stored = StoredMessage("id1", 3, len(raw), envelope, summary)
    message = CapturedMessage.from_stored(stored, raw)
    assert (message.id, message.seq, message.raw) == ("id1", 3, raw)
    assert message.summary is summary


def test_attachments_and_inlines() -> None:
    message = captured(to_bytes(newsletter()))
    [pdf] = message.attachments
    assert (pdf.filename, pdf.content_type, pdf.content_id) == (
        "invoice.pdf",
        "application/pdf",
        "",
    )
    assert pdf.data == b"%PDF-1.4 fake"
    [logo] = message.inlines
    assert (logo.content_type, logo.content_id) == ("image/png", "logo@x")
    assert logo.data.startswith(b"\x89PNG")
    assert message.text == "Plain version\n"


def test_links_from_text_then_html_decoded_and_unique() -> None:
    assert captured(verification_mail()).links() == [
        "https://app.test/verify?token=abc&next=%2F",
        "https://app.test/help",
    ]


def test_links_of_an_html_only_message() -> None:
    raw = (
        b"Content-Type: text/html\r\n\r\n"
        b"<a href='https://a.test/1'>one</a> see https://b.test/2, "
        b"<a href=https://a.test/1>again</a> <a href='mailto:x@a.test'>mail</a>"
    )
    assert captured(raw).links() == ["https://a.test/1", "https://b.test/2", "mailto:x@a.test"]


def test_code() -> None:
    message = captured(verification_mail())
    assert message.code() == "834512"
    assert message.code(r"token=(\w+)") == "abc"
    assert message.code(re.compile(r"CODE IS (\d+)", re.I)) == "834512"


def test_code_falls_back_to_html_text() -> None:
    message = text_message("no digits here")
    message.add_alternative("<p>PIN <b>4411</b></p>", subtype="html")
    assert captured(to_bytes(message)).code() == "4411"


def test_code_without_a_match_fails_the_test_clearly() -> None:
    with pytest.raises(
        AssertionError, match=r"no code matching `.*` in .*subject 'Hi'.*text begins"
    ):
        captured(to_bytes(text_message("nothing to see"))).code()


def test_repr() -> None:
    assert repr(captured(verification_mail())) == (
        "<CapturedMessage 4oRBnPtCXgAqZniRhzLNmS from='app@example.test' "
        "to=['bob@example.test'] subject='Verify your address'>"
    )


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\xff garbage", b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"],
    ids=["empty", "garbage", "broken-multipart"],
)
def test_malformed_messages_still_work(raw: bytes) -> None:
    message = captured(raw)
    assert message.subject == ""
    assert message.from_ == ""
    assert message.to == []
    assert message.bcc == ["bob@example.test"]
    assert message.attachments == [] or message.attachments[0].data is not None
    assert message.links() == []
    assert message.html is None
    assert "4oRBnPtCXgAqZniRhzLNmS" in repr(message)
    with pytest.raises(AssertionError):
        message.code()
