"""`Relay`: sends messages to the configured upstream server with smtplib, in a worker thread.

`Relay.release` is `POST /api/v1/message/{ID}/release`: it refuses with `RelayError` and
Mailpit's messages.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import secrets
import smtplib
import ssl
from collections.abc import Callable, Iterable
from pathlib import Path

from mailsink.relay.config import RelayConfig, RelayError, load_relay_config
from mailsink.relay.headers import edit_headers

log = logging.getLogger(__name__)

RELAY_TIMEOUT_SECONDS = 30


class Relay:
    """Sends messages to the configured upstream server with smtplib, in a worker thread."""

    def __init__(self, config: RelayConfig) -> None:
        self.config = config

    @classmethod
    def from_file(cls, path: Path) -> Relay:
        return cls(load_relay_config(path))

    @property
    def server(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    async def release(self, raw: bytes, recipients: list[str], mail_from: str) -> None:
        """Release a stored message to `recipients`, as Mailpit does: Bcc dropped, a fresh Date
        and Message-ID (unless preserve-message-ids), Return-Path and From as configured."""
        addresses = self._checked_recipients(recipients)
        headers: dict[str, str] = {"Date": email.utils.formatdate(localtime=True)}
        if not self.config.preserve_message_ids:
            headers["Message-ID"] = f"<{secrets.token_urlsafe(16)}@mailsink>"
        if self.config.return_path:
            headers["Return-Path"] = f"<{self.config.return_path}>"
        message = edit_headers(raw, remove={"bcc"}, replace=headers)
        await self.send(message, addresses, self.config.return_path or mail_from)

    def _checked_recipients(self, recipients: list[str]) -> list[str]:
        addresses, not_allowed, blocked = [], [], []
        for text in recipients:
            _, address = email.utils.parseaddr(text)
            if "@" not in address:
                raise RelayError(f"Invalid email address: {text}")
            allowed = self.config.allowed_recipients
            if allowed is not None and not allowed.search(address):
                not_allowed.append(text)
            elif (
                self.config.blocked_recipients is not None
                and self.config.blocked_recipients.search(address)
            ):
                blocked.append(text)
            addresses.append(address)
        if not_allowed:
            listed = ", ".join(not_allowed)
            raise RelayError(f"Failed: {_plural(not_allowed)} do not match the allowlist: {listed}")
        if blocked:
            raise RelayError(f"Failed: {_plural(blocked)} found on blocklist: {', '.join(blocked)}")
        if not addresses:
            raise RelayError("No valid addresses found")
        return addresses

    async def send(self, message: bytes, recipients: list[str], mail_from: str) -> None:
        """Send `message` as it is (but for override-from); raises `RelayError("SMTP error: …")`."""
        if self.config.override_from:
            message = edit_headers(
                message, remove=set(), replace={"From": self.config.override_from}
            )
            mail_from = self.config.override_from
        await asyncio.to_thread(self._send, message, recipients, mail_from)

    def _send(self, message: bytes, recipients: list[str], mail_from: str) -> None:
        try:
            with self._connect() as client:
                self._authenticate(client)
                options = (
                    ["SMTPUTF8"] if not all(a.isascii() for a in [mail_from, *recipients]) else []
                )
                refused = client.sendmail(mail_from, recipients, message, mail_options=options)
        except smtplib.SMTPResponseException as error:
            text = error.smtp_error.decode("utf-8", "replace")
            raise RelayError(f"SMTP error: {error.smtp_code} {text}") from error
        except smtplib.SMTPRecipientsRefused as error:
            raise RelayError(
                f"SMTP error: every recipient refused: {_refusals(error.recipients)}"
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise RelayError(f"SMTP error: {error or type(error).__name__}") from error
        if refused:
            log.warning("relay via %s refused some recipients: %s", self.server, _refusals(refused))

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context()
        if config.allow_insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if config.tls:
            return smtplib.SMTP_SSL(
                config.host, config.port, timeout=RELAY_TIMEOUT_SECONDS, context=context
            )
        client = smtplib.SMTP(config.host, config.port, timeout=RELAY_TIMEOUT_SECONDS)
        try:
            if config.starttls:
                client.starttls(context=context)
        except BaseException:
            client.close()
            raise
        return client

    def _authenticate(self, client: smtplib.SMTP) -> None:
        config = self.config
        if config.auth == "none":
            return
        client.ehlo_or_helo_if_needed()
        client.user = config.username
        client.password = config.secret if config.auth == "cram-md5" else config.password
        mechanism: Callable[..., str] = {
            "plain": client.auth_plain,
            "login": client.auth_login,
            "cram-md5": client.auth_cram_md5,
        }[config.auth]
        client.auth(config.auth.upper(), mechanism)

    def auto_relay_recipients(self, recipients: Iterable[str]) -> list[str]:
        """Of a new message's recipients, those relay-all / relay-matching sends it to."""
        config = self.config
        chosen = [
            r
            for r in recipients
            if not (config.blocked_recipients and config.blocked_recipients.search(r))
        ]
        if config.relay_all:
            return chosen
        if config.relay_matching is not None:
            return [r for r in chosen if config.relay_matching.search(r)]
        return []


def _plural(items: list[str]) -> str:
    return "Address" if len(items) == 1 else "Addresses"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(
        f"{r} ({code} {text.decode('utf-8', 'replace')})" for r, (code, text) in refused.items()
    )
