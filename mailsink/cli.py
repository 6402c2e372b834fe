"""The `mailsink` command: flags and environment → `Config` → `Server` until SIGINT/SIGTERM.

Every option is a flag and an environment variable (`--smtp-auth-file` ⇔
`MAILSINK_SMTP_AUTH_FILE`); flags win. Booleans take 1/true/yes or 0/false/no; repeatable
options take a comma-separated list. A first argument that names a command
(`mailsink sendmail …`, `ingest`, `dump`) runs that command instead (`mailsink.commands`); their
options read their own variables (`MAILSINK_INGEST_DATABASE`), so a server's environment never
redirects them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailsink.config import (
    Config,
    is_postgres_url,
    parse_database,
    parse_duration,
    parse_host_port,
    parse_http_url,
    parse_pool_size,
    parse_webroot,
)
from mailsink.version import __version__

if TYPE_CHECKING:
    from mailsink.server import Server

log = logging.getLogger("mailsink")

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"expected 1/true/yes or 0/false/no, got {text!r}")


def parse_list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def parse_count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"expected 0 or more, got {text!r}")
    return value


def parse_positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError(f"expected a number above 0, got {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class Option:
    flag: str
    field: str  # the Config field it sets
    help: str
    parse: Callable[[str], Any] = str
    boolean: bool = False
    metavar: str | None = None
    env_prefix: str = "MAILSINK_"
    repeatable: bool = False  # the flag may be given again; values join as a list would

    @property
    def env(self) -> str:
        return self.env_prefix + self.flag.removeprefix("--").replace("-", "_").upper()


def parse_url_list(text: str) -> tuple[str, ...]:
    return tuple(parse_http_url(url) for url in parse_list(text))


def parse_rate(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise ValueError(f"expected a number of 0 or more, got {text!r}")
    return value


def parse_store(text: str) -> str:
    if text not in ("sqlite", "memory"):
        raise ValueError(f"expected sqlite or memory, got {text!r}")
    return text


def parse_tls_cert(text: str) -> str:
    return text if text == "auto" else str(Path(text))


OPTIONS = (
    Option(
        "--smtp",
        "smtp",
        "SMTP listener; port 0 = any free port",
        parse_host_port,
        metavar="HOST:PORT",
    ),
    Option(
        "--smtps", "smtps", "extra implicit-TLS SMTP listener", parse_host_port, metavar="HOST:PORT"
    ),
    Option(
        "--listen",
        "listen",
        "HTTP listener for UI, API and WebSocket",
        parse_host_port,
        metavar="HOST:PORT",
    ),
    Option(
        "--webroot",
        "webroot",
        "serve UI and API under this path prefix",
        parse_webroot,
        metavar="PATH",
    ),
    Option(
        "--database",
        "database",
        "SQLite file kept across restarts (default: a temporary file removed at exit);"
        " messages over 128 KiB are kept beside it in PATH.raw/; or postgresql://USER@HOST/DB"
        " to share one PostgreSQL database between several nodes",
        parse_database,
        metavar="PATH|URL",
    ),
    Option(
        "--database-pool-size",
        "database_pool_size",
        "connections this node holds to a PostgreSQL --database for its reads and its writer"
        " (plus one that listens for other nodes' changes)",
        parse_pool_size,
        metavar="N",
    ),
    Option(
        "--store",
        "store",
        "sqlite, or memory to keep everything in memory",
        parse_store,
        metavar="KIND",
    ),
    Option(
        "--max",
        "max_messages",
        "keep at most N messages, pruning the oldest (0 = unlimited)",
        parse_count,
        metavar="N",
    ),
    Option(
        "--max-age",
        "max_age_seconds",
        "prune messages older than this, e.g. 7d, 12h (0 = unlimited)",
        parse_duration,
        metavar="DURATION",
    ),
    Option(
        "--smtp-tls-cert",
        "smtp_tls_cert",
        "offer STARTTLS with this PEM certificate, or 'auto' for a self-signed one",
        parse_tls_cert,
        metavar="PATH|auto",
    ),
    Option(
        "--smtp-tls-key",
        "smtp_tls_key",
        "PEM private key for --smtp-tls-cert",
        Path,
        metavar="PATH",
    ),
    Option(
        "--smtp-require-starttls",
        "smtp_require_starttls",
        "refuse MAIL before STARTTLS",
        boolean=True,
    ),
    Option(
        "--smtp-auth-file",
        "smtp_auth_file",
        "check AUTH against this htpasswd-style file (plain or bcrypt)",
        Path,
        metavar="PATH",
    ),
    Option(
        "--smtp-auth-required",
        "smtp_auth_required",
        "refuse MAIL before a successful AUTH",
        boolean=True,
    ),
    Option(
        "--smtp-strict",
        "smtp_strict",
        "reject lines over 1,000 bytes and bare LF/CR instead of flagging them",
        boolean=True,
    ),
    Option(
        "--smtp-max-size",
        "smtp_max_size",
        "largest message accepted, in bytes",
        parse_count,
        metavar="BYTES",
    ),
    Option(
        "--smtp-max-recipients",
        "smtp_max_recipients",
        "most RCPT TO per message",
        parse_count,
        metavar="N",
    ),
    Option(
        "--smtp-max-connections",
        "smtp_max_connections",
        "most simultaneous SMTP connections",
        parse_count,
        metavar="N",
    ),
    Option(
        "--smtp-timeout",
        "smtp_timeout",
        "cut idle or slow SMTP clients after this many seconds",
        parse_positive,
        metavar="SECONDS",
    ),
    Option(
        "--smtp-hostname",
        "smtp_hostname",
        "name in the SMTP greeting and EHLO reply",
        metavar="NAME",
    ),
    Option(
        "--ui-auth-file",
        "ui_auth_file",
        "require HTTP basic auth from this htpasswd-style file",
        Path,
        metavar="PATH",
    ),
    Option(
        "--allowed-host",
        "allowed_hosts",
        "extra Host names the HTTP server answers (comma-separated)",
        parse_list,
        metavar="NAME,...",
    ),
    Option(
        "--api-cors",
        "api_cors",
        "origins allowed to call the API cross-site (comma-separated)",
        parse_list,
        metavar="ORIGIN,...",
    ),
    Option("--enable-chaos", "enable_chaos", "enable Mailpit-style chaos triggers", boolean=True),
    Option(
        "--chaos-triggers",
        "chaos_triggers",
        "chaos triggers, e.g. Sender:451:10,Recipient:550:5",
        metavar="SPEC",
    ),
    Option(
        "--smtp-relay-config",
        "smtp_relay_config",
        "relay configuration file for releasing messages upstream",
        Path,
        metavar="PATH",
    ),
    *(
        option
        for name, what, upgrade in (
            ("pop3", "POP3", "STLS"),
            ("imap", "read-only IMAP", "STARTTLS"),
        )
        for option in (
            Option(
                f"--{name}",
                name,
                f"{what} listener, offering {upgrade} when --smtp-tls-cert is set",
                parse_host_port,
                metavar="HOST:PORT",
            ),
            Option(
                f"--{name}s",
                f"{name}s",
                f"implicit-TLS {name.upper()} listener (the --smtp-tls-cert certificate,"
                " else a self-signed one)",
                parse_host_port,
                metavar="HOST:PORT",
            ),
            Option(
                f"--{name}-auth-file",
                f"{name}_auth_file",
                "check logins against this htpasswd-style file (without it any login is"
                " accepted, and only on loopback addresses)",
                Path,
                metavar="PATH",
            ),
        )
    ),
    Option(
        "--enable-link-check",
        "enable_link_check",
        "let the link check request a message's links (HEAD, timeouts, size cap, no cookies)",
        boolean=True,
    ),
    Option(
        "--link-check-allow-private",
        "link_check_allow_private",
        "let the link check reach loopback, private and link-local addresses",
        boolean=True,
    ),
    Option(
        "--spamassassin",
        "spamassassin",
        "score messages with the SpamAssassin spamd at this address",
        parse_host_port,
        metavar="HOST:PORT",
    ),
    Option(
        "--dns-override",
        "dns_override",
        "DNS records (NAME TYPE VALUE lines) that the checks use before real DNS",
        Path,
        metavar="FILE",
    ),
    Option(
        "--webhook-url",
        "webhook_urls",
        "POST each new message's summary (JSON) to this URL; repeatable, or comma-separated",
        parse_url_list,
        metavar="URL",
        repeatable=True,
    ),
    Option(
        "--webhook-limit",
        "webhook_limit",
        "most webhook POSTs a second to each URL; faster mail is coalesced (0 = no limit)",
        parse_rate,
        metavar="N",
    ),
    Option(
        "--metrics",
        "metrics",
        "serve Prometheus metrics at /metrics on the HTTP listener",
        boolean=True,
    ),
    Option(
        "--metrics-listen",
        "metrics_listen",
        "serve Prometheus metrics at /metrics on a listener of their own",
        parse_host_port,
        metavar="HOST:PORT",
    ),
    Option(
        "--mailbox-rules",
        "mailbox_rules",
        "TOML file of rules that file mail into named mailboxes (see README, Mailboxes)",
        Path,
        metavar="PATH",
    ),
    Option(
        "--mailbox-from-client",
        "mailbox_from_client",
        "without --mailbox-rules, let a client pick the mailbox with an X-Mailsink-Mailbox"
        " header or AUTH as mailbox:NAME",
        boolean=True,
    ),
    Option("--log-level", "log_level", "debug, info, warning or error", str.lower, metavar="LEVEL"),
)


def describe_default(value: object) -> str:
    if value is None or value is False:
        return "off"
    if value is True:
        return "on"
    if isinstance(value, tuple):
        return ", ".join(value) or "none"
    return str(value)


COMMANDS_HELP = (
    "commands: mailsink sendmail (a sendmail for PHP, cron, git send-email), mailsink ingest"
    " (import .eml, mbox, Maildir), mailsink dump (export as .eml or mbox), mailsink db upgrade"
    " (migrate a database's schema before upgrading nodes); each has --help."
)
ENVIRONMENT_HELP = "Booleans take 1/true/yes or 0/false/no in the environment; flags win over it."


def add_options(
    parser: argparse.ArgumentParser,
    options: Sequence[Option],
    defaults: object,
    *,
    plain_switches: bool = False,
) -> None:
    """Add `options` to `parser`, each help text ending with its default (the attribute of
    `defaults` named by the option's field) and its environment variable. Booleans take an
    optional value (`--smtp-strict=no`), or with `plain_switches` none, for a command whose
    positional arguments would otherwise be read as that value."""
    for option in options:
        shown = describe_default(getattr(defaults, option.field))
        text = f"{option.help} (default: {shown}; env {option.env})"
        if option.boolean and plain_switches:
            parser.add_argument(
                option.flag, dest=option.field, action="store_const", const="true", help=text
            )
        elif option.boolean:
            parser.add_argument(
                option.flag, dest=option.field, nargs="?", const="true", metavar="BOOL", help=text
            )
        elif option.repeatable:
            parser.add_argument(
                option.flag, dest=option.field, action="append", metavar=option.metavar, help=text
            )
        else:
            parser.add_argument(option.flag, dest=option.field, metavar=option.metavar, help=text)


def read_options(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    options: Sequence[Option],
    environ: dict[str, str],
) -> dict[str, Any]:
    """The values given for `options`, by flag or else by environment variable (absent ones
    left out); a value that does not parse stops the program with a one-line error."""
    values: dict[str, Any] = {}
    for option in options:
        text = getattr(args, option.field)
        if isinstance(text, list):  # a repeatable flag given more than once
            text = ",".join(text)
        source = option.flag
        if text is None and option.env in environ:
            text, source = environ[option.env], option.env
        if text is None:
            continue
        parse = parse_bool if option.boolean else option.parse
        try:
            values[option.field] = parse(text)
        except ValueError as exc:
            parser.error(f"{source}: {exc}")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailsink",
        description="A local SMTP test sink: accepts all mail, delivers none, shows it all.",
        epilog=f"{ENVIRONMENT_HELP} {COMMANDS_HELP}",
    )
    parser.add_argument("--version", action="version", version=f"mailsink {__version__}")
    add_options(parser, OPTIONS, Config())
    return parser


def config_from(argv: Sequence[str] | None, environ: dict[str, str]) -> Config:
    """Flags, then environment, then defaults; raises SystemExit with a one-line error."""
    parser = build_parser()
    values = read_options(parser, parser.parse_args(argv), OPTIONS, environ)
    if values.get("store") == "memory" and "database" in values:
        parser.error("--store memory and --database contradict each other: choose one")
    if "database_pool_size" in values and not is_postgres_url(values.get("database")):
        parser.error(
            "--database-pool-size sizes the PostgreSQL store's connection pool:"
            " it needs --database postgresql://…"
        )
    if "smtp_tls_key" in values and values.get("smtp_tls_cert") in (None, "auto"):
        parser.error("--smtp-tls-key needs --smtp-tls-cert PATH")
    if values.get("smtp_tls_cert") not in (None, "auto") and "smtp_tls_key" not in values:
        parser.error("--smtp-tls-cert PATH needs --smtp-tls-key PATH")
    if values.get("smtp_require_starttls") and "smtp_tls_cert" not in values:
        parser.error("--smtp-require-starttls needs --smtp-tls-cert")
    if values.get("link_check_allow_private") and not values.get("enable_link_check"):
        parser.error("--link-check-allow-private needs --enable-link-check")
    if "dns_override" in values:
        _check_dns_override(parser, values["dns_override"])
    if "mailbox_rules" in values:
        from mailsink.mailboxes.rules import load_mailbox_rules

        try:
            load_mailbox_rules(values["mailbox_rules"])  # a bad file stops us here, in one line
        except ValueError as exc:
            parser.error(f"--mailbox-rules: {exc}")
    if values.get("log_level", "info") not in ("debug", "info", "warning", "error"):
        parser.error(
            f"--log-level: expected debug, info, warning or error, got {values['log_level']!r}"
        )
    return Config(**values)


def _check_dns_override(parser: argparse.ArgumentParser, path: Path) -> None:
    """A bad override file stops the start, rather than every later check."""
    from mailsink.checks.resolver import OverrideFileError, parse_overrides

    try:
        parse_overrides(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, OverrideFileError) as exc:
        parser.error(f"--dns-override: {exc}")


def announce(server: Server) -> None:
    """The listening lines (docs/interface.md, Listening lines), on stdout, flushed."""
    for listener in server.listeners:
        host = f"[{listener.host}]" if ":" in listener.host else listener.host
        if listener.kind == "HTTP":
            print(f"HTTP listening on http://{host}:{listener.port}{server.config.webroot}")
        elif listener.kind == "Metrics":
            print(f"Metrics listening on http://{host}:{listener.port}/metrics")
        else:
            print(f"{listener.kind} listening on {host}:{listener.port}")
    sys.stdout.flush()


async def serve(config: Config) -> None:
    from mailsink.server import Server  # not needed for --help and --version

    server = Server(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    announce(server)
    await stop.wait()
    log.info("shutting down")
    await server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve, or run the command named by the first argument. Installed as `sendmail` (a
    symlink to the `mailsink` script), it is `mailsink sendmail`."""
    if argv is None:
        argv = sys.argv[1:]
        if Path(sys.argv[0]).name == "sendmail":
            argv = ["sendmail", *argv]
    from mailsink.commands import COMMANDS, run_command

    if argv and argv[0] in COMMANDS:
        sys.exit(run_command(argv[0], argv[1:]))
    config = config_from(argv, dict(os.environ))
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if config.log_level != "debug":
        # aiosmtpd logs every SMTP command at INFO, which costs CPU on every command under load.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
    from mailsink.server import run_event_loop
    from mailsink.store.base import StoreUnavailable

    try:
        run_event_loop(serve(config))
    except (OSError, StoreUnavailable) as exc:
        sys.exit(f"mailsink: {exc}")
