"""Fixtures shared by the core tests: a running in-process sink and a `mailsink` process
(messages and the SMTP sender are in tests/builders.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailsink import MailSink
from mailsink.config import HostPort
from tests.postgres_cluster import PostgresCluster, find_server_binaries

# pytester drives the pytest plugin's tests (tests/plugin); pytest allows this only here.
pytest_plugins = ["pytester"]


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(store="memory") as running:
        yield running


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of this test session's own (one per xdist worker)."""
    binaries = find_server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin):"
            " scripts/install-test-deps installs Debian's postgresql package"
        )
    cluster = PostgresCluster(binaries)
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """The URL of an empty mailsink database of this test's own."""
    with postgres_cluster.database() as url:
        yield url


class RunningCli:
    """A `mailsink` process started by a test, with the addresses it printed."""

    def __init__(self, process: subprocess.Popen[str], listening: dict[str, str]) -> None:
        self.process = process
        self.listening = listening

    @property
    def smtp(self) -> tuple[str, int]:
        host, _, port = self.listening["SMTP"].rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def url(self) -> str:
        return self.listening["HTTP"]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=30)


@contextlib.contextmanager
def run_cli(*args: str, env: dict[str, str] | None = None) -> Iterator[RunningCli]:
    """Run `python -m mailsink ARGS` until it has printed its listening lines."""
    expected = {"SMTP"} | ({"HTTP"} if "--listen" in args else set())
    process = subprocess.Popen(
        [sys.executable, "-m", "mailsink", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    listening: dict[str, str] = {}
    try:
        assert process.stdout is not None
        while not expected <= listening.keys():
            line = process.stdout.readline()  # blocks until a line or EOF: no polling
            if not line:
                raise RuntimeError(f"mailsink exited early: {process.communicate()[1]}")
            kind, _, address = line.strip().partition(" listening on ")
            listening[kind] = address
        yield RunningCli(process, listening)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Block until `condition()` holds (checked on a short interval), or fail: for what no
    event announces, such as a file growing."""
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the condition did not become true in time")


SPAMD = shutil.which("spamd") or ("/usr/sbin/spamd" if Path("/usr/sbin/spamd").exists() else None)


def free_port() -> int:
    """A port free now (for servers such as spamd that cannot report one they chose)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def spamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostPort]:
    if SPAMD is None:
        pytest.skip("spamd is not installed (Debian: apt-get install spamd; see install-test-deps)")
    port = free_port()  # spamd cannot report a port it chose itself
    pidfile = tmp_path_factory.mktemp("spamd") / "spamd.pid"
    process = subprocess.Popen(
        [
            SPAMD,
            f"--listen=127.0.0.1:{port}",
            "--allowed-ips=127.0.0.1",
            "--local",  # no network tests (DNS blocklists, Razor)
            "--max-children=1",
            "--nouser-config",
            "--username=nobody",
            "--syslog=stderr",
            f"--pidfile={pidfile}",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:  # blocks per line until spamd says it is ready: no polling
            if "server successfully spawned child" in line:
                break
        else:
            pytest.fail(f"spamd exited before it was ready (code {process.wait()})")
        # spamd logs every check to stderr: keep reading, so the pipe never fills up
        drain = threading.Thread(target=process.stderr.read, daemon=True)
        drain.start()
        yield HostPort("127.0.0.1", port)
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()
