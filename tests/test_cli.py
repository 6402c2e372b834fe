"""The `mailsink` command: options, environment, listening lines, shutdown, persistence."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
from pathlib import Path

import pytest

from mailsink.cli import OPTIONS, config_from
from mailsink.config import HostPort
from mailsink.events import ChangeHub
from mailsink.store.sqlite import SqliteStore
from tests.conftest import run_cli

FREE = ("--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0")


def mailsink(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailsink", *args], capture_output=True, text=True, timeout=60
    )


def test_help_documents_every_option_with_default_and_environment_variable() -> None:
    result = mailsink("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for option in OPTIONS:
        assert option.flag in text
        assert option.env in text
    assert "default: 127.0.0.1:1025" in text


def test_version() -> None:
    result = mailsink("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("mailsink ")


def test_defaults_are_the_documented_ones() -> None:
    config = config_from([], {})
    assert config.smtp == HostPort("127.0.0.1", 1025)
    assert config.listen == HostPort("127.0.0.1", 8025)
    assert config.store == "sqlite"
    assert config.database is None
    assert config.smtp_max_size == 50 * 1024 * 1024
    assert config.smtp_hostname == "mailsink"
    assert config.database_pool_size == 8


def test_environment_applies_and_flags_win() -> None:
    env = {"MAILSINK_SMTP_STRICT": "yes", "MAILSINK_MAX": "5", "MAILSINK_SMTP": ":2525"}
    config = config_from(["--max", "7", "--allowed-host", "a.test, b.test"], env)
    assert config.smtp_strict is True
    assert config.max_messages == 7
    assert config.smtp == HostPort("127.0.0.1", 2525)
    assert config.allowed_hosts == ("a.test", "b.test")
    assert config_from(["--smtp-strict=no"], env).smtp_strict is False
    assert config_from(["--smtp", "[::1]:0", "--webroot", "mail"], {}).webroot == "/mail/"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--store", "memory", "--database", "x.db"], {}, "contradict"),
        (["--smtp", "nonsense"], {}, "HOST:PORT"),
        ([], {"MAILSINK_SMTP_STRICT": "perhaps"}, "MAILSINK_SMTP_STRICT"),
        (["--max-age", "soon"], {}, "duration"),
        (["--smtp-tls-key", "k.pem"], {}, "--smtp-tls-cert"),
        (["--log-level", "loud"], {}, "log-level"),
        (["--link-check-allow-private"], {}, "--enable-link-check"),
        (["--dns-override", "/nonexistent/dns.txt"], {}, "--dns-override"),
        ([], {"MAILSINK_SPAMASSASSIN": "spamd"}, "HOST:PORT"),
        (["--database", "postgresql://db/mail", "--database-pool-size", "0"], {}, "1 or more"),
        (["--database", "postgresql://db/mail", "--database-pool-size", "-3"], {}, "1 or more"),
        (
            ["--database", "postgresql://db/mail"],
            {"MAILSINK_DATABASE_POOL_SIZE": "many"},
            "got 'many'",
        ),
        (["--database", "mail.db", "--database-pool-size", "4"], {}, "needs --database postgresql"),
        (["--database-pool-size", "4"], {}, "needs --database postgresql"),
        (
            ["--database", "postgresql://u:s3cret@[db/mail"],
            {},
            "postgresql://USER:PASSWORD@HOST/DB",
        ),
    ],
)
def test_bad_options_stop_with_a_one_line_error(
    args: list[str], env: dict[str, str], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mailsink", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    assert result.returncode == 2
    assert message in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert "s3cret" not in result.stderr


def test_prints_listening_lines_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with run_cli(*FREE, env={"TMPDIR": str(tmp_path)}) as cli:
        host, port = cli.smtp
        assert host == "127.0.0.1"
        assert port > 0
        assert cli.url.startswith("http://127.0.0.1:")
        assert cli.url.endswith("/")
        with smtplib.SMTP(host, port, timeout=30) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nbody\r\n")
        assert list(tmp_path.iterdir()), "the temporary database lives in TMPDIR"
        assert cli.stop(signal.SIGTERM) == 0
    assert list(tmp_path.iterdir()) == [], "the temporary database is removed at exit"


def test_sigint_stops_cleanly() -> None:
    with run_cli(*FREE) as cli:
        assert cli.stop(signal.SIGINT) == 0
        assert "Traceback" not in cli.process.communicate()[1]


def test_port_in_use_is_a_clear_error() -> None:
    with run_cli(*FREE) as cli:
        _, port = cli.smtp
        result = mailsink("--smtp", f"127.0.0.1:{port}", "--listen", "127.0.0.1:0")
        assert result.returncode != 0
        assert "Traceback" not in result.stderr
        assert "mailsink:" in result.stderr


def read_subjects(database: Path) -> list[bytes]:
    store = SqliteStore(database, ChangeHub())
    try:
        stored = store.search(limit=None, oldest_first=True)
        return [store.raw(m.id) or b"" for m in stored]
    finally:
        store.close()


def test_database_persists_across_restarts(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    for n in range(2):
        with run_cli(*FREE, "--database", str(database)) as cli:
            with smtplib.SMTP(*cli.smtp, timeout=30) as client:
                client.sendmail("a@example.com", ["b@example.com"], f"Subject: {n}\r\n\r\nx\r\n")
            assert cli.stop() == 0
    assert read_subjects(database) == [b"Subject: 0\r\n\r\nx\r\n", b"Subject: 1\r\n\r\nx\r\n"]


def test_acknowledged_messages_survive_sigkill(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    sent = []
    with run_cli(*FREE, "--database", str(database)) as cli:
        with smtplib.SMTP(*cli.smtp, timeout=30) as client:
            for n in range(200):
                raw = f"Subject: durable {n}\r\n\r\nbody {n}\r\n".encode()
                client.sendmail("a@example.com", ["b@example.com"], raw)
                sent.append(raw)  # only after the 250
        cli.stop(signal.SIGKILL)
    assert read_subjects(database) == sent


def test_swaks_with_defaults_is_accepted(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    with run_cli(*FREE, "--database", str(database)) as cli:
        host, port = cli.smtp
        result = subprocess.run(
            ["swaks", "--to", "a@b.c", "--server", f"{host}:{port}"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "250" in result.stdout
        cli.stop()
    [raw] = read_subjects(database)
    assert b"To: a@b.c" in raw
