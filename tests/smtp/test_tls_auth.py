"""STARTTLS, implicit TLS and AUTH (PLAIN, LOGIN, CRAM-MD5) over real sockets."""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import socket
import ssl
from base64 import b64decode, b64encode
from pathlib import Path

import bcrypt
import pytest

from mailsink.config import HostPort
from mailsink.tls import self_signed_certificate

from .harness import MakeSink, RawClient, RunningSmtp, client_tls_context

SIMPLE = b"Subject: tls\r\n\r\nsecret\r\n"


def served_certificate(host: str, port: int, *, starttls: bool) -> bytes:
    """The DER certificate the sink presents."""
    if starttls:
        with smtplib.SMTP(host, port, timeout=30) as client:
            client.starttls(context=client_tls_context())
            return client.sock.getpeercert(binary_form=True)
    with (
        socket.create_connection((host, port), timeout=30) as raw,
        client_tls_context().wrap_socket(raw, server_hostname=host) as tls,
    ):
        return tls.getpeercert(binary_form=True)


def test_starttls_with_an_automatic_certificate_records_tls(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_tls_cert="auto")
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        client.starttls(context=client_tls_context())
        client.ehlo()
        assert not client.has_extn("starttls")
        assert client.has_extn("auth")
        version, cipher = client.sock.version(), client.sock.cipher()[0]
        client.sendmail("a@example.com", ["b@example.com"], SIMPLE)
    [message] = sink.wait_for_messages(1)
    assert (message.envelope.tls, message.envelope.tls_cipher) == (version, cipher)
    assert message.envelope.tls.startswith("TLSv1.")
    assert sink.raws() == [SIMPLE]


def test_automatic_certificate_names_localhost_and_loopback_addresses(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_tls_cert="auto")
    der = served_certificate(sink.host, sink.port, starttls=True)
    verifying = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(der))
    for name in ("localhost", "127.0.0.1"):  # hostname checking on, against the SANs
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
            client._host = name  # the name smtplib checks the certificate against
            client.starttls(context=verifying)
            assert client.noop()[0] == 250


def test_starttls_with_certificate_files(make_sink: MakeSink, tmp_path: Path) -> None:
    cert_pem, key_pem = self_signed_certificate()
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    sink = make_sink(smtp_tls_cert=str(tmp_path / "cert.pem"), smtp_tls_key=tmp_path / "key.pem")
    der = served_certificate(sink.host, sink.port, starttls=True)
    assert ssl.DER_cert_to_PEM_cert(der).strip() == cert_pem.decode().strip()


def test_certificate_without_key_is_refused_at_start(make_sink: MakeSink, tmp_path: Path) -> None:
    cert_pem, _ = self_signed_certificate()
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    with pytest.raises(ValueError, match="--smtp-tls-key"):
        make_sink(smtp_tls_cert=str(tmp_path / "cert.pem"))


def test_implicit_tls_listener_offers_auth_and_records_tls(make_sink: MakeSink) -> None:
    # aiosmtpd 1.4.6 neither offers AUTH nor records TLS on an implicit-TLS listener.
    sink = make_sink(smtps=HostPort("127.0.0.1", 0))
    host, port = sink.address("SMTPS")
    assert port not in (0, sink.port)
    with smtplib.SMTP_SSL(host, port, timeout=30, context=client_tls_context()) as client:
        client.ehlo()
        assert client.has_extn("auth")
        assert not client.has_extn("starttls")
        client.login("alice", "anything")
        version = client.sock.version()
        client.sendmail("a@example.com", ["b@example.com"], SIMPLE)
    [message] = sink.wait_for_messages(1)
    assert message.envelope.tls == version
    assert message.envelope.tls_cipher
    assert message.envelope.auth_user == "alice"


def test_implicit_tls_uses_the_starttls_certificate(make_sink: MakeSink, tmp_path: Path) -> None:
    cert_pem, key_pem = self_signed_certificate()
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    sink = make_sink(
        smtps=HostPort("127.0.0.1", 0),
        smtp_tls_cert=str(tmp_path / "cert.pem"),
        smtp_tls_key=tmp_path / "key.pem",
    )
    host, port = sink.address("SMTPS")
    der = served_certificate(host, port, starttls=False)
    assert ssl.DER_cert_to_PEM_cert(der).strip() == cert_pem.decode().strip()


def test_require_starttls_refuses_mail_before_starttls(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_tls_cert="auto", smtp_require_starttls=True)
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.ehlo()
        assert client.mail("a@example.com") == (530, b"5.7.0 Must issue a STARTTLS command first")
        client.rset()
        client.starttls(context=client_tls_context())
        client.sendmail("a@example.com", ["b@example.com"], SIMPLE)
    assert sink.wait_for_messages(1)
    assert sink.wait_for_incident("STARTTLS required")


def test_require_starttls_without_a_certificate_is_refused_at_start(make_sink: MakeSink) -> None:
    with pytest.raises(ValueError, match="--smtp-tls-cert"):
        make_sink(smtp_require_starttls=True)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_any_credentials_are_accepted_by_default_on_plain_connections(
    sink: RunningSmtp, mechanism: str
) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.ehlo()
        assert mechanism in client.esmtp_features["auth"].split()
        login(client, mechanism, "whoever", "whatever")
        client.sendmail("a@example.com", ["b@example.com"], SIMPLE)
    [message] = sink.wait_for_messages(1)
    assert message.envelope.auth_user == "whoever"


def login(client: smtplib.SMTP, mechanism: str, user: str, password: str) -> None:
    client.user, client.password = user, password
    method = {
        "PLAIN": client.auth_plain,
        "LOGIN": client.auth_login,
        "CRAM-MD5": client.auth_cram_md5,
    }
    client.auth(mechanism, method[mechanism])


@pytest.fixture
def plain_auth_sink(make_sink: MakeSink, tmp_path: Path) -> RunningSmtp:
    users = tmp_path / "smtp-users"
    users.write_text("# test users\nalice:wonderland\nbob:builder\n")
    return make_sink(smtp_auth_file=users)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_file_checked_credentials(plain_auth_sink: RunningSmtp, mechanism: str) -> None:
    sink = plain_auth_sink
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            login(client, mechanism, "alice", "looking-glass")
        assert refused.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPAuthenticationError):
            login(client, mechanism, "mallory", "wonderland")
        login(client, mechanism, "alice", "wonderland")
        client.sendmail("a@example.com", ["b@example.com"], SIMPLE)
    [message] = sink.wait_for_messages(1)
    assert message.envelope.auth_user == "alice"
    assert sink.wait_for_incident("authentication failed for user 'alice'")
    assert sink.context.stats.smtp_rejected == 2


def test_bcrypt_entries_are_checked_and_cram_md5_is_not_offered(
    make_sink: MakeSink, tmp_path: Path
) -> None:
    hashed = bcrypt.hashpw(b"wonderland", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2y$")
    users = tmp_path / "smtp-users"
    users.write_text(f"alice:{hashed}\nbob:builder\n")
    sink = make_sink(smtp_auth_file=users)
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.ehlo()
        assert client.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert client.docmd("AUTH", "CRAM-MD5")[0] == 504
        with pytest.raises(smtplib.SMTPAuthenticationError):
            login(client, "PLAIN", "alice", "builder")
        login(client, "LOGIN", "alice", "wonderland")


def test_auth_exchanges_on_the_wire(plain_auth_sink: RunningSmtp) -> None:
    with RawClient(plain_auth_sink.host, plain_auth_sink.port) as client:
        client.reply()
        client.command("EHLO client.example")
        # LOGIN with the usual "Username:" / "Password:" challenges.
        assert client.command("AUTH LOGIN") == "334 " + b64encode(b"Username:").decode()
        assert client.command(b64encode(b"bob")) == "334 " + b64encode(b"Password:").decode()
        assert client.command(b64encode(b"builder")).startswith("235 2.7.0")
        assert client.command("AUTH PLAIN").startswith("503")  # already authenticated
    with RawClient(plain_auth_sink.host, plain_auth_sink.port) as client:
        client.reply()
        client.command("EHLO client.example")
        challenge = b64decode(client.command("AUTH CRAM-MD5")[4:])
        digest = hmac.new(b"builder", challenge, hashlib.md5).hexdigest()
        assert client.command(b64encode(f"bob {digest}".encode())).startswith("235")
    with RawClient(plain_auth_sink.host, plain_auth_sink.port) as client:
        client.reply()
        client.command("EHLO client.example")
        assert client.command("AUTH PLAIN not-base64!").startswith("501 5.5.2")
        assert client.command("AUTH LOGIN").startswith("334")
        assert client.command("*").startswith("501")  # the client gives up
        assert client.command("AUTH FANCY").startswith("504 5.5.4")
        assert client.command("NOOP").startswith("250")
