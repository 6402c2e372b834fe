"""Hands messages to a running sink over SMTP, for `sendmail` and `ingest`.

Failures become a `DeliveryError` (`SinkUnreachable` when no SMTP session could be had)
carrying sendmail's exit status (sysexits.h): a 4xx reply, a timeout or a dropped connection
is temporary (`EX_TEMPFAIL`, 75); a sink that cannot be reached is `EX_UNAVAILABLE` (69); a
refused recipient is `EX_NOUSER` (67); a refused sender or message is `EX_DATAERR` (65).
"""

from __future__ import annotations

import os
import re
import smtplib
from types import TracebackType
from typing import Self

from mailsink.config import HostPort

SMTP_TIMEOUT_SECONDS = 60.0
LOGIN_PASSWORD = "mailsink"  # for `login`: any password will do, unless an auth file decides
_LINE_END = re.compile(rb"\r\n|\r|\n")


def with_crlf_lines(raw: bytes) -> bytes:
    """`raw` with every line ending made CRLF, as SMTP carries it (and as a real sendmail or
    smtplib sends a text message): files and pipes usually end lines with LF alone."""
    return _LINE_END.sub(b"\r\n", raw)


class DeliveryError(Exception):
    """A message the sink did not take; `status` is the exit status that says why."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class SinkUnreachable(DeliveryError):
    """No SMTP session could be had with the sink at all: trying further messages is futile."""


def _reply_status(code: int, permanent: int) -> int:
    return os.EX_TEMPFAIL if 400 <= code < 500 else permanent


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


class SmtpDelivery:
    """One SMTP connection, opened on first use and reused for every message; after a dropped
    connection the next message opens a new one. With `login`, each connection first AUTHs as
    that user, with a password the sink ignores unless an auth file says otherwise (the way
    to name a mailbox: `mailbox:NAME`)."""

    def __init__(
        self,
        address: HostPort,
        timeout: float = SMTP_TIMEOUT_SECONDS,
        *,
        login: str | None = None,
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.login = login
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def _connected(self) -> smtplib.SMTP:
        if self._client is None:
            client = smtplib.SMTP(timeout=self.timeout)
            try:
                client.connect(self.address.host, self.address.port)
                client.ehlo_or_helo_if_needed()
                if self.login is not None:
                    client.login(self.login, LOGIN_PASSWORD)
            except (smtplib.SMTPException, OSError) as error:
                client.close()
                raise self._unreachable(error) from None
            self._client = client
        return self._client

    def _unreachable(self, error: smtplib.SMTPException | OSError) -> SinkUnreachable:
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return SinkUnreachable(
                f"the sink at {self.address} refused AUTH as {self.login!r}: "
                f"{_reply_text(error.smtp_code, error.smtp_error)}",
                os.EX_NOPERM,
            )
        if isinstance(error, smtplib.SMTPResponseException):
            return SinkUnreachable(
                f"the sink at {self.address} refused the connection: "
                f"{_reply_text(error.smtp_code, error.smtp_error)}",
                _reply_status(error.smtp_code, os.EX_UNAVAILABLE),
            )
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        return SinkUnreachable(
            f"cannot reach the sink at {self.address}: {reason}", os.EX_UNAVAILABLE
        )

    def send(self, mail_from: str, recipients: list[str], raw: bytes) -> dict[str, str]:
        """Deliver `raw` (exact: give it CRLF line endings first; smtplib stuffs the dots);
        returns the recipients refused while others were accepted, with the sink's reply."""
        client = self._connected()
        options = []
        if not raw.isascii() and client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        if not all(a.isascii() for a in (mail_from, *recipients)) and client.has_extn("smtputf8"):
            options.append("SMTPUTF8")
        try:
            refused = client.sendmail(mail_from, recipients, raw, mail_options=options)
        except smtplib.SMTPRecipientsRefused as error:
            replies = error.recipients.values()
            temporary = all(400 <= code < 500 for code, _ in replies)
            raise DeliveryError(
                "every recipient was refused: "
                + "; ".join(f"{r}: {_reply_text(*reply)}" for r, reply in error.recipients.items()),
                os.EX_TEMPFAIL if temporary else os.EX_NOUSER,
            ) from None
        except smtplib.SMTPSenderRefused as error:
            reply = _reply_text(error.smtp_code, error.smtp_error)
            raise DeliveryError(
                f"sender {error.sender!r} refused: {reply}",
                _reply_status(error.smtp_code, os.EX_DATAERR),
            ) from None
        except smtplib.SMTPDataError as error:
            raise DeliveryError(
                f"message refused: {_reply_text(error.smtp_code, error.smtp_error)}",
                _reply_status(error.smtp_code, os.EX_DATAERR),
            ) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(
                f"the sink answered {_reply_text(error.smtp_code, error.smtp_error)}",
                _reply_status(error.smtp_code, os.EX_UNAVAILABLE),
            ) from None
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._client = None
            raise DeliveryError(
                f"connection to the sink at {self.address} lost: {error or type(error).__name__}",
                os.EX_TEMPFAIL,
            ) from None
        return {address: _reply_text(*reply) for address, reply in refused.items()}
