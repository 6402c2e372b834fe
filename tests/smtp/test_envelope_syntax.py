"""MAIL FROM and RCPT TO arguments a production MTA refuses are refused, with Postfix's codes, and
the session goes on; what the ESMTP extensions define stays accepted and recorded."""

from __future__ import annotations

import smtplib

import pytest

from .harness import RawClient, RunningSmtp

# (command bytes as sent, the replies it gets): every class of bad MAIL argument.
REFUSED_MAIL = [
    # A bad path: 501 5.1.7, as Postfix's "Bad sender address syntax".
    (b"MAIL FROM:<a\x00b@example.com>", ["501 5.1.7"]),
    (b"MAIL FROM:<a\rb@example.com>", ["501 5.1.7"]),
    (b"MAIL FROM:<a@example.com\r>", ["501 5.1.7"]),
    (b"MAIL FROM:<a\x1b@example.com>", ["501 5.1.7"]),
    (b"MAIL FROM:<a@example.com\x7f>", ["501 5.1.7"]),
    (b'MAIL FROM:<"a\x00b"@example.com>', ["501 5.1.7"]),
    (b"MAIL FROM:a\x00b@example.com", ["501 5.1.7"]),
    # A bare LF ends the line (as in Postfix): the path is cut short, the rest is no command.
    (b"MAIL FROM:<a\nb@example.com>", ["501 5.1.7", "500 5.5.2"]),
    (b"MAIL FROM:<a@x", ["501 5.1.7"]),
    (b"MAIL FROM:<a@example.com SIZE=10", ["501 5.1.7"]),
    (b'MAIL FROM:<"a>b@example.com>', ["501 5.1.7"]),
    (b"MAIL FROM:a@example.com>", ["501 5.1.7"]),
    (b"MAIL FROM:<<a@example.com>>", ["501 5.1.7"]),
    (b"MAIL FROM:<a@example.com>junk", ["501 5.1.7"]),
    (b"MAIL FROM:<a@@example.com>", ["501 5.1.7"]),
    # A parameter that is not KEYWORD[=VALUE], or a bad value of a known one: 501 5.5.4.
    (b"MAIL FROM:<a@example.com> =oops", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> SIZE=", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> SIZE=lots", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> SIZE=-1", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> SIZE", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> SIZE=10 SIZE=20", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> BODY=GARBAGE", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> BODY=BINARYMIME", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> BODY", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> SMTPUTF8=yes", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> RET=GARBAGE", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> RET=FULL RET=HDRS", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> ENVID=a+b", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> ENVID=a\x01b", ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> ENVID=" + b"x" * 101, ["501 5.5.4"]),
    (b"MAIL FROM:<a@example.com> AUTH=a b", ["555 5.5.4"]),  # "b" is a parameter of its own
    (b"MAIL FROM:<a@example.com> AUTH=\xc3\xa9", ["501 5.5.4"]),
    # A parameter MAIL does not define: 555 5.5.4 (RFC 5321 §4.1.1.11).
    (b"MAIL FROM:<a@example.com> FOO=BAR", ["555 5.5.4"]),
    (b"MAIL FROM:<a@example.com> X-Custom=Value", ["555 5.5.4"]),
    (b"MAIL FROM:<a@example.com> NOTIFY=NEVER", ["555 5.5.4"]),
    (b"MAIL FROM:<a@example.com> FOO=\xff\r", ["555 5.5.4"]),
    # A non-ASCII sender without SMTPUTF8: 553 5.6.7, as Postfix's "Must declare SMTPUTF8".
    (b"MAIL FROM:<j\xc3\xb6rg@example.com>", ["553 5.6.7"]),
    (b"MAIL FROM:<a@\xe4\xbe\x8b\xe3\x81\x88.jp> BODY=8BITMIME", ["553 5.6.7"]),
    (b"MAIL FROM:j\xc3\xb6rg@example.com SIZE=10", ["553 5.6.7"]),
    (b"MAIL FROM:<\xff@example.com>", ["553 5.6.7"]),  # not even UTF-8
]

REFUSED_RCPT = [
    (b"RCPT TO:<b\x00@example.com>", ["501 5.1.3"]),
    (b"RCPT TO:<b\r@example.com>", ["501 5.1.3"]),
    (b"RCPT TO:<b\nc@example.com>", ["501 5.1.3", "500 5.5.2"]),
    (b"RCPT TO:<b@example.com", ["501 5.1.3"]),
    (b"RCPT TO:<b@example.com>>", ["501 5.1.3"]),
    (b"RCPT TO:<b@example.com> NOTIFY=GARBAGE", ["501 5.5.4"]),
    (b"RCPT TO:<b@example.com> NOTIFY=NEVER,SUCCESS", ["501 5.5.4"]),
    (b"RCPT TO:<b@example.com> NOTIFY=SUCCESS,SUCCESS", ["501 5.5.4"]),
    (b"RCPT TO:<b@example.com> NOTIFY=", ["501 5.5.4"]),
    (b"RCPT TO:<b@example.com> ORCPT=garbage", ["501 5.5.4"]),
    (b"RCPT TO:<b@example.com> ORCPT=rfc822;", ["501 5.5.4"]),
    (b"RCPT TO:<b@example.com> ORCPT=rfc822;b=c@example.com", ["501 5.5.4"]),
    (b"RCPT TO:<b@example.com> ORCPT=rfc822;\xc3\xa9@example.com", ["501 5.5.4"]),
    (b"RCPT TO:<b@example.com> FOO=BAR", ["555 5.5.4"]),
    (b"RCPT TO:<b@example.com> RET=FULL", ["555 5.5.4"]),
    (b"RCPT TO:<b@example.com> BODY=8BITMIME", ["555 5.5.4"]),
    # A non-ASCII recipient when MAIL did not declare SMTPUTF8: 553 5.6.7.
    (b"RCPT TO:<j\xc3\xb6rg@example.com>", ["553 5.6.7"]),
    (b"RCPT TO:<b@\xe4\xbe\x8b\xe3\x81\x88.jp> NOTIFY=NEVER", ["553 5.6.7"]),
]


def _send_rest(client: RawClient, *commands: str) -> None:
    for command in commands:
        assert client.command(command).startswith(("250", "354"))
    assert client.command(b"Subject: after\r\n\r\nbody\r\n.").startswith("250 2.0.0")


@pytest.mark.parametrize(("command", "replies"), REFUSED_MAIL)
def test_bad_mail_arguments_are_refused_and_the_session_goes_on(
    raw_client: RawClient, sink: RunningSmtp, command: bytes, replies: list[str]
) -> None:
    raw_client.send(command + b"\r\n")
    got = raw_client.replies(len(replies))
    assert [reply[:9] for reply in got] == replies, got
    assert all(reply.isascii() and reply.isprintable() for reply in got), got
    _send_rest(raw_client, "MAIL FROM:<ok@example.com>", "RCPT TO:<b@example.com>", "DATA")
    [message] = sink.wait_for_messages(1)
    assert message.envelope.mail_from == "ok@example.com"
    assert message.envelope.mail_from_params == {}


@pytest.mark.parametrize(("command", "replies"), REFUSED_RCPT)
def test_bad_rcpt_arguments_are_refused_and_the_session_goes_on(
    raw_client: RawClient, sink: RunningSmtp, command: bytes, replies: list[str]
) -> None:
    assert raw_client.command("MAIL FROM:<a@example.com>").startswith("250 2.1.0")
    raw_client.send(command + b"\r\n")
    got = raw_client.replies(len(replies))
    assert [reply[:9] for reply in got] == replies, got
    _send_rest(raw_client, "RCPT TO:<ok@example.com>", "DATA")
    [message] = sink.wait_for_messages(1)
    assert [(r.address, r.params) for r in message.envelope.recipients] == [("ok@example.com", {})]


@pytest.mark.parametrize(
    ("mail", "recorded"),
    [
        ("MAIL FROM:<a@example.com> SIZE=0", {"SIZE": "0"}),
        ("MAIL FROM:<a@example.com> size=123 body=7bit", {"SIZE": "123", "BODY": "7bit"}),
        ("MAIL FROM:<a@example.com> BODY=8BITMIME SMTPUTF8", {"BODY": "8BITMIME", "SMTPUTF8": ""}),
        ("MAIL FROM:<a@example.com> RET=full ENVID=a+2Bb", {"RET": "full", "ENVID": "a+2Bb"}),
        ("MAIL FROM:<a@example.com> AUTH=<>", {"AUTH": "<>"}),
        ("MAIL FROM:<a@example.com> AUTH=a+3Db@example.com", {"AUTH": "a+3Db@example.com"}),
        ("MAIL FROM:<> RET=HDRS", {"RET": "HDRS"}),
        ('MAIL FROM:<"a b"@example.com> SIZE=5', {"SIZE": "5"}),
        ("MAIL FROM:<a@example.com> (a comment) SIZE=5", {"SIZE": "5"}),
        ("MAIL FROM:a@example.com SIZE=5", {"SIZE": "5"}),
    ],
)
def test_defined_mail_parameters_with_good_values_are_recorded(
    raw_client: RawClient, sink: RunningSmtp, mail: str, recorded: dict[str, str]
) -> None:
    assert raw_client.command(mail).startswith("250 2.1.0")
    _send_rest(raw_client, "RCPT TO:<b@example.com>", "DATA")
    [message] = sink.wait_for_messages(1)
    assert message.envelope.mail_from_params == recorded


@pytest.mark.parametrize(
    ("rcpt", "recorded"),
    [
        ("RCPT TO:<b@example.com> NOTIFY=NEVER", {"NOTIFY": "NEVER"}),
        ("RCPT TO:<b@example.com> NOTIFY=delay,failure", {"NOTIFY": "delay,failure"}),
        (
            "RCPT TO:<b@example.com> ORCPT=rfc822;b+2Bx@example.com",
            {"ORCPT": "rfc822;b+2Bx@example.com"},
        ),
        ("RCPT TO:<b@example.com> ORCPT=utf-8;bé@example.com", {"ORCPT": "utf-8;bé@example.com"}),
        ("RCPT TO:<postmaster>", {}),
    ],
)
def test_defined_rcpt_parameters_with_good_values_are_recorded(
    raw_client: RawClient, sink: RunningSmtp, rcpt: str, recorded: dict[str, str]
) -> None:
    assert raw_client.command("MAIL FROM:<a@example.com> SMTPUTF8").startswith("250 2.1.0")
    assert raw_client.command(rcpt).startswith("250 2.1.5")
    _send_rest(raw_client, "DATA")
    [message] = sink.wait_for_messages(1)
    assert [r.params for r in message.envelope.recipients] == [recorded]


UNICODE_ADDRESSES = ["jörg@example.com", "用户@例子.广告", "a@例え.jp"]
UNICODE_MESSAGE = "Subject: ✓\r\n\r\nGrüße\r\n".encode()


def _undeclared_utf8_client(sink: RunningSmtp) -> smtplib.SMTP:
    """smtplib sending UTF-8 commands without declaring SMTPUTF8, as a careless client does
    (smtplib itself switches to UTF-8 only with the SMTPUTF8 option)."""
    client = smtplib.SMTP(sink.host, sink.port, timeout=30)
    client.ehlo("client.example")
    client.command_encoding = "utf-8"
    return client


@pytest.mark.parametrize("address", UNICODE_ADDRESSES)
def test_unicode_sender_needs_smtputf8_then_the_same_session_sends_it(
    sink: RunningSmtp, address: str
) -> None:
    with _undeclared_utf8_client(sink) as client:
        assert client.mail(address) == (553, b"5.6.7 Must declare SMTPUTF8 to send unicode address")
        client.sendmail(address, ["b@example.com"], UNICODE_MESSAGE, mail_options=["SMTPUTF8"])
    [message] = sink.wait_for_messages(1)
    assert message.envelope.mail_from == address
    assert sink.raws() == [UNICODE_MESSAGE]


@pytest.mark.parametrize("address", UNICODE_ADDRESSES)
def test_unicode_recipient_needs_smtputf8_on_mail_then_the_session_goes_on(
    sink: RunningSmtp, address: str
) -> None:
    with _undeclared_utf8_client(sink) as client:
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt(address) == (553, b"5.6.7 Must declare SMTPUTF8 to send unicode address")
        assert client.rcpt("b@example.com")[0] == 250
        assert client.data(b"Subject: ascii\r\n\r\nbody\r\n")[0] == 250
        client.sendmail("a@example.com", [address], UNICODE_MESSAGE, mail_options=["SMTPUTF8"])
    first, second = sink.wait_for_messages(2)
    assert first.envelope.rcpt_tos == ["b@example.com"]
    assert second.envelope.rcpt_tos == [address]
    assert second.envelope.mail_from_params["SMTPUTF8"] == ""


def test_smtputf8_counts_for_its_own_transaction_only(
    raw_client: RawClient, sink: RunningSmtp
) -> None:
    """RSET ends the transaction whose MAIL declared SMTPUTF8: the next MAIL declares it anew."""
    assert raw_client.command("MAIL FROM:<a@example.com> SMTPUTF8").startswith("250 2.1.0")
    assert raw_client.command("RCPT TO:<jörg@example.com>").startswith("250 2.1.5")
    assert raw_client.command("RSET").startswith("250")
    assert raw_client.command("MAIL FROM:<a@example.com>").startswith("250 2.1.0")
    assert raw_client.command("RCPT TO:<jörg@example.com>").startswith("553 5.6.7")
    _send_rest(raw_client, "RCPT TO:<b@example.com>", "DATA")
    [message] = sink.wait_for_messages(1)
    assert message.envelope.rcpt_tos == ["b@example.com"]
    assert "SMTPUTF8" not in message.envelope.mail_from_params
