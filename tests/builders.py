"""Messages and envelopes for tests, and the one way tests send mail over SMTP.

Every suite builds its messages here, so a message that needs another header or part gets it
in one place. The suites differ only in their defaults: the HTTP tests' `compose` writes a Date
and a Message-ID taken from the subject (the API shows both), the message-model tests'
`text_message` writes neither (the standards checks look for them), and the UI tests pass the
sender their rows are read by.
"""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from typing import Protocol

from mailsink.message.envelope import Envelope, Recipient

DATE = "Tue, 02 Jan 2024 03:04:05 +1300"


class SmtpAddress(Protocol):
    """Anything with the `host` and `port` of an SMTP listener (a `MailSink`, a test harness)."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int: ...


def compose(
    subject: str = "Hello",
    *,
    mail_from: str = "Sender Name <sender@example.com>",
    to: str = "Rcpt <rcpt@example.com>",
    text: str = "Hello there\n",
    html: str | None = None,
    date: str | None = DATE,
    message_id: str | None = "",
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A text message (with an HTML alternative when `html` is given). `message_id=""` takes
    one from the subject (`<Hello-there@example.com>`); `date` or `message_id` None leaves
    that header out."""
    message = EmailMessage(policy=SMTP)
    message["From"] = mail_from
    message["To"] = to
    message["Subject"] = subject
    if date is not None:
        message["Date"] = date
    if message_id == "":
        message_id = f"<{subject.replace(' ', '-')}@example.com>"
    if message_id is not None:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def text_message(body: str = "Hello\n", **headers: str) -> EmailMessage:
    """A message without Date or Message-ID; keyword arguments set or replace headers
    (`Reply_To="…"` is `Reply-To`)."""
    fields = {"From": "App <app@example.test>", "To": "Bob <bob@example.test>", "Subject": "Hi"}
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    return compose(
        fields.pop("Subject"),
        mail_from=fields.pop("From"),
        to=fields.pop("To"),
        text=body,
        date=None,
        message_id=None,
        headers=fields,
    )


def newsletter() -> EmailMessage:
    """mixed[ alternative[ text, related[ html, cid image ] ], pdf ]."""
    message = text_message("Plain version\n")
    message.add_alternative(
        '<html><body><p>HTML <b>version</b></p><img src="cid:logo@x"></body></html>',
        subtype="html",
    )
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    html_part.add_related(b"\x89PNG\r\n\x1a\nfake", "image", "png", cid="<logo@x>")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf"
    )
    return message


def many_parts(count: int) -> bytes:
    """A multipart/mixed message of `count` text parts."""
    head = b"From: a@example.test\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
    part = b"--B\r\nContent-Type: text/plain\r\n\r\npart\r\n"
    return head + part * count + b"--B--\r\n"


def nested(levels: int) -> bytes:
    """`levels` multiparts, each the only child of the one above, a text part at the bottom."""
    lines = [b"From: a@example.test"]
    for level in range(levels):
        lines += [b"Content-Type: multipart/mixed; boundary=b%d" % level, b"", b"--b%d" % level]
    lines += [b"Content-Type: text/plain", b"", b"deep"]
    lines += [b"--b%d--" % level for level in reversed(range(levels))]
    return b"\r\n".join(lines) + b"\r\n"


# Parts an attacker sends, by type, each marking the page it runs in: a script sets
# `window.pwned`, a style sheet sets the `--pwned` property, a document reaches into its parent.
HOSTILE_PARTS: dict[str, bytes] = {
    "application/javascript": b"window.pwned = 'application/javascript';",
    "text/javascript": b"window.pwned = 'text/javascript';",
    "text/css": b":root { --pwned: 1; }",
    "text/html": b"<script>parent.pwned = 'text/html';</script>",
    "image/svg+xml": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>parent.pwned = "svg";</script></svg>'
    ),
    "application/xhtml+xml": (
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body>'
        b"<script>parent.pwned = 'xhtml';</script></body></html>"
    ),
    "text/xml": (
        b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml">'
        b"parent.pwned = 'xml';</x:script>"
    ),
}


def hostile_message() -> EmailMessage:
    """A text part (PartID 1), then each of `HOSTILE_PARTS` attached in order (PartIDs 2, 3…)."""
    message = compose("hostile parts")
    for number, (content_type, data) in enumerate(HOSTILE_PARTS.items()):
        maintype, subtype = content_type.split("/")
        message.add_attachment(
            data, maintype=maintype, subtype=subtype, filename=f"part{number}.{subtype}"
        )
    return message


def to_bytes(message: EmailMessage) -> bytes:
    """The message as an SMTP client sends it: CRLF line endings."""
    return message.as_bytes(policy=SMTP)


def make_envelope(
    mail_from: str = "app@example.test",
    rcpts: tuple[str, ...] = ("bob@example.test",),
    **mail_from_params: str,
) -> Envelope:
    return Envelope(
        mail_from=mail_from,
        recipients=tuple(Recipient(r) for r in rcpts),
        received=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        mail_from_params=dict(mail_from_params),
    )


def send_over_smtp(
    server: SmtpAddress,
    message: EmailMessage | bytes | str,
    *,
    mail_from: str = "sender@example.com",
    to: tuple[str, ...] | list[str] = ("rcpt@example.com",),
) -> None:
    """Send one message over a real SMTP connection; returns once the server said `250`."""
    raw = to_bytes(message) if isinstance(message, EmailMessage) else message
    with smtplib.SMTP(server.host, server.port, timeout=30) as client:
        client.sendmail(mail_from, list(to), raw)
