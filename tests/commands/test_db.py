"""`mailsink db upgrade`: a database's schema brought up to date without starting a sink."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailsink.cli import config_from
from tests.postgres_cluster import PostgresCluster


def mailsink(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailsink", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def empty_database(postgres_cluster: PostgresCluster) -> Iterator[str]:
    with postgres_cluster.database(migrated=False) as url:
        yield url


def test_database_is_a_sqlite_path_or_a_postgresql_url() -> None:
    url = "postgresql://mail@db.example:5432/mail"
    assert config_from(["--database", url], {}).database == url
    assert config_from([], {"MAILSINK_DATABASE": url}).database == url
    assert config_from(["--database", "dir/x.db"], {}).database == Path("dir/x.db")


def test_upgrade_migrates_a_postgresql_database_once(empty_database: str) -> None:
    first = mailsink("db", "upgrade", "--database", empty_database)
    assert (first.returncode, first.stdout) == (0, "migrated the schema to version 1\n")
    again = mailsink("db", "upgrade", env={"MAILSINK_DATABASE": empty_database})
    assert (again.returncode, again.stdout) == (0, "the schema is at version 1 already\n")


def test_upgrade_opens_a_sqlite_file(tmp_path: Path) -> None:
    result = mailsink("db", "upgrade", "--database", str(tmp_path / "mail.db"))
    assert result.returncode == 0
    assert result.stdout.startswith("the schema is at version ")


def test_an_unreachable_database_is_a_one_line_error_without_the_password(
    postgres_cluster: PostgresCluster,
) -> None:
    url = f"postgresql://postgres:s3cret@127.0.0.1:{postgres_cluster.port}/missing"
    result = mailsink("db", "upgrade", "--database", url)
    assert result.returncode == 1
    assert result.stderr.startswith("mailsink db upgrade: cannot open postgresql://postgres@")
    assert "s3cret" not in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["db"], ["db", "upgrade"], ["db", "downgrade"]])
def test_a_bad_db_command_is_a_usage_error(args: list[str]) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "MAILSINK_DATABASE"}
    result = subprocess.run(
        [sys.executable, "-m", "mailsink", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )
    assert result.returncode == 2
    assert "usage: mailsink db" in result.stderr
