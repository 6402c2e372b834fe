"""summarize: what listing, search and events need, from the exact bytes."""

from __future__ import annotations

import random
from datetime import timedelta
from email.message import EmailMessage

import pytest

from mailsink.message.address import Address
from mailsink.message.mime import parse_message
from mailsink.message.summary import make_snippet, message_warnings, summarize
from tests.builders import make_envelope, many_parts, nested, newsletter, text_message, to_bytes


def test_fields_of_a_simple_message() -> None:
    message = text_message(
        "Hello Bob,\nyour code is 123456.\n",
        Cc="carol@example.test",
        Reply_To="Support <help@example.test>",
        Date="Tue, 02 Jan 2024 03:04:05 +1300",
        Message_ID="<abc.123@example.test>",
        Subject="=?utf-8?q?Caf=C3=A9?= news",
    )
    summary = summarize(to_bytes(message), make_envelope())
    assert summary.message_id == "abc.123@example.test"
    assert summary.from_ == Address("App", "app@example.test")
    assert summary.to == (Address("Bob", "bob@example.test"),)
    assert summary.cc == (Address("", "carol@example.test"),)
    assert summary.reply_to == (Address("Support", "help@example.test"),)
    assert summary.bcc == ()
    assert summary.subject == "Café news"
    assert summary.date is not None
    assert summary.date.utcoffset() == timedelta(hours=13)
    assert (summary.date.year, summary.date.hour) == (2024, 3)
    assert summary.snippet == "Hello Bob, your code is 123456."
    assert (summary.attachments, summary.inlines) == (0, 0)
    assert summary.warnings == ()


def test_missing_and_unreadable_fields() -> None:
    summary = summarize(b"Date: not a date\r\nFrom: just a name\r\n\r\nbody", make_envelope())
    assert summary.date is None
    assert summary.from_ == Address("just a name", "")
    assert summary.message_id == ""
    assert "malformed address in From: 'just a name'" in summary.warnings
    assert "Date header is not a date: 'not a date'" in summary.warnings
    assert summarize(b"Subject: x\r\n\r\n", make_envelope()).from_ is None


def test_bcc_is_the_bcc_field_plus_envelope_recipients_not_shown() -> None:
    message = text_message(To="Bob <BOB@example.test>", Cc="carol@example.test")
    message["Bcc"] = "dave@example.test"
    envelope = make_envelope(
        rcpts=(
            "bob@example.test",  # in To, other case
            "carol@example.test",
            "dave@example.test",  # already in the Bcc field
            "erin@example.test",
            "Erin@example.test",  # the same mailbox twice
        )
    )
    summary = summarize(to_bytes(message), envelope)
    assert summary.bcc == (Address("", "dave@example.test"), Address("", "erin@example.test"))


def test_tags_from_x_tags_and_plus_addressing() -> None:
    message = text_message(
        From="app+Outbound@example.test",
        To="bob+signup+welcome@example.test",
        Cc="carol+Signup@example.test, plain@example.test",
        X_Tags="Newsletter, , urgent ,newsletter",
    )
    envelope = make_envelope(rcpts=("bob+signup+welcome@example.test", "hidden+secret@x.test"))
    summary = summarize(to_bytes(message), envelope)
    assert summary.tags == ("Newsletter", "urgent", "signup", "welcome", "secret", "Outbound")


def test_snippet_prefers_html_and_cuts_at_200_bytes() -> None:
    message = text_message("text version")
    message.add_alternative(
        "<html><head><style>p{}</style></head><body><p>Hello</p>\n\n<p>  HTML  </p></body></html>",
        subtype="html",
    )
    assert summarize(to_bytes(message), make_envelope()).snippet == "Hello HTML"
    long = summarize(to_bytes(text_message("word " * 100)), make_envelope()).snippet
    assert long == ("word " * 40)[:200] + "..."
    wide = summarize(to_bytes(text_message("é" * 150)), make_envelope()).snippet
    assert wide == "é" * 100 + "..."  # 200 bytes, never half a character
    image_only = text_message("the text")
    image_only.add_alternative('<img src="cid:x">', subtype="html")
    assert summarize(to_bytes(image_only), make_envelope()).snippet == "the text"


def test_attachment_and_inline_counts() -> None:
    summary = summarize(to_bytes(newsletter()), make_envelope())
    assert (summary.attachments, summary.inlines) == (1, 1)
    assert summary.snippet == "HTML version"


def test_search_text_has_what_mailpit_searches() -> None:
    message = newsletter()
    message.replace_header("Subject", "Quarterly (Report); Q1")
    message["Cc"] = '"Carol, CFO" <carol@example.test>'
    message["Reply-To"] = "replies@example.test"
    html = message.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage)
    html.set_content(
        '<p>Read <a href="https://Example.test/Report">the report</a></p><script>secret()</script>',
        subtype="html",
    )
    envelope = make_envelope("bounce@example.test", ("bob@example.test", "hidden@example.test"))
    text = summarize(to_bytes(message), envelope).search_text
    for expected in [
        "app app@example.test",
        "quarterly report q1",
        "carol cfo carol@example.test",
        "hidden@example.test",
        "replies@example.test",
        "bounce@example.test",
        "read https://example.test/report the report",
        "invoice.pdf",
    ]:
        assert expected in text
    assert "secret" not in text
    assert "plain version" not in text  # the HTML body is searched, not the text body
    assert text == text.lower()
    assert "<" not in text
    assert "," not in text


def test_search_text_uses_the_text_body_without_html() -> None:
    text = summarize(to_bytes(text_message("Find ME\tplease")), make_envelope()).search_text
    assert text.endswith("find me please")


def test_standards_warnings_are_filled() -> None:
    raw = b"From: a@example.test\nTo: b@example.test\nSubject: caf\xc3\xa9\n\nbody\n"
    summary = summarize(raw, make_envelope())
    ingest_warnings = [
        "8-bit data without BODY=8BITMIME (or SMTPUTF8) on MAIL FROM",
        "missing Date header",
        "missing Message-ID header",
    ]
    assert list(summary.warnings) == ingest_warnings
    # The line checks read every byte: they are made when the message is shown.
    assert message_warnings(summary, parse_message(raw)) == [
        "bare LF (line ending without CR) 5 times, first on line 1",
        *ingest_warnings,
    ]
    declared = summarize(raw.replace(b"\n", b"\r\n"), make_envelope(BODY="8BITMIME"))
    assert declared.warnings == ("missing Date header", "missing Message-ID header")
    assert declared.subject == "café"


def test_mime_limits_are_warnings() -> None:
    assert any(
        "1,000 MIME parts" in w for w in summarize(many_parts(1500), make_envelope()).warnings
    )
    assert any("nested deeper" in w for w in summarize(nested(150), make_envelope()).warnings)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"garbage without any header",
        b"Subject: header only",
        b"\xff\xfe\x00\x01" * 100,
        b"From: <<<>>>\r\nTo: ,,,;;;:::\r\nDate: \xff\r\nContent-Type: multipart/mixed; boundary=x"
        b"\r\n\r\n--x\r\nContent-Type: text/html; charset=bogus\r\n\r\n<a href='\x00'><<<",
        random.Random(2048).randbytes(2048),  # the same bytes on every xdist worker
    ],
    ids=["empty", "no-headers", "header-only", "binary", "broken-everything", "random"],
)
def test_never_raises_and_keeps_the_envelope(raw: bytes) -> None:
    summary = summarize(raw, make_envelope("x@example.test", ("only@example.test",)))
    assert summary.bcc == (Address("", "only@example.test"),)
    assert "x@example.test" in summary.search_text


def test_snippet_of_long_bodies_reads_past_a_prefix() -> None:
    assert make_snippet(" \n" * 5000 + "late text", "") == "late text"
    style = "<html><head><style>" + "p { color: red } " * 2000 + "</style></head>"
    assert make_snippet("text", style + "<p>Body &amp; soul</p></html>") == "Body & soul"
    words = "<p>" + "lorem ipsum " * 5000 + "</p>"
    assert make_snippet("", words) == ("lorem ipsum " * 20)[:200] + "..."


@pytest.mark.parametrize(
    "raw",
    [
        b"To: a@" + b"+" * 200_000 + b"\r\n\r\nx",  # plus-addressing without a tag end
        b"Content-Type: text/plain; " + b"a*" * 200_000 + b"=1\r\n\r\nx",  # RFC 2231 names
        b"Content-Type: text/html\r\n\r\n" + b"<head>" * 100_000,  # heads never closed
        b"Content-Type: text/html\r\n\r\n" + b"<a href=" * 100_000,  # tags never closed
        b"Subject: " + b"=?utf-8?q?" * 100_000 + b"\r\n\r\n",  # encoded words never closed
        b"To: " + b'"' + b"a," * 100_000 + b"\r\n\r\n",  # a quote never closed
        b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"--a--a" * 100_000,
    ],
    ids=["plus", "rfc2231", "heads", "tags", "encoded-words", "quote", "boundaries"],
)
def test_pathological_input_takes_linear_time(raw: bytes) -> None:
    # Quadratic work on these would take minutes and trip pytest-timeout; linear takes < 1 s.
    summary = summarize(raw, make_envelope())
    assert summary.search_text


def test_a_parser_bug_still_gives_a_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: bytes) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("mailsink.message.summary.parse_message", broken)
    summary = summarize(b"Subject: x\r\n\r\n", make_envelope("a@example.test"))
    assert summary.warnings == ("the message could not be read (RuntimeError: bug)",)
    assert summary.bcc == (Address("", "bob@example.test"),)
    assert "a@example.test" in summary.search_text


def test_parse_message_bug_shows_the_message_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("mailsink.message.mime._build_tree", broken)
    parsed = parse_message(b"Subject: x\r\n\r\nbody")
    assert parsed.warnings == ["the MIME structure could not be read (RuntimeError)"]
    assert parsed.text == "Subject: x\r\n\r\nbody"
