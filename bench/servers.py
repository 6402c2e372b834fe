"""Starting, watching and stopping the servers under test, one process each.

mailsink and the baseline announce their listeners on stdout (`SMTP listening on HOST:PORT`,
`HTTP listening on http://HOST:PORT/`), so both binding port 0 and being ready are known from one
line each, with no probing. Postfix's `smtp-sink` (the C reference) announces nothing: it binds
port 0 too, and its port is read from its listening socket in /proc. A server is stopped by its
PID: SIGTERM, then SIGKILL if it has not exited in 10 s.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from loads import SMTP_SINK, postfix_env

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
SMTP_LINE = re.compile(r"^SMTP listening on (\S+):(\d+)$")
HTTP_LINE = re.compile(r"^HTTP listening on (http://\S+?)/?$")


@dataclass(frozen=True)
class ServerKind:
    """How to start one kind of server: `argv(scratch_dir)`, whether it serves HTTP and whether
    it announces its ports on stdout."""

    name: str
    http: bool
    announces: bool = True

    def available(self) -> bool:
        return self.name != "smtp-sink" or SMTP_SINK.exists()

    def argv(self, scratch: Path) -> list[str]:
        if self.name == "smtp-sink":
            # 256: the listen backlog. As root it must be told whom to run as.
            as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
            return [str(SMTP_SINK), *as_user, "127.0.0.1:0", "256"]
        if self.name == "mailsink":
            return [
                sys.executable,
                "-m",
                "mailsink",
                "--smtp",
                "127.0.0.1:0",
                "--listen",
                "127.0.0.1:0",
                "--database",
                str(scratch / "bench.db"),
            ]
        return [sys.executable, str(BENCH / "baseline.py"), "--smtp", "127.0.0.1:0"]


MAILSINK = ServerKind("mailsink", http=True)
BASELINE = ServerKind("baseline", http=False)
# Postfix's smtp-sink, written in C: it answers SMTP and throws every message away.
SMTP_SINK_KIND = ServerKind("smtp-sink", http=False, announces=False)


@dataclass
class RunningServer:
    kind: ServerKind
    process: subprocess.Popen[bytes]
    scratch: Path
    smtp_port: int
    http_url: str | None = None
    stopped: bool = field(default=False)

    def status_kib(self, key: str) -> int:
        """A `/proc/PID/status` figure such as VmRSS or VmHWM, in KiB."""
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        raise RuntimeError(f"no {key} in /proc/{self.process.pid}/status")

    def rss_mib(self) -> float:
        return self.status_kib("VmRSS") / 1024

    def reset_peak_rss(self) -> None:
        """Make VmHWM start again from the current RSS (Linux: clear_refs 5)."""
        with open(f"/proc/{self.process.pid}/clear_refs", "w") as clear_refs:
            clear_refs.write("5")

    def database_mb(self) -> float:
        """Size of the SQLite database with its WAL and shared-memory files, in MB."""
        return sum(p.stat().st_size for p in self.scratch.glob("bench.db*")) / 1e6

    def log_tail(self, limit: int = 3000) -> str:
        text = (self.scratch / "server.log").read_bytes()[-limit:]
        return text.decode("utf-8", "replace")

    def kill(self) -> None:
        """SIGKILL, as a crash would: the scratch directory and its database stay."""
        self.stopped = True
        self.process.kill()
        self.process.wait(STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(STOP_TIMEOUT)
        finally:
            if self.process.stdout is not None:
                self.process.stdout.close()
            shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(kind: ServerKind, cpu: int | None, scratch: Path | None = None) -> RunningServer:
    """Start `kind` pinned to `cpu` (None: not pinned) and wait until it listens; in `scratch`
    to restart on the database a killed server left there, else in a new directory."""
    scratch = scratch or Path(tempfile.mkdtemp(prefix=f"bench-{kind.name}-"))
    argv = kind.argv(scratch)
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    with open(scratch / "server.log", "wb") as log:
        process = subprocess.Popen(
            argv,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,
            env=None if kind.announces else postfix_env(),
        )
    server = RunningServer(kind, process, scratch, smtp_port=0)
    try:
        if kind.announces:
            read_announced_ports(server, START_TIMEOUT)
        else:
            server.smtp_port = wait_for_listening_port(process, START_TIMEOUT)
        if server.smtp_port and (server.http_url or not kind.http):
            return server
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(1)  # its stdout may close a moment before it exits
        exit_code = process.poll()
        problem = (
            f"did not announce its listeners within {START_TIMEOUT:.0f} s"
            if exit_code is None
            else f"exited with code {exit_code} before announcing its listeners"
        )
        raise RuntimeError(f"{kind.name} {problem}; its log ends with:\n{server.log_tail()}")
    except BaseException:
        server.stop()
        raise


def read_announced_ports(server: RunningServer, timeout: float) -> None:
    """Read the server's listening lines into `server` until it has announced all it serves."""
    with contextlib.closing(announced_lines(server.process, timeout)) as lines:
        for line in lines:
            if match := SMTP_LINE.match(line):
                server.smtp_port = int(match[2])
            elif match := HTTP_LINE.match(line):
                server.http_url = match[1]
            if server.smtp_port and (server.http_url or not server.kind.http):
                return


def wait_for_listening_port(process: subprocess.Popen[bytes], timeout: float) -> int:
    """The TCP port the process listens on, once it does (read from /proc every 10 ms); 0 when
    it exits or `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if port := listening_port(process.pid):
            return port
        time.sleep(0.01)
    return 0


def listening_port(pid: int) -> int | None:
    """The port of a TCP socket of `pid` in the LISTEN state, if any (IPv4)."""
    sockets = set()
    with contextlib.suppress(FileNotFoundError):
        for descriptor in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
                if target.startswith("socket:["):
                    sockets.add(target[len("socket:[") : -1])
    with open("/proc/net/tcp") as table:
        next(table)  # the column names
        for line in table:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in sockets:  # 0A: LISTEN
                return int(fields[1].rpartition(":")[2], 16)
    return None


def announced_lines(process: subprocess.Popen[bytes], timeout: float) -> Iterator[str]:
    """Lines the process prints on stdout until `timeout` or its exit."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    pending = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (remaining := deadline - time.monotonic()) > 0:
            if not selector.select(remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                return
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                yield line.decode("utf-8", "replace").strip()


@contextlib.contextmanager
def profiled(server: RunningServer, output: Path) -> Iterator[None]:
    """Sample the server's Python stacks with py-spy while the block runs (collapsed stacks).

    `bench/hotspots.py OUTPUT` summarises the file; speedscope and flamegraph.pl read it too.
    """
    command = ["py-spy", "record", "--pid", str(server.process.pid), "--format", "raw"]
    command += ["--rate", "200", "--nonblocking", "--threads", "--output", str(output)]
    spy = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        try:
            spy.wait(STOP_TIMEOUT * 3)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait(STOP_TIMEOUT)


def wait_for_quiet_machine(limit_percent: float = 25.0, max_wait: float = 30.0) -> float:
    """Wait (at most `max_wait` s) until other processes use under `limit_percent` of one core.

    The machine may be shared; a run that starts while something else is busy measures that
    something too. Returns the last sample, in percent of one core.
    """
    deadline = time.monotonic() + max_wait
    while True:
        before = busy_cpu_seconds()
        time.sleep(0.5)
        percent = 100 * (busy_cpu_seconds() - before) / 0.5
        if percent <= limit_percent or time.monotonic() > deadline:
            return percent


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
