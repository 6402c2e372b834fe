"""TLS for every listener (SMTP, POP3, IMAP): the server context (given files or a self-signed
certificate made at start) and the facts recorded in each envelope."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mailsink.config import Config

AUTO = "auto"
SELF_SIGNED_NAMES = ("localhost",)
SELF_SIGNED_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class TlsFacts:
    version: str  # "TLSv1.3"
    cipher: str  # "TLS_AES_256_GCM_SHA384"


def server_context(cert: str | None, key: Path | None) -> ssl.SSLContext:
    """A server-side context from PEM files, or from a fresh self-signed certificate when `cert`
    is "auto" or None. Client certificates are not asked for (a test sink trusts its clients)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert is None or cert == AUTO:
        cert_pem, key_pem = self_signed_certificate()
        # load_cert_chain only reads files; they live just long enough to be loaded.
        with tempfile.TemporaryDirectory(prefix="mailsink-tls-") as scratch:
            cert_path, key_path = Path(scratch, "cert.pem"), Path(scratch, "key.pem")
            cert_path.write_bytes(cert_pem)
            key_path.write_bytes(key_pem)
            context.load_cert_chain(cert_path, key_path)
    else:
        if key is None:
            raise ValueError("--smtp-tls-cert needs --smtp-tls-key (or use --smtp-tls-cert auto)")
        context.load_cert_chain(cert, key)
    return context


def configured_context(config: Config) -> ssl.SSLContext | None:
    """The context STARTTLS (SMTP), STLS (POP3) and STARTTLS (IMAP) offer: the one certificate
    of `--smtp-tls-cert`, or None when none is configured (then no listener offers an upgrade)."""
    if config.smtp_tls_cert is None:
        return None
    return server_context(config.smtp_tls_cert, config.smtp_tls_key)


def implicit_context(configured: ssl.SSLContext | None) -> ssl.SSLContext:
    """The context of an implicit-TLS listener (SMTPS, POP3S, IMAPS): the configured one, else a
    self-signed certificate, so that such a listener works without any certificate option."""
    return configured or server_context(None, None)


def self_signed_certificate() -> tuple[bytes, bytes]:
    """A PEM certificate and key for localhost, 127.0.0.1 and ::1, valid for ten years.

    An EC key: it is made in about a millisecond, where RSA-2048 takes tens."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailsink")])
    now = datetime.datetime.now(datetime.UTC)
    alt_names: list[x509.GeneralName] = [x509.DNSName(n) for n in SELF_SIGNED_NAMES]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in SELF_SIGNED_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return certificate.public_bytes(serialization.Encoding.PEM), key_pem


def tls_facts(transport: asyncio.BaseTransport | None) -> TlsFacts | None:
    """Version and cipher of an encrypted transport (STARTTLS or implicit TLS), else None."""
    if transport is None:
        return None
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    cipher = ssl_object.cipher()
    return TlsFacts(ssl_object.version() or "", cipher[0] if cipher else "")
