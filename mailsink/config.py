"""One `Config` for the whole sink, built from flags and environment by `mailsink.cli` or from
keyword arguments by `MailSink`. Defaults are CONTRACT §1's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
    database: Path | None = None  # None: a temporary SQLite file removed at exit
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
    log_level: str = "info"
