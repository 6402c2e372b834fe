"""The SMTP envelope and session facts captured beside each message's bytes.

The envelope is what the sending application really asked for (MAIL FROM, every RCPT TO),
which the headers may not show (Bcc). It is recorded exactly, parameters included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Recipient:
    """One RCPT TO: the address and its ESMTP parameters (NOTIFY, ORCPT, …) as sent."""

    address: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Envelope:
    """MAIL FROM, RCPT TO and the session a message arrived in.

    `tls` is the protocol version ("TLSv1.3") when the session was encrypted, by STARTTLS or on
    the implicit-TLS listener, else None. `auth_user` is the SMTP AUTH login name, else None.
    `peer` is the client address as "host:port" (IPv6 hosts in brackets).
    """

    mail_from: str
    recipients: tuple[Recipient, ...]
    received: datetime
    mail_from_params: dict[str, str] = field(default_factory=dict)
    helo: str = ""
    peer: str = ""
    auth_user: str | None = None
    tls: str | None = None
    tls_cipher: str | None = None
    mailbox: str = "default"

    @property
    def rcpt_tos(self) -> list[str]:
        """The recipient addresses in RCPT TO order."""
        return [r.address for r in self.recipients]
