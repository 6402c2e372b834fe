"""The ingest loads (a)-(d) and the generators that send them.

Postfix's `smtp-source` (C) is the generator: on 2 cores a Python generator saturates before the
servers do. It cannot cap messages per connection, so a load with several messages per
connection runs one `smtp-source -s 1 -d` per connection, `concurrency` of them at a time.
When smtp-source is missing (bench/setup.sh not run), `smtpclient.py` stands in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

BENCH = Path(__file__).resolve().parent
POSTFIX = BENCH / ".peers" / "postfix"
SMTP_SOURCE = POSTFIX / "usr" / "sbin" / "smtp-source"
SMTP_SINK = POSTFIX / "usr" / "sbin" / "smtp-sink"
RUN_TIMEOUT = 600.0
# smtp-source's own headers (From, To, Date, Message-Id, Subject with the options below).
SMTP_SOURCE_HEADER_BYTES = 150
MB = 1e6


@dataclass(frozen=True)
class Load:
    name: str
    count: int
    size: int
    concurrency: int
    per_connection: int

    def describe(self) -> str:
        size = f"{self.size // 1024} KB" if self.size < 1 << 20 else f"{self.size >> 20} MB"
        shape = f"{self.count:,} × {size}"
        if self.concurrency > 1:
            shape += f", {self.concurrency} conc."
        if self.per_connection > 1:
            shape += f", {self.per_connection}/conn."
        return f"({self.name}) {shape}"

    def scaled(self, scale: float) -> Load:
        """Fewer messages for a smoke run; a single-message load stays as it is."""
        if self.count == 1:
            return self
        count = max(1, round(self.count * scale))
        return replace(self, count=count, per_connection=min(self.per_connection, count))


LOADS = {
    "a": Load("a", 5000, 2048, concurrency=8, per_connection=1),
    "b": Load("b", 5000, 2048, concurrency=8, per_connection=100),
    "c": Load("c", 200, 1 << 20, concurrency=4, per_connection=1),
    "d": Load("d", 1, 25 << 20, concurrency=1, per_connection=1),
}


def have_smtp_source() -> bool:
    return SMTP_SOURCE.exists()


def generator_name() -> str:
    return "smtp-source" if have_smtp_source() else "smtpclient.py (Python fallback)"


def run_load(load: Load, port: int, cpu: int | None) -> float:
    """Send `load` to 127.0.0.1:`port`; returns the wall time in seconds."""
    started = time.perf_counter()
    if not have_smtp_source():
        run_generator(python_generator_argv(load, port), cpu)
    elif load.per_connection == 1:
        run_generator(smtp_source_argv(load.count, load.concurrency, load, port), cpu)
    else:
        sizes = connection_sizes(load)
        with ThreadPoolExecutor(load.concurrency) as lanes:
            runs = [
                lanes.submit(run_generator, smtp_source_argv(n, 1, load, port), cpu) for n in sizes
            ]
            for run in runs:
                run.result()
    return time.perf_counter() - started


def connection_sizes(load: Load) -> list[int]:
    full, rest = divmod(load.count, load.per_connection)
    return [load.per_connection] * full + ([rest] if rest else [])


def smtp_source_argv(count: int, sessions: int, load: Load, port: int) -> list[str]:
    argv = [str(SMTP_SOURCE), "-s", str(sessions), "-m", str(count)]
    argv += ["-l", str(max(1, load.size - SMTP_SOURCE_HEADER_BYTES))]
    argv += ["-f", "load@bench.test", "-t", "inbox@bench.test", "-S", "bench load"]
    argv += ["-M", "bench.test"]
    if load.per_connection > 1:
        argv.append("-d")  # keep the connection for the next message
    return [*argv, f"127.0.0.1:{port}"]


def python_generator_argv(load: Load, port: int) -> list[str]:
    return [
        sys.executable,
        str(BENCH / "smtpclient.py"),
        f"--port={port}",
        f"--count={load.count}",
        f"--concurrency={load.concurrency}",
        f"--per-connection={load.per_connection}",
        f"--size={load.size}",
    ]


def run_generator(argv: list[str], cpu: int | None) -> None:
    name = Path(argv[0] if argv[0] != sys.executable else argv[1]).name
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu), *argv]
    result = subprocess.run(
        argv, env=postfix_env(), capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    # smtp-source reports refused messages and broken sessions on stderr, not in its exit code.
    if result.returncode != 0 or result.stderr.strip():
        errors = result.stderr.decode(errors="replace").strip()[-500:]
        raise RuntimeError(f"{name} failed (exit {result.returncode}): {errors}")


def postfix_env() -> dict[str, str]:
    """The environment for Postfix's programs unpacked in bench/.peers: their own libraries."""
    return dict(os.environ, LD_LIBRARY_PATH=str(POSTFIX / "usr" / "lib" / "postfix"))


def throughput(load: Load, seconds: float) -> tuple[float, float]:
    """(messages/s, MB/s) for `load` sent in `seconds`."""
    return load.count / seconds, load.count * load.size / MB / seconds
