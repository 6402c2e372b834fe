"""Relay: configuration files, release to a second local sink, and relay-all / relay-matching."""

from __future__ import annotations

import json
import smtplib
from pathlib import Path

import pytest

from mailsink.config import HostPort
from mailsink.relay.config import RelayError, parse_relay_config
from mailsink.relay.headers import edit_headers

from .harness import MakeSink, RunningSmtp

STORED = (
    b"From: Sender <sender@example.com>\r\n"
    b"To: to@example.com\r\n"
    b"Bcc: secret@example.com,\r\n other-secret@example.com\r\n"
    b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    b"Message-ID: <original@example.com>\r\n"
    b"Subject: release me\r\n"
    b"\r\n"
    b"Body stays.\r\nBcc: not a header\r\n"
)


def test_yaml_style_file_with_mailpit_keys() -> None:
    config = parse_relay_config(
        "# Mailpit relay config\n"
        "host: smtp.example.com\n"
        "port: 587\n"
        "starttls: true\n"
        "auth: login\n"
        "username: 'me'\n"
        'password: "p#ss: word"\n'
        "allowed-recipients: '@example\\.com$'   # only ours\n"
        "recipient-allowlist: ignored-when-allowed-recipients-is-set\n"
        "override-from: Robot <robot@example.com>\n"
    )
    assert (config.host, config.port, config.starttls, config.auth) == (
        "smtp.example.com",
        587,
        True,
        "login",
    )
    assert (config.username, config.password) == ("me", "p#ss: word")
    assert config.allowed_recipients is not None
    assert config.allowed_recipients.pattern == "@example\\.com$"
    assert config.override_from == "robot@example.com"


def test_json_file() -> None:
    config = parse_relay_config(
        json.dumps({"host": "h", "Port": 2525, "tls": True, "relay_all": True})
    )
    assert (config.host, config.port, config.tls, config.relay_all) == ("h", 2525, True, True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("port: 25\n", "relay host not set"),
        ("host: h\nport: 70000\n", "port must be a number"),
        ("host: h\nstarttls: maybe\n", "starttls must be true or false"),
        ("host: h\nauth: kerberos\n", "authentication method not supported: kerberos"),
        ("host: h\nauth: plain\nusername: u\n", "username or password not set for plain"),
        (
            "host: h\nauth: cram-md5\nusername: u\npassword: p\n",
            "username or secret not set for cram-md5",
        ),
        ("host: h\nstarttls: true\ntls: true\n", "cannot both be set"),
        ("host: h\nblocked-recipients: '('\n", "blocked-recipients is not a valid regexp"),
        ("host: h\nhostname: x\n", "unknown relay setting 'hostname'"),
        ("host h\n", "expected 'key: value'"),
        ("{not json", "invalid JSON"),
    ],
)
def test_bad_configuration_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(RelayError, match=message):
        parse_relay_config(text, source="relay.yml")


def test_edit_headers_keeps_the_body_and_other_headers() -> None:
    edited = edit_headers(STORED, remove={"bcc"}, replace={"Message-ID": "<new@x>", "X-New": "1"})
    assert edited == (
        b"X-New: 1\r\n"
        b"From: Sender <sender@example.com>\r\n"
        b"To: to@example.com\r\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        b"Message-ID: <new@x>\r\n"
        b"Subject: release me\r\n"
        b"\r\n"
        b"Body stays.\r\nBcc: not a header\r\n"
    )


def relay_file(tmp_path: Path, upstream: RunningSmtp, **settings: object) -> Path:
    path = tmp_path / "relay.yml"
    lines = [f"host: {upstream.host}", f"port: {upstream.port}"]
    lines += [f"{key.replace('_', '-')}: {value}" for key, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_release_sends_the_stored_message_to_the_upstream(
    make_sink: MakeSink, tmp_path: Path
) -> None:
    upstream = make_sink()
    sink = make_sink(
        smtp_relay_config=relay_file(tmp_path, upstream, return_path="bounce@example.com")
    )
    assert sink.context.relay is not None
    sink.call(
        sink.context.relay.release(
            STORED, ["Someone <x@example.net>", "y@example.net"], "sender@example.com"
        )
    )
    [message] = upstream.wait_for_messages(1)
    assert message.envelope.rcpt_tos == ["x@example.net", "y@example.net"]
    assert message.envelope.mail_from == "bounce@example.com"
    [raw] = upstream.raws()
    assert b"secret@example.com" not in raw
    assert b"Message-ID: <original@example.com>" not in raw
    assert b"@mailsink>" in raw
    assert b"Date: Mon, 1 Jan 2024" not in raw
    assert raw.startswith(b"Return-Path: <bounce@example.com>\r\n")
    assert raw.endswith(b"\r\n\r\nBody stays.\r\nBcc: not a header\r\n")


def test_release_can_keep_message_ids_and_override_from(
    make_sink: MakeSink, tmp_path: Path
) -> None:
    upstream = make_sink()
    config = relay_file(
        tmp_path, upstream, preserve_message_ids="true", override_from="robot@example.com"
    )
    sink = make_sink(smtp_relay_config=config)
    assert sink.context.relay is not None
    sink.call(sink.context.relay.release(STORED, ["x@example.net"], "sender@example.com"))
    [message] = upstream.wait_for_messages(1)
    assert message.envelope.mail_from == "robot@example.com"
    [raw] = upstream.raws()
    assert b"Message-ID: <original@example.com>\r\n" in raw
    assert b"From: robot@example.com\r\n" in raw
    assert b"sender@example.com" not in raw


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        (["not an address"], "Invalid email address: not an address"),
        (["x@other.org"], "Failed: Address do not match the allowlist: x@other.org"),
        (
            ["a@other.org", "b@other.org"],
            "Failed: Addresses do not match the allowlist: a@other.org, b@other.org",
        ),
        (["ceo@example.net"], "Failed: Address found on blocklist: ceo@example.net"),
        ([], "No valid addresses found"),
    ],
)
def test_release_refusals_use_mailpit_messages(
    make_sink: MakeSink, tmp_path: Path, recipients: list[str], message: str
) -> None:
    upstream = make_sink()
    config = relay_file(
        tmp_path, upstream, allowed_recipients="'@example\\.net$'", blocked_recipients="'^ceo@'"
    )
    sink = make_sink(smtp_relay_config=config)
    assert sink.context.relay is not None
    with pytest.raises(RelayError) as refused:
        sink.call(sink.context.relay.release(STORED, recipients, "sender@example.com"))
    assert str(refused.value) == message


def test_release_through_starttls_and_auth(make_sink: MakeSink, tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("relay:s3cret\n")
    upstream = make_sink(
        smtp_tls_cert="auto",
        smtp_require_starttls=True,
        smtp_auth_required=True,
        smtp_auth_file=users,
    )
    good = relay_file(
        tmp_path,
        upstream,
        starttls="true",
        allow_insecure="true",
        auth="plain",
        username="relay",
        password="s3cret",
    )
    sink = make_sink(smtp_relay_config=good)
    assert sink.context.relay is not None
    sink.call(sink.context.relay.release(STORED, ["x@example.net"], "sender@example.com"))
    [message] = upstream.wait_for_messages(1)
    assert message.envelope.tls is not None
    assert message.envelope.auth_user == "relay"

    wrong = relay_file(
        tmp_path,
        upstream,
        starttls="true",
        allow_insecure="true",
        auth="login",
        username="relay",
        password="nope",
    )
    other = make_sink(smtp_relay_config=wrong)
    assert other.context.relay is not None
    with pytest.raises(RelayError, match=r"^SMTP error: 535 5\.7\.8"):
        other.call(other.context.relay.release(STORED, ["x@example.net"], "sender@example.com"))


def test_release_over_implicit_tls_checks_the_certificate(
    make_sink: MakeSink, tmp_path: Path
) -> None:
    upstream = make_sink(smtps=HostPort("127.0.0.1", 0))
    host, port = upstream.address("SMTPS")
    config = tmp_path / "relay.json"
    config.write_text(json.dumps({"host": host, "port": port, "tls": True}))
    sink = make_sink(smtp_relay_config=config)
    assert sink.context.relay is not None
    with pytest.raises(RelayError, match=r"^SMTP error: .*CERTIFICATE_VERIFY_FAILED"):
        sink.call(sink.context.relay.release(STORED, ["x@example.net"], "sender@example.com"))
    config.write_text(json.dumps({"host": host, "port": port, "tls": True, "allow-insecure": True}))
    insecure = make_sink(smtp_relay_config=config)
    assert insecure.context.relay is not None
    insecure.call(insecure.context.relay.release(STORED, ["x@example.net"], "sender@example.com"))
    [message] = upstream.wait_for_messages(1)
    assert message.envelope.tls is not None


def test_release_to_an_unreachable_server_is_an_smtp_error(
    make_sink: MakeSink, tmp_path: Path
) -> None:
    upstream = make_sink()
    config = relay_file(upstream=upstream, tmp_path=tmp_path)
    upstream.stop()
    sink = make_sink(smtp_relay_config=config)
    assert sink.context.relay is not None
    with pytest.raises(RelayError, match=r"^SMTP error: .*[Cc]onnection refused"):
        sink.call(sink.context.relay.release(STORED, ["x@example.net"], "sender@example.com"))


def test_relay_all_forwards_each_new_message(make_sink: MakeSink, tmp_path: Path) -> None:
    upstream = make_sink()
    sink = make_sink(
        smtp_relay_config=relay_file(
            tmp_path, upstream, relay_all="true", blocked_recipients="'^blocked@'"
        )
    )
    message = b"Subject: forward me\r\n\r\nx\r\n"
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.sendmail("a@example.com", ["b@example.com", "blocked@example.com"], message)
    assert sink.wait_for_messages(1)
    [forwarded] = upstream.wait_for_messages(1)
    assert upstream.raws() == [message]  # auto-relay sends the bytes as received
    assert forwarded.envelope.rcpt_tos == ["b@example.com"]
    assert forwarded.envelope.mail_from == "a@example.com"


def test_relay_matching_forwards_only_matching_recipients(
    make_sink: MakeSink, tmp_path: Path
) -> None:
    upstream = make_sink()
    sink = make_sink(
        smtp_relay_config=relay_file(tmp_path, upstream, relay_matching="'@qa\\.example$'")
    )
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.sendmail("a@example.com", ["nobody@example.com"], b"Subject: stays\r\n\r\nx\r\n")
        client.sendmail(
            "a@example.com", ["t@qa.example", "u@example.com"], b"Subject: goes\r\n\r\nx\r\n"
        )
    sink.wait_for_messages(2)
    [forwarded] = upstream.wait_for_messages(1)
    assert forwarded.envelope.rcpt_tos == ["t@qa.example"]
    sink.stop()  # waits for relays in progress: nothing else was forwarded
    assert len(upstream.messages()) == 1


def test_a_message_filed_in_two_mailboxes_is_relayed_once(
    make_sink: MakeSink, tmp_path: Path
) -> None:
    upstream = make_sink()
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nrcpt = "*@a.test"\nmailbox = "a"\n')
    sink = make_sink(
        smtp_relay_config=relay_file(tmp_path, upstream, relay_all="true"), mailbox_rules=rules
    )
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.sendmail("s@example.com", ["x@a.test", "y@b.test"], b"Subject: once\r\n\r\nx\r\n")
    assert {m.envelope.mailbox for m in sink.wait_for_messages(2)} == {"a", "default"}
    upstream.wait_for_messages(1)
    sink.stop()  # waits for relays in progress
    assert [m.envelope.rcpt_tos for m in upstream.messages()] == [["x@a.test", "y@b.test"]]
