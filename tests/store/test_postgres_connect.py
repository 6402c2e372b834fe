"""A node's start on PostgreSQL: the connections it holds (`--database-pool-size`), and a
database it cannot open, which must stop it promptly with one clear line."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import psycopg
import pytest

from mailsink.config import DEFAULT_DATABASE_POOL_SIZE
from mailsink.events import ChangeHub
from mailsink.store.postgres import PostgresStore
from mailsink.store.postgres.connect import CONNECT_TIMEOUT_SECONDS
from mailsink.store.postgres.store import POOL_APPLICATION_NAME
from tests.conftest import run_cli
from tests.postgres_cluster import PostgresCluster

from .conftest import make_message

FREE = ("--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0")
PASSWORD = "s3cret"


def pool_connections(url: str) -> int:
    """The pool connections open on `url`'s database (the listener's is not one of them)."""
    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            (POOL_APPLICATION_NAME,),
        ).fetchone()
    assert row is not None
    return int(row[0])


# -- the pool -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3])
def test_the_store_holds_as_many_connections_as_its_pool_size(postgres_url: str, size: int) -> None:
    store = PostgresStore(postgres_url, ChangeHub(), pool_size=size)
    try:
        assert pool_connections(postgres_url) == size
        new = make_message(subject="through a pool of one")
        store.add(new).result(timeout=30)  # the writer and the reads share the pool
        assert store.raw(new.id) == new.raw
        assert [m.id for m in store.search()] == [new.id]
        assert pool_connections(postgres_url) == size
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, DEFAULT_DATABASE_POOL_SIZE),
        (["--database-pool-size", "3"], {}, 3),
        ([], {"MAILSINK_DATABASE_POOL_SIZE": "2"}, 2),
    ],
)
def test_the_pool_size_is_a_flag_and_an_environment_variable(
    postgres_url: str, args: list[str], env: dict[str, str], expected: int
) -> None:
    with run_cli(*FREE, "--database", postgres_url, *args, env=env):
        assert pool_connections(postgres_url) == expected


# -- a database that cannot be opened -------------------------------------------------------------


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A port where nothing listens while the test runs (bound, never listening)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) but never answers on them."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield int(server.getsockname()[1])


def start_failing(url: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`python -m mailsink --database URL` run to its end, and how long it took."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mailsink", *FREE, "--database", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, time.monotonic() - started


def assert_one_clear_line(result: subprocess.CompletedProcess[str], shown: str, says: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"mailsink: cannot open {shown} as a mailsink database: "), line
    assert says in line


def test_nothing_listening_at_the_port(refused_port: int) -> None:
    address = f"127.0.0.1:{refused_port}/mail"
    result, seconds = start_failing(f"postgresql://mail:{PASSWORD}@{address}")
    assert_one_clear_line(result, f"postgresql://mail@{address}", "Connection refused")
    assert seconds < 20


@pytest.mark.parametrize(
    ("database", "user", "says"),
    [
        ("no_such_database", "postgres", 'database "no_such_database" does not exist'),
        ("postgres", "nobody", 'role "nobody" does not exist'),
        ("postgres?bogus=1", "postgres", 'invalid URI query parameter: "bogus"'),
    ],
)
def test_a_database_the_server_refuses(
    postgres_cluster: PostgresCluster, database: str, user: str, says: str
) -> None:
    address = f"127.0.0.1:{postgres_cluster.port}/{database}"
    result, seconds = start_failing(f"postgresql://{user}:{PASSWORD}@{address}")
    assert_one_clear_line(result, f"postgresql://{user}@{address}", says)
    assert seconds < 20


def test_a_server_that_never_answers_is_given_up_on_after_the_connect_timeout(
    silent_port: int,
) -> None:
    address = f"127.0.0.1:{silent_port}/mail"
    result, seconds = start_failing(f"postgresql://mail:{PASSWORD}@{address}")
    assert_one_clear_line(result, f"postgresql://mail@{address}", "timeout")
    assert CONNECT_TIMEOUT_SECONDS <= seconds < CONNECT_TIMEOUT_SECONDS + 15


def test_the_urls_own_connect_timeout_wins(silent_port: int) -> None:
    address = f"127.0.0.1:{silent_port}/mail?connect_timeout=2"
    result, seconds = start_failing(f"postgresql://mail:{PASSWORD}@{address}")
    assert_one_clear_line(result, f"postgresql://mail@{address}", "timeout")
    assert seconds < CONNECT_TIMEOUT_SECONDS
