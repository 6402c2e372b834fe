"""One `Config` for the whole sink, built from flags and environment by `mailsink.cli` or from
keyword arguments by `MailSink`. The defaults are those of docs/interface.md, Command line and
environment."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_POOL_SIZE = 8  # a PostgreSQL node's connections for its reads and its writer


@dataclass(frozen=True, slots=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Config:
    smtp: HostPort = field(default_factory=lambda: HostPort("127.0.0.1", 1025))
    smtps: HostPort | None = None
    listen: HostPort | None = field(default_factory=lambda: HostPort("127.0.0.1", 8025))
    webroot: str = "/"
    # A SQLite file, or a postgresql:// URL (text: a Path would fold its "//"); None: a
    # temporary SQLite file removed at exit.
    database: Path | str | None = None
    database_pool_size: int = DEFAULT_DATABASE_POOL_SIZE  # with a PostgreSQL `database`
    store: str = "sqlite"  # "sqlite" or "memory"
    max_messages: int = 0  # 0 = unlimited
    max_age_seconds: float = 0  # 0 = unlimited
    smtp_tls_cert: str | None = None  # a PEM path, or "auto" for a self-signed certificate
    smtp_tls_key: Path | None = None
    smtp_require_starttls: bool = False
    smtp_auth_file: Path | None = None
    smtp_auth_required: bool = False
    smtp_strict: bool = False
    smtp_max_size: int = 50 * 1024 * 1024
    smtp_max_recipients: int = 1000
    smtp_max_connections: int = 1000
    smtp_timeout: float = 60.0
    smtp_hostname: str = "mailsink"
    ui_auth_file: Path | None = None
    allowed_hosts: tuple[str, ...] = ()
    api_cors: tuple[str, ...] = ()
    enable_chaos: bool = False
    chaos_triggers: str | None = None
    smtp_relay_config: Path | None = None
    pop3: HostPort | None = None  # POP3 listener (off)
    pop3s: HostPort | None = None  # implicit-TLS POP3 listener (off)
    pop3_auth_file: Path | None = None
    imap: HostPort | None = None  # read-only IMAP listener (off)
    imaps: HostPort | None = None  # implicit-TLS IMAP listener (off)
    imap_auth_file: Path | None = None
    enable_link_check: bool = False
    link_check_allow_private: bool = False
    spamassassin: HostPort | None = None
    dns_override: Path | None = None
    webhook_urls: tuple[str, ...] = ()
    webhook_limit: float = 1.0  # POSTs a second to each URL; 0 = no limit
    metrics: bool = False  # /metrics on the HTTP listener
    metrics_listen: HostPort | None = None  # /metrics on a listener of its own
    mailbox_rules: Path | None = None  # a TOML file of routing rules (mailsink.mailboxes.rules)
    mailbox_from_client: bool = True  # without rules: X-Mailsink-Mailbox, AUTH mailbox:NAME
    log_level: str = "info"


POSTGRES_URL_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(database: Path | str | None) -> bool:
    """Whether `--database` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(database, str) and database.startswith(POSTGRES_URL_SCHEMES)


def parse_database(text: str) -> Path | str:
    """A postgresql:// URL as it is, else the path of a SQLite file. A URL that does not
    parse is refused here, in words that do not repeat it (it may hold a password)."""
    if not is_postgres_url(text):
        return Path(text)
    try:
        urlsplit(text)
    except ValueError as error:
        raise ValueError(f"expected a postgresql://USER:PASSWORD@HOST/DB URL: {error}") from None
    return text


def parse_pool_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"expected a whole number of connections, 1 or more, got {text!r}")
    return value


def shown_database(database: Path | str) -> str:
    """`--database` as logs, errors and /api/v1/info may show it: a URL without its password.

    >>> shown_database("postgresql://mail:secret@db.example:5432/mail?sslmode=require")
    'postgresql://mail@db.example:5432/mail?sslmode=require'
    """
    if not is_postgres_url(database):
        return str(database)
    try:
        parts = urlsplit(str(database))
    except ValueError:
        return f"{str(database).partition('//')[0]}//… (a URL that does not parse)"
    if parts.password is None:
        return str(database)
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit(parts._replace(netloc=user + netloc))


def parse_host_port(text: str) -> HostPort:
    """Parse "HOST:PORT", "[v6]:PORT" or ":PORT" (host 127.0.0.1).

    >>> parse_host_port("[::1]:0")
    HostPort(host='::1', port=0)
    """
    host, sep, port = text.rpartition(":")
    if not sep or not (port.isascii() and port.isdigit()) or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT with a port from 0 to 65535, got {text!r}")
    host = host.removeprefix("[").removesuffix("]") or "127.0.0.1"
    return HostPort(host, int(port))


def parse_duration(text: str) -> float:
    """Parse a retention age such as "7d", "12h", "30m", "45s" or plain seconds into seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    value = text.strip().lower()
    factor = units.get(value[-1:])
    number = value[:-1] if factor else value
    try:
        seconds = float(number) * (factor or 1)
    except ValueError:
        raise ValueError(f"expected a duration such as 7d, 12h, 30m or 45s, got {text!r}") from None
    if seconds < 0:
        raise ValueError(f"expected a duration of 0 or more, got {text!r}")
    return seconds


def parse_webroot(text: str) -> str:
    """Normalise a path prefix to start and end with "/" ("mail" → "/mail/")."""
    parts = [p for p in text.split("/") if p]
    if any(p in (".", "..") or not p.isprintable() for p in parts):
        raise ValueError(f"expected a URL path such as /mail/, got {text!r}")
    return "/" + "".join(p + "/" for p in parts)


def parse_http_url(text: str) -> str:
    """An absolute http:// or https:// URL, returned as given."""
    parts = urllib.parse.urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL, got {text!r}")
    return text.strip()
