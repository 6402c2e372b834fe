"""Recipe: STARTTLS and AUTH with certificate verification on, against a test CA.

The test makes its own certificate authority with `cryptography`, gives the sink a certificate
signed by it, and trusts only that CA on the client: the app's TLS code runs exactly as in
production (hostname checked, chain verified) instead of with verification turned off.
The sink here needs options of its own, so the test runs one with `MailSink` (the Python API
behind the fixtures, with the same methods); `@pytest.mark.mailsink(...)` does the same for
options that need no files made at run time.
"""

from __future__ import annotations

import datetime
import ipaddress
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mailsink import MailSink

SMTP_USER, SMTP_PASSWORD = "app", "s3cret"


@dataclass(frozen=True)
class SinkCertificates:
    ca: Path  # what the client trusts
    server_cert: Path
    server_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> SinkCertificates:
    """A CA and a server certificate it signed, for localhost and 127.0.0.1."""
    directory = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    valid = {
        "not_valid_before": now - datetime.timedelta(hours=1),
        "not_valid_after": now + datetime.timedelta(days=1),
    }

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder(
            issuer_name=_name("mailsink test CA"),
            subject_name=_name("mailsink test CA"),
            public_key=ca_key.public_key(),
            serial_number=x509.random_serial_number(),
            **valid,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder(
            issuer_name=ca_cert.subject,
            subject_name=_name("localhost"),
            public_key=server_key.public_key(),
            serial_number=x509.random_serial_number(),
            **valid,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    found = SinkCertificates(
        directory / "ca.pem", directory / "server.pem", directory / "server.key"
    )
    found.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    found.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    found.server_key.write_bytes(_pem_key(server_key))
    return found


@pytest.fixture
def secure_sink(certificates: SinkCertificates, tmp_path: Path) -> Iterator[MailSink]:
    """A sink that refuses mail before STARTTLS and before AUTH, and checks the password."""
    users = tmp_path / "smtp-users"
    users.write_text(f"{SMTP_USER}:{SMTP_PASSWORD}\n")
    with MailSink(
        smtp_tls_cert=str(certificates.server_cert),
        smtp_tls_key=certificates.server_key,
        smtp_require_starttls=True,
        smtp_auth_required=True,
        smtp_auth_file=users,
    ) as sink:
        yield sink


def send_invoice(host: str, port: int, tls: ssl.SSLContext) -> None:
    """The application's mail code: STARTTLS, then AUTH."""
    message = EmailMessage()
    message["From"] = "billing@example.com"
    message["To"] = "customer@example.com"
    message["Subject"] = "Invoice 42"
    message.set_content("Please find your invoice online.\n")
    with smtplib.SMTP(host, port, timeout=30) as client:
        client.starttls(context=tls)
        client.login(SMTP_USER, SMTP_PASSWORD)
        client.send_message(message)


def test_mail_goes_over_verified_tls_with_auth(
    secure_sink: MailSink, certificates: SinkCertificates
) -> None:
    trust_test_ca = ssl.create_default_context(cafile=certificates.ca)  # chain and hostname
    send_invoice(secure_sink.host, secure_sink.port, trust_test_ca)

    invoice = secure_sink.wait_for_one(subject="Invoice 42")
    assert invoice.envelope.tls in ("TLSv1.2", "TLSv1.3")
    assert invoice.envelope.auth_user == SMTP_USER


def test_a_client_that_does_not_trust_the_ca_refuses_the_server(secure_sink: MailSink) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        send_invoice(secure_sink.host, secure_sink.port, ssl.create_default_context())
    secure_sink.assert_no_mail(within=0.1)


def test_plain_text_mail_is_refused(secure_sink: MailSink) -> None:
    with smtplib.SMTP(secure_sink.host, secure_sink.port, timeout=30) as client:
        client.ehlo()
        code, reply = client.mail("billing@example.com")
    assert code == 530, reply
