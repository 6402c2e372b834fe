"""Helpers of the POP3 and IMAP tests: a raw line client, and mail filed into other mailboxes."""

from __future__ import annotations

import smtplib
import socket
import ssl

from mailsink import CapturedMessage, MailSink

TIMEOUT = 30.0


def unverified_tls() -> ssl.SSLContext:
    """A client context for the sink's self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class LineClient:
    """A raw TCP client: exact bytes out, lines in, each read bounded by a timeout."""

    def __init__(self, port: int, *, tls: bool = False) -> None:
        sock = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        if tls:
            sock = unverified_tls().wrap_socket(sock)
        self.sock = sock
        self._file = sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self) -> bytes:
        line = self._file.readline()
        if not line:
            raise EOFError("the server closed the connection")
        return line

    def until(self, prefix: bytes) -> list[bytes]:
        """Lines up to and including the first that starts with `prefix`."""
        lines = [self.line()]
        while not lines[-1].startswith(prefix):
            lines.append(self.line())
        return lines

    def command(self, data: bytes, done: bytes) -> list[bytes]:
        self.send(data)
        return self.until(done)

    def close(self) -> None:
        self._file.close()
        self.sock.close()


def file_into(sink: MailSink, mailbox: str, raw: bytes) -> CapturedMessage:
    """Send `raw` over SMTP into `mailbox`, by AUTH as `mailbox:NAME` (the bytes stay as they
    are), and return it once stored."""
    with smtplib.SMTP(sink.host, sink.port, timeout=TIMEOUT) as client:
        client.login(f"mailbox:{mailbox}", "any password")
        client.sendmail("sender@example.com", ["team@example.com"], raw)
    return sink.mailbox(mailbox).wait_for_one(where=lambda message: message.raw == raw)
