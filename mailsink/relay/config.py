"""Relay configuration: where and how stored messages are sent on (Mailpit's release and
auto-relay).

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

Exceptions: `RelayError` (a `ValueError`) for bad configuration and refused releases.
"""

from __future__ import annotations

import email.utils
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mailsink.line_config import config_lines

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
    try:
        return {
            key: _unquote(value) for _, key, value in config_lines(text, ":", source, "key: value")
        }
    except ValueError as error:
        raise RelayError(str(error)) from None


def _unquote(value: str) -> str:
    """A YAML scalar's text: quotes removed, or a trailing ` # comment` dropped."""
    if value[:1] in ("'", '"'):
        closing = value.find(value[0], 1)
        if closing != -1:
            return value[1:closing]
    return re.sub(r"\s+#.*$", "", value)


def _port(value: Any, source: str) -> int:
    text = str(value)
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
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
