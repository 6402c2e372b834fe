"""The private spool of a store without files of its own (PostgreSQL): a new one removes what a
killed process left, never what a running one is using."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from mailsink.message.spool import PrivateSpool

_HOLD_A_SPOOL = """
import sys, time
from mailsink.message.spool import PrivateSpool
spool = PrivateSpool()
(spool.directory / "incoming-half").write_bytes(b"half a message")
print(spool.directory, flush=True)
time.sleep(600)
"""


@pytest.fixture
def temporary_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def hold_a_spool() -> tuple[subprocess.Popen[str], Path]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_A_SPOOL], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    return holder, Path(holder.stdout.readline().strip())


def test_a_killed_process_spool_is_removed_and_a_running_one_kept(
    temporary_directory: Path,
) -> None:
    killed, left = hold_a_spool()
    running, in_use = hold_a_spool()
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        spool = PrivateSpool()
        try:
            assert not left.exists()
            assert (in_use / "incoming-half").read_bytes() == b"half a message"
            assert spool.directory.parent == temporary_directory
        finally:
            spool.close()
        assert not spool.directory.exists()
    finally:
        for holder in (killed, running):
            holder.kill()
            holder.wait()
            assert holder.stdout is not None
            holder.stdout.close()
