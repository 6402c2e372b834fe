"""SMTP commands over real sockets: extensions, envelope, parameters, limits and reply codes."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from mailsink.config import HostPort
from tests.builders import many_parts, nested

from .harness import MakeSink, RawClient, RunningSmtp

SIMPLE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hello\r\n\r\nHello.\r\n"


def test_binds_port_zero_and_records_the_real_port(sink: RunningSmtp) -> None:
    # aiosmtpd 1.4.6's Controller cannot bind port 0; start_smtp reads the bound socket.
    [listener] = sink.context.listeners
    assert listener.kind == "SMTP"
    assert listener.host == "127.0.0.1"
    assert listener.port > 0
    with socket.create_connection((listener.host, listener.port), timeout=30) as sock:
        assert sock.recv(1024).startswith(b"220 ")


def test_ehlo_advertises_the_extensions_with_the_fixed_hostname(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_hostname="sink.test", smtp_max_size=1234)
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        code, banner = client.ehlo("client.example")
    assert code == 250
    lines = banner.decode().splitlines()
    assert lines[0] == "sink.test"
    for extension in ("SIZE 1234", "8BITMIME", "SMTPUTF8", "PIPELINING", "ENHANCEDSTATUSCODES"):
        assert extension in lines
    assert "AUTH PLAIN LOGIN CRAM-MD5" in lines
    assert "STARTTLS" not in lines  # no certificate configured


def test_no_reverse_dns_or_getfqdn_per_connection(
    make_sink: MakeSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*args: object) -> None:
        raise AssertionError("name lookup during an SMTP session")

    sink = make_sink(smtp_hostname="fixed.test")
    monkeypatch.setattr(socket, "getfqdn", forbidden)
    monkeypatch.setattr(socket, "gethostbyaddr", forbidden)
    monkeypatch.setattr(socket, "getnameinfo", forbidden)
    with RawClient(sink.host, sink.port) as client:
        assert client.reply().startswith("220 fixed.test ")
        assert client.command("EHLO client.example").startswith("250-fixed.test")
        assert client.command("HELO client.example") == "250 fixed.test"


def test_plain_message_is_stored_exactly_with_its_envelope(sink: RunningSmtp) -> None:
    before = datetime.now(UTC)
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.ehlo("client.example")
        client_address = client.sock.getsockname()
        client.sendmail("a@example.com", ["b@example.com"], SIMPLE)
    [message] = sink.wait_for_messages(1)
    assert sink.raws() == [SIMPLE]
    envelope = message.envelope
    assert envelope.mail_from == "a@example.com"
    assert envelope.rcpt_tos == ["b@example.com"]
    assert envelope.helo == "client.example"
    assert envelope.peer == f"{client_address[0]}:{client_address[1]}"
    assert envelope.auth_user is None
    assert envelope.tls is None
    assert envelope.tls_cipher is None
    assert envelope.received.tzinfo is not None
    assert before - timedelta(seconds=1) <= envelope.received <= datetime.now(UTC)
    assert envelope.mail_from_params == {"SIZE": str(len(SIMPLE))}


def test_every_defined_esmtp_parameter_is_accepted_and_recorded(
    raw_client: RawClient, sink: RunningSmtp
) -> None:
    # aiosmtpd 1.4.6 answers 555 to DSN's parameters.
    mail = "MAIL FROM:<a@example.com> BODY=8BITMIME RET=HDRS ENVID=QQ314159 AUTH=<> SMTPUTF8"
    assert raw_client.command(mail).startswith("250 2.1.0")
    rcpt = "RCPT TO:<b@example.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@Example.COM"
    assert raw_client.command(rcpt).startswith("250 2.1.5")
    assert raw_client.command("RCPT TO:<c@example.com>").startswith("250 2.1.5")
    assert raw_client.command("DATA").startswith("354")
    assert raw_client.command(b"Subject: dsn\r\n\r\nbody\r\n.").startswith("250 2.0.0")
    [message] = sink.wait_for_messages(1)
    envelope = message.envelope
    assert envelope.mail_from_params == {
        "BODY": "8BITMIME",
        "RET": "HDRS",
        "ENVID": "QQ314159",
        "AUTH": "<>",
        "SMTPUTF8": "",
    }
    assert [(r.address, r.params) for r in envelope.recipients] == [
        (
            "b@example.com",
            {"NOTIFY": "SUCCESS,FAILURE", "ORCPT": "rfc822;Bob@Example.COM"},
        ),
        ("c@example.com", {}),
    ]


@pytest.mark.parametrize(
    ("argument", "address", "params"),
    [
        ("<a.b+c@mail-1.example.com> SIZE=10", "a.b+c@mail-1.example.com", {"SIZE": "10"}),
        (
            "<a@example.com>\tSIZE=10  BODY=8BITMIME",
            "a@example.com",
            {"SIZE": "10", "BODY": "8BITMIME"},
        ),
        ("<a@example.com>", "a@example.com", {}),
        # Not plain: read by aiosmtpd's parser (it drops the comment).
        ("<a@example.com> (a comment) SIZE=10", "a@example.com", {"SIZE": "10"}),
        ('<"a b"@example.com>', '"a b"@example.com', {}),
        ("<a@[127.0.0.1]>", "a@[127.0.0.1]", {}),
    ],
)
def test_sender_addresses_plain_or_not_are_read_alike(
    raw_client: RawClient, sink: RunningSmtp, argument: str, address: str, params: dict[str, str]
) -> None:
    """Plain `<local@domain>` takes a fast path past aiosmtpd's address parser."""
    assert raw_client.command(f"MAIL FROM:{argument}").startswith("250 2.1.0")
    assert raw_client.command(f"RCPT TO:{argument.split('>')[0]}>").startswith("250 2.1.5")
    assert raw_client.command("DATA").startswith("354")
    assert raw_client.command(b"Subject: addr\r\n\r\nbody\r\n.").startswith("250 2.0.0")
    [message] = sink.wait_for_messages(1)
    assert message.envelope.mail_from == address
    assert message.envelope.mail_from_params == params
    assert [r.address for r in message.envelope.recipients] == [address]


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("MAIL FROM:<a@example.com> =oops", "501 5.5.4"),
        ("MAIL FROM:<a@example.com> SIZE=", "501 5.5.4"),
        ("MAIL FROM:<a@example.com> SIZE=lots", "501 5.5.4"),
        ("MAIL FROM:", "501 5.5.4"),
        ("MAIL TO:<a@example.com>", "501 5.5.4"),
        ("MAIL FROM:<a@@example.com>", "501 5.1.7"),
        ("MAIL FROM:<a@[1.2.3>", "501 5.1.7"),
    ],
)
def test_malformed_mail_commands_get_5xx(raw_client: RawClient, command: str, reply: str) -> None:
    assert raw_client.command(command).startswith(reply)
    assert raw_client.command("MAIL FROM:<ok@example.com>").startswith("250")


def test_null_sender_is_accepted(raw_client: RawClient, sink: RunningSmtp) -> None:
    assert raw_client.command("MAIL FROM:<>").startswith("250")
    assert raw_client.command("RCPT TO:<b@example.com>").startswith("250")
    assert raw_client.command("DATA").startswith("354")
    assert raw_client.command(b"Subject: bounce\r\n\r\nx\r\n.").startswith("250")
    [message] = sink.wait_for_messages(1)
    assert message.envelope.mail_from == ""


def test_size_parameter_over_the_limit_gets_552(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_max_size=1000)
    with RawClient(sink.host, sink.port) as client:
        client.reply()
        client.command("EHLO client.example")
        assert client.command("MAIL FROM:<a@example.com> SIZE=1001").startswith("552 5.3.4")
        assert client.command("MAIL FROM:<a@example.com> SIZE=1000").startswith("250")
    assert sink.wait_for_incident("over the 1000-byte limit")


def test_smtputf8_addresses(sink: RunningSmtp) -> None:
    sender, recipient = "ünïcödé@例え.jp", "用户@例子.广告"
    message = "From: ünïcödé@例え.jp\r\nSubject: ✓\r\n\r\nGrüße\r\n".encode()
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.sendmail(sender, [recipient], message, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
    [stored] = sink.wait_for_messages(1)
    assert stored.envelope.mail_from == sender
    assert stored.envelope.rcpt_tos == [recipient]
    assert stored.envelope.mail_from_params["SMTPUTF8"] == ""
    assert sink.raws() == [message]


def test_eight_bit_body_is_stored_byte_for_byte(sink: RunningSmtp) -> None:
    body = (
        b"Subject: 8bit\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n"
        + bytes(range(128, 256))
        + b"\r\n"
    )
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.sendmail("a@example.com", ["b@example.com"], body, mail_options=["BODY=8BITMIME"])
    sink.wait_for_messages(1)
    assert sink.raws() == [body]


def test_several_recipients_including_bcc_only_ones(sink: RunningSmtp) -> None:
    message = EmailMessage()
    message["From"] = "a@example.com"
    message["To"] = "to@example.com"
    message["Cc"] = "cc@example.com"
    message["Subject"] = "many"
    message.set_content("hello")
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    recipients = [
        "to@example.com",
        "cc@example.com",
        "hidden@example.com",
        "also-hidden@example.com",
    ]
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        assert client.sendmail("a@example.com", recipients, raw) == {}
    [stored] = sink.wait_for_messages(1)
    assert stored.envelope.rcpt_tos == recipients
    assert sink.raws() == [raw]
    assert b"hidden" not in raw  # the Bcc recipients exist only in the envelope


def test_several_messages_on_one_connection(sink: RunningSmtp) -> None:
    bodies = [f"Subject: {n}\r\n\r\nmessage {n}\r\n".encode() for n in range(5)]
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        for n, body in enumerate(bodies):
            client.sendmail(f"from{n}@example.com", [f"to{n}@example.com"], body)
    messages = sink.wait_for_messages(5)
    assert sink.raws() == bodies
    assert [m.envelope.mail_from for m in messages] == [f"from{n}@example.com" for n in range(5)]
    assert len({m.envelope.peer for m in messages}) == 1


def test_pipelined_commands_in_one_write(raw_client: RawClient, sink: RunningSmtp) -> None:
    raw_client.send(
        b"MAIL FROM:<a@example.com>\r\n"
        b"RCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n"
    )
    assert [r[:3] for r in raw_client.replies(4)] == ["250", "250", "250", "354"]
    raw_client.send(b"Subject: piped\r\n\r\nx\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n")
    assert [r[:9] for r in raw_client.replies(4)] == [
        "250 2.0.0",
        "250 2.0.0",
        "250 2.0.0",
        "221 2.0.0",
    ]
    [message] = sink.wait_for_messages(1)
    assert message.envelope.rcpt_tos == ["b@example.com", "c@example.com"]


def test_too_many_recipients_get_452(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_max_recipients=2)
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        refused = client.sendmail(
            "a@example.com", ["1@x.example", "2@x.example", "3@x.example"], SIMPLE
        )
    assert refused == {"3@x.example": (452, b"4.5.3 Error: too many recipients")}
    [message] = sink.wait_for_messages(1)
    assert message.envelope.rcpt_tos == ["1@x.example", "2@x.example"]
    assert sink.wait_for_incident("over the limit of 2 recipients")


@pytest.mark.parametrize("length", [3000, 400_000])
def test_overlong_command_lines_get_500(raw_client: RawClient, length: int) -> None:
    assert raw_client.command("NOOP " + "x" * length).startswith("500 5.5.2")
    assert raw_client.command("NOOP").startswith("250")


@pytest.mark.parametrize(
    ("commands", "reply"),
    [
        (["RCPT TO:<b@example.com>"], "503 5.5.1"),
        (["DATA"], "503 5.5.1"),
        (["MAIL FROM:<a@example.com>", "DATA"], "503 5.5.1"),
        (["MAIL FROM:<a@example.com>", "MAIL FROM:<a@example.com>"], "503 5.5.1"),
        (["FROBNICATE"], "500 5.5.2"),
        (["EHLO"], "501 5.5.4"),
        (["MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "DATA now"], "501 5.5.4"),
        (["MAIL FROM:<a@example.com>", "RCPT TO:<>"], "501 5.1.3"),
    ],
)
def test_commands_out_of_order_or_malformed(
    raw_client: RawClient, commands: list[str], reply: str
) -> None:
    *setup, last = commands
    for command in setup:
        assert raw_client.command(command).startswith("250")
    assert raw_client.command(last).startswith(reply)


def test_mail_before_helo_gets_503(sink: RunningSmtp) -> None:
    with RawClient(sink.host, sink.port) as client:
        client.reply()
        assert client.command("MAIL FROM:<a@example.com>").startswith("503 5.5.1")


def test_connections_over_the_limit_get_421(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_max_connections=2)
    first, second = RawClient(sink.host, sink.port), RawClient(sink.host, sink.port)
    try:
        assert first.reply().startswith("220")
        assert second.reply().startswith("220")
        with RawClient(sink.host, sink.port) as third:
            assert third.reply().startswith("421 4.7.0")
            assert third.closed_by_server()
        assert first.command("NOOP").startswith("250")
    finally:
        first.close()
        second.close()
    assert sink.wait_for_incident("already 2 connections")


def test_a_slow_client_is_cut_at_the_timeout_while_another_is_served(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_timeout=1.0)
    with RawClient(sink.host, sink.port) as slow:
        assert slow.reply().startswith("220")
        slow.send(b"EHLO half-a-comm")  # and nothing more
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as fast:
            fast.sendmail("a@example.com", ["b@example.com"], SIMPLE)
        assert sink.wait_for_messages(1)
        assert slow.reply().startswith("421 4.4.2")
        assert slow.closed_by_server()
    assert sink.wait_for_incident("idle timeout")


def test_every_command_pushes_the_idle_timeout_back(make_sink: MakeSink) -> None:
    """One timer stays armed and re-arms when it fires before the pushed-back deadline."""
    sink = make_sink(smtp_timeout=0.5)
    with RawClient(sink.host, sink.port) as busy:
        assert busy.reply().startswith("220")
        started = time.monotonic()
        while time.monotonic() - started < 1.6:  # three timeouts' worth of steady commands
            assert busy.command("NOOP").startswith("250")
        assert busy.reply().startswith("421 4.4.2")  # and then, idle, it is cut
        assert busy.closed_by_server()
        assert time.monotonic() - started >= 2.0


def test_auth_required_without_tls_does_not_warn_per_connection(
    make_sink: MakeSink, recwarn: pytest.WarningsRecorder
) -> None:
    # aiosmtpd warns on every connection when AUTH is required without TLS; with warnings as
    # errors that would break each session, so this sink must serve normally.
    sink = make_sink(smtp_auth_required=True)
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.login("user", "secret")
        client.sendmail("a@example.com", ["b@example.com"], SIMPLE)
    [message] = sink.wait_for_messages(1)
    assert message.envelope.auth_user == "user"
    assert not recwarn.list


def test_auth_required_refuses_mail_before_auth(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_auth_required=True)
    with RawClient(sink.host, sink.port) as client:
        client.reply()
        client.command("EHLO client.example")
        assert client.command("MAIL FROM:<a@example.com>").startswith("530 5.7.0")
        assert client.command("AUTH PLAIN AHVzZXIAc2VjcmV0").startswith("235")
        assert client.command("MAIL FROM:<a@example.com>").startswith("250")
    assert sink.wait_for_incident("AUTH required")


@pytest.mark.slow
def test_hostile_messages_do_not_stall_other_sessions(sink: RunningSmtp) -> None:
    hostile = [many_parts(10_000), nested(200)]
    errors: list[BaseException] = []

    def send_hostile() -> None:
        try:
            with smtplib.SMTP(sink.host, sink.port, timeout=60) as client:
                for raw in hostile:
                    client.sendmail("evil@example.com", ["b@example.com"], raw)
        except BaseException as error:
            errors.append(error)

    sender = threading.Thread(target=send_hostile)
    sender.start()
    with smtplib.SMTP(sink.host, sink.port, timeout=60) as client:
        for n in range(5):
            client.sendmail(
                "a@example.com", ["b@example.com"], f"Subject: {n}\r\n\r\nok\r\n".encode()
            )
    sender.join(120)
    assert not errors
    sink.wait_for_messages(7)
    assert sorted(len(r) for r in sink.raws())[-2:] == sorted(len(r) for r in hostile)


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")
def test_ipv6_listener_records_the_peer_in_brackets(make_sink: MakeSink) -> None:
    sink = make_sink(smtp=HostPort("::1", 0))
    assert sink.host == "::1"
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.ehlo()
        port = client.sock.getsockname()[1]
        client.sendmail("a@example.com", ["b@example.com"], SIMPLE)
    [message] = sink.wait_for_messages(1)
    assert message.envelope.peer == f"[::1]:{port}"
