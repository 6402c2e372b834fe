"""Raw messages and envelopes for the message-model tests."""

from __future__ import annotations

import email.policy
from datetime import UTC, datetime
from email.message import EmailMessage

from mailsink.message.envelope import Envelope, Recipient


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


def to_bytes(message: EmailMessage) -> bytes:
    """The message as an SMTP client sends it: CRLF line endings."""
    return message.as_bytes(policy=email.policy.SMTP)


def text_message(body: str = "Hello\n", **headers: str) -> EmailMessage:
    message = EmailMessage()
    fields = {"From": "App <app@example.test>", "To": "Bob <bob@example.test>", "Subject": "Hi"}
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    for name, value in fields.items():
        message[name] = value
    message.set_content(body)
    return message


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
