"""Under `pytest -n 2` every worker has its own sink and every test sees only its own mail."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.plugin.conftest import run_inner

PARALLEL_TESTS = """
import os
from pathlib import Path

import pytest


@pytest.mark.parametrize("n", range(12))
def test_only_own_mail(mailsink, mailsink_server, mailsink_address, send, n):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "none")
    Path(os.environ["REPORT_DIR"], f"{n}.txt").write_text(f"{worker} {mailsink_server.port}")
    assert len(mailsink) == 0
    for i in range(3):
        send(mailsink, to=mailsink_address(f"user{i}"), subject=f"test {n} mail {i}")
    got = mailsink.wait_for(3)
    assert [m.subject for m in got] == [f"test {n} mail {i}" for i in range(3)]
    mailsink.assert_no_mail(within=0.05, where=lambda m: not m.subject.startswith(f"test {n} "))
    assert len(mailsink) == 3
"""


def worker_ports(report_dir: Path) -> dict[str, set[int]]:
    ports: dict[str, set[int]] = {}
    for report in report_dir.iterdir():
        worker, port = report.read_text().split()
        ports.setdefault(worker, set()).add(int(port))
    return ports


def test_parallel_tests_are_isolated(
    inner: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.makepyfile(test_parallel=PARALLEL_TESTS)
    monkeypatch.setenv("REPORT_DIR", str(tmp_path))
    run_inner(inner, "-n", "2").assert_outcomes(passed=12)
    ports = worker_ports(tmp_path)
    assert set(ports) == {"gw0", "gw1"}
    assert all(len(p) == 1 for p in ports.values()), ports  # one sink per worker
    assert ports["gw0"] != ports["gw1"]


def two_free_ports_in_a_row() -> int:
    """A port P such that P and P+1 are free right now."""
    while True:
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return int(port)


def test_a_fixed_port_is_shifted_per_worker(
    inner: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.makepyfile(test_parallel=PARALLEL_TESTS)
    monkeypatch.setenv("REPORT_DIR", str(tmp_path))
    port = two_free_ports_in_a_row()
    run_inner(inner, "-n", "2", f"--mailsink-port={port}").assert_outcomes(passed=12)
    assert worker_ports(tmp_path) == {"gw0": {port}, "gw1": {port + 1}}
