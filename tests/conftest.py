"""Fixtures shared by the core tests: a running in-process sink and a `mailsink` process
(messages and the SMTP sender are in tests/builders.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from mailsink import MailSink

# pytester drives the pytest plugin's tests (tests/plugin); pytest allows this only here.
pytest_plugins = ["pytester"]


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(store="memory") as running:
        yield running


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
