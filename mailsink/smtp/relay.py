"""Relay: send stored messages on to a real SMTP server (Mailpit's message release and auto-relay).

`--smtp-relay-config PATH` names a file with Mailpit's relay keys, either as JSON or as the flat
`key: value` YAML that Mailpit users already have:

    host: smtp.example.com
    port: 587
    starttls: true            # or `tls: true` for implicit TLS
    allow-insecure: false     # skip certificate checks
    auth: plain               # none, plain, login, cram-md5
    username: me
    password: secret          # `secret:` for cram-md5
    return-path: bounces@example.com
    override-from: noreply@example.com
    preserve-message-ids: false
    allowed-recipients: '@example\\.com$'
    blocked-recipients: '^ceo@'
    relay-all: false          # Mailpit's --smtp-relay-all
    relay-matching: '@qa\\.example\\.com$'   # Mailpit's --smtp-relay-matching

`Relay.release` is `POST /api/v1/message/{ID}/release`: it refuses with `RelayError` and Mailpit's
messages. `AutoRelay` sends each new message on as it is stored, when relay-all or relay-matching
is set. Exceptions: `RelayError` (a `ValueError`) for bad configuration and refused releases.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import re
import secrets
import smtplib
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailsink.events import Change, ChangeKind
from mailsink.store.base import Store, StoredMessage

log = logging.getLogger(__name__)

RELAY_TIMEOUT_SECONDS = 30
_BOOLEAN_KEYS = {"starttls", "tls", "allow-insecure", "preserve-message-ids", "relay-all"}
_TEXT_KEYS = {
    "host",
    "auth",
    "username",
    "password",
    "secret",
    "return-path",
    "override-from",
    "allowed-recipients",
    "blocked-recipients",
    "relay-matching",
}
_IGNORED_KEYS = {"forward-smtp-errors"}  # Mailpit keys with no meaning here
_AUTH_METHODS = {"none": "none", "false": "none", "": "none", "plain": "plain", "login": "login"}


class RelayError(ValueError):
    """A relay that cannot be configured or a release that was refused; the text is the answer."""


@dataclass(frozen=True, slots=True)
class RelayConfig:
    host: str
    port: int = 25
    starttls: bool = False
    tls: bool = False
    allow_insecure: bool = False
    auth: str = "none"  # none, plain, login, cram-md5
    username: str = ""
    password: str = ""
    secret: str = ""  # the CRAM-MD5 password
    return_path: str = ""
    override_from: str = ""
    preserve_message_ids: bool = False
    allowed_recipients: re.Pattern[str] | None = None
    blocked_recipients: re.Pattern[str] | None = None
    relay_all: bool = False
    relay_matching: re.Pattern[str] | None = None


def load_relay_config(path: Path) -> RelayConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RelayError(f"relay configuration {path}: {error.strerror}") from error
    return parse_relay_config(text, source=str(path))


def parse_relay_config(text: str, source: str = "<relay config>") -> RelayConfig:
    """Parse JSON or flat `key: value` lines; raises `RelayError` naming what is wrong."""
    values = (
        _parse_json(text, source) if text.lstrip().startswith("{") else _parse_lines(text, source)
    )
    values = {key.lower().replace("_", "-"): value for key, value in values.items()}
    if "recipient-allowlist" in values:  # Mailpit's deprecated name
        values.setdefault("allowed-recipients", values.pop("recipient-allowlist"))
    options: dict[str, Any] = {}
    for key, value in values.items():
        if key in _IGNORED_KEYS:
            continue
        if key == "port":
            options["port"] = _port(value, source)
        elif key in _BOOLEAN_KEYS:
            options[key.replace("-", "_")] = _boolean(key, value, source)
        elif key in _TEXT_KEYS:
            options[key.replace("-", "_")] = "" if value is None else str(value)
        else:
            raise RelayError(f"{source}: unknown relay setting {key!r}")
    if not options.get("host"):
        raise RelayError(f"{source}: relay host not set")
    for key in ("allowed_recipients", "blocked_recipients", "relay_matching"):
        options[key] = _pattern(key, options.get(key, ""), source)
    options["auth"] = _auth_method(options, source)
    if options.get("starttls") and options.get("tls"):
        raise RelayError(f"{source}: TLS and STARTTLS cannot both be set")
    if options.get("override_from"):
        options["override_from"] = _address(options["override_from"], f"{source}: override-from")
    return RelayConfig(**options)


def _parse_json(text: str, source: str) -> dict[str, Any]:
    try:
        values = json.loads(text)
    except json.JSONDecodeError as error:
        raise RelayError(f"{source}: invalid JSON: {error}") from error
    if not isinstance(values, dict):
        raise RelayError(f"{source}: expected a JSON object")
    return values


def _parse_lines(text: str, source: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, colon, value = stripped.partition(":")
        if not colon or not key.strip():
            raise RelayError(f"{source}:{number}: expected 'key: value', got {stripped!r}")
        values[key.strip()] = _unquote(value.strip())
    return values


def _unquote(value: str) -> str:
    """A YAML scalar's text: quotes removed, or a trailing ` # comment` dropped."""
    if value[:1] in ("'", '"'):
        closing = value.find(value[0], 1)
        if closing != -1:
            return value[1:closing]
    return re.sub(r"\s+#.*$", "", value)


def _port(value: Any, source: str) -> int:
    text = str(value)
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise RelayError(f"{source}: port must be a number from 1 to 65535, got {value!r}")
    return int(text)


def _boolean(key: str, value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off", ""):
        return False
    raise RelayError(f"{source}: {key} must be true or false, got {value!r}")


def _pattern(key: str, value: str, source: str) -> re.Pattern[str] | None:
    if not value:
        return None
    try:
        return re.compile(value)
    except re.error as error:
        raise RelayError(
            f"{source}: {key.replace('_', '-')} is not a valid regexp: {error}"
        ) from error


def _auth_method(options: dict[str, Any], source: str) -> str:
    auth = str(options.get("auth", "")).lower()
    method = "cram-md5" if auth.startswith("cram") else _AUTH_METHODS.get(auth)
    if method is None:
        raise RelayError(f"{source}: authentication method not supported: {auth}")
    password_key = "secret" if method == "cram-md5" else "password"
    if method != "none" and not (options.get("username") and options.get(password_key)):
        raise RelayError(
            f"{source}: username or {password_key} not set for {method} authentication"
        )
    return method


def _address(text: str, what: str) -> str:
    _, address = email.utils.parseaddr(text)
    if "@" not in address:
        raise RelayError(f"{what} is not a valid email address: {text}")
    return address


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


class AutoRelay:
    """Relays each new message to its chosen recipients in the background (relay-all or
    relay-matching). Failures are logged; the message stays stored either way."""

    def __init__(self, relay: Relay, store: Store, loop: asyncio.AbstractEventLoop) -> None:
        self._relay = relay
        self._store = store
        self._loop = loop
        self._tasks: set[asyncio.Task[None]] = set()

    def on_change(self, change: Change) -> None:
        """A `ChangeHub` subscriber: runs on the publishing thread, hands over to the loop."""
        if change.kind is ChangeKind.NEW and change.message is not None:
            self._loop.call_soon_threadsafe(self._start, change.message)

    def _start(self, message: StoredMessage) -> None:
        recipients = self._relay.auto_relay_recipients(message.envelope.rcpt_tos)
        if recipients:
            task = self._loop.create_task(self._forward(message, recipients))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _forward(self, message: StoredMessage, recipients: list[str]) -> None:
        raw = await asyncio.to_thread(self._store.raw, message.id)
        if raw is None:
            return
        try:
            await self._relay.send(raw, recipients, message.envelope.mail_from)
        except RelayError as error:
            log.error("auto-relay of %s via %s failed: %s", message.id, self._relay.server, error)
        else:
            log.info(
                "auto-relayed %s to %s via %s",
                message.id,
                ", ".join(recipients),
                self._relay.server,
            )

    async def close(self) -> None:
        """Wait for relays in progress (each bounded by the SMTP client's timeout)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def edit_headers(raw: bytes, *, remove: set[str], replace: dict[str, str]) -> bytes:
    """`raw` with the header fields named in `remove` (lower-case) dropped and those in `replace`
    set: the first occurrence rewritten in place, later ones dropped, absent ones added on top.
    The body and every other header byte are kept."""
    end = _header_end(raw)
    head, body = raw[:end], raw[end:]
    newline = b"\r\n" if b"\r\n" in head or not head else b"\n"
    pending = {name.lower(): value for name, value in replace.items()}
    names = {name.lower(): name for name in replace}
    kept: list[bytes] = []
    for field in _header_fields(head):
        name = field.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        if name in remove or (name in names and name not in pending):
            continue
        if name in pending:
            field = f"{names[name]}: {pending.pop(name)}".encode() + newline
        kept.append(field)
    added = [f"{names[name]}: {value}".encode() + newline for name, value in pending.items()]
    return b"".join(added + kept) + body


def _header_end(raw: bytes) -> int:
    """Where the header block ends: at the blank line (kept with the body), or the whole text."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i != -1]
    if not ends:
        return len(raw)
    first = min(ends)
    return first + (2 if raw.startswith(b"\r\n", first) else 1)


def _header_fields(head: bytes) -> list[bytes]:
    """The header block split into fields, each with its folded continuation lines."""
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def _plural(items: list[str]) -> str:
    return "Address" if len(items) == 1 else "Addresses"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(
        f"{r} ({code} {text.decode('utf-8', 'replace')})" for r, (code, text) in refused.items()
    )
