"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, `initdb` into a
temporary directory, a free port on 127.0.0.1, trust authentication, no fsync (the cluster
dies with the test session; what the tests kill is mailsink, never PostgreSQL).

As root (CI), the server runs as the `postgres` user, which PostgreSQL requires. Each test
gets a database of its own, so that tests never see each other's mail or notifications:
`database()` hands out one with mailsink's schema, emptied after its test and handed out
again (copying a database costs half a second, emptying one a few milliseconds);
`database(migrated=False)` an unused one with only `pg_trgm`, for the migration tests.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

from mailsink.store.postgres import upgrade_database

TEMPLATE = "mailsink_template"  # pg_trgm only
MIGRATED_TEMPLATE = "mailsink_migrated"  # and mailsink's tables
_START_ATTEMPTS = 3  # another process may take the free port before the server binds it


def find_server_binaries() -> Path | None:
    """The directory of `initdb` and `pg_ctl`: Debian keeps them off PATH, per version."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


class PostgresCluster:
    def __init__(self, binaries: Path, *, fsync: bool = False) -> None:
        """`fsync=True` for figures that should count PostgreSQL's disk flushes (bench/)."""
        self._binaries = binaries
        self._run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.directory = Path(tempfile.mkdtemp(prefix="mailsink-pg-"))
        if self._run_as:
            shutil.chown(self.directory, "postgres")
        self.port = 0
        self._data = self.directory / "data"
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C.UTF-8",
        )
        for attempt in range(_START_ATTEMPTS):
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self._data),
                    "-l",
                    str(self.directory / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                    "-o",
                    f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
                    f" -c fsync={'on' if fsync else 'off'} -c max_connections=300",
                )
                break
            except subprocess.CalledProcessError:
                if attempt == _START_ATTEMPTS - 1:
                    raise
        with self.connect("postgres") as db:
            db.execute(f"CREATE DATABASE {TEMPLATE}")
        with self.connect(TEMPLATE) as db:
            db.execute("CREATE EXTENSION pg_trgm")
        with self.connect("postgres") as db:
            db.execute(f"CREATE DATABASE {MIGRATED_TEMPLATE} TEMPLATE {TEMPLATE}")
        upgrade_database(self.url(MIGRATED_TEMPLATE))
        self._idle: list[str] = []
        self._created = 0

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True)

    @contextlib.contextmanager
    def database(self, *, migrated: bool = True) -> Iterator[str]:
        """A database of the caller's own, empty; yields its URL."""
        if migrated and self._idle:
            name = self._idle.pop()
        else:
            self._created += 1
            name = f"test_{self._created}"
            template = MIGRATED_TEMPLATE if migrated else TEMPLATE
            with self.connect("postgres") as db:
                db.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        try:
            yield self.url(name)
        finally:
            with self.connect("postgres") as db:
                if migrated:
                    _disconnect_all(db, name)
                else:
                    db.execute(f"DROP DATABASE {name} WITH (FORCE)")
            if migrated:
                with self.connect(name) as db:
                    _empty_mailsink_tables(db)
                self._idle.append(name)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self._data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._run_as, str(self._binaries / program), *args],
            check=True,
            capture_output=True,
            cwd=self.directory,
            timeout=120,
        )


def _disconnect_all(db: psycopg.Connection, database: str) -> None:
    """End every session on `database` (a store a test left open, say) and wait for them."""
    db.execute(
        "SELECT pg_terminate_backend(pid, 30000) FROM pg_stat_activity"
        " WHERE datname = %s AND pid != pg_backend_pid()",
        (database,),
    )


def _empty_mailsink_tables(db: psycopg.Connection) -> None:
    tables = [
        name
        for (name,) in db.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename NOT IN ('mailsink_schema', 'store_state')"
        )
    ]
    db.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY")
    db.execute("UPDATE store_state SET last_seq = 0")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
