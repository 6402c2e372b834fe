"""Benchmark mailsink against stock aiosmtpd (the baseline) and print one table.

    python bench/run.py                     # everything, 3 repetitions (20-40 minutes on 2 cores)
    python bench/run.py --scale 0.02 --reps 1 --only a,b,latency

Sections: a b c d (ingest loads), latency, stored (10,000 and 100,000 messages), ui (time to a
usable inbox with 100,000 stored). Each server is started fresh for each measurement, pinned to
core 1 while the generators run on core 0, and stopped by its PID. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import os
import platform
import shlex
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import browser
import latency
import stored
from loads import LOADS, Load, generator_name, run_load, throughput
from report import Row, Target, percentile, table
from servers import (
    BASELINE,
    MAILSINK,
    SMTP_SINK_KIND,
    RunningServer,
    ServerKind,
    profiled,
    start_server,
)
from servers import wait_for_quiet_machine as wait_for_quiet

SECTIONS = ("a", "b", "c", "d", "latency", "stored", "ui")
RATIO_TARGETS = {"a": 1.0, "b": 1.0, "c": 7.0, "d": 6.0}  # mailsink ÷ stock aiosmtpd
REFERENCE_TARGETS = {"c": 1.0}  # mailsink ÷ Postfix's smtp-sink
STORED_COUNTS = (10_000, 100_000)
IDLE_PROBES = 100
LOADED_PROBES = 300


class Bench:
    def __init__(
        self,
        scale: float,
        reps: int,
        quiet_wait: float,
        server_cpu: int | None,
        client_cpu: int | None,
        profile_dir: Path | None = None,
    ):
        self.scale, self.reps, self.quiet_wait = scale, reps, quiet_wait
        self.profile_dir = profile_dir
        self.profiles = itertools.count(1)
        self.server_cpu, self.client_cpu = server_cpu, client_cpu
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.failed = False

    @contextmanager
    def server(self, kind: ServerKind, purpose: str) -> Iterator[RunningServer]:
        if self.quiet_wait > 0:
            wait_for_quiet(max_wait=self.quiet_wait)
        with start_server(kind, self.server_cpu) as server:
            if self.profile_dir is None or kind is not MAILSINK:
                yield server
                return
            output = self.profile_dir / f"{next(self.profiles):02d}-{purpose}.txt"
            with profiled(server, output):
                yield server
            progress(f"profile: {output}")

    def section(self, name: str, run: Callable[[], list[Row]]) -> None:
        """Run one section; a failure becomes a row saying why, and the others still run."""
        progress(f"[{name}] starting")
        try:
            self.rows += run()
        except Exception as exc:
            traceback.print_exc()
            self.failed = True
            self.rows.append(Row(f"{name}: failed", error=f"{type(exc).__name__}: {exc}"))

    def ingest(self, load: Load) -> list[Row]:
        kinds = [MAILSINK, BASELINE]
        if SMTP_SINK_KIND.available():
            kinds.append(SMTP_SINK_KIND)
        elif "smtp-sink" not in " ".join(self.notes):
            self.notes.append("no smtp-sink column: bench/setup.sh fetches it (Postfix's package)")
        rates = {kind: Row(f"{load.describe()}: msgs/s") for kind in kinds}
        volumes = {kind: Row(f"{load.describe()}: MB/s") for kind in kinds}
        growth = {kind: Row(f"RSS growth receiving {load.describe()}, MiB") for kind in kinds}
        for rep in range(self.reps):
            for kind in kinds:
                with self.server(kind, load.name) as server:
                    rss_before = server.rss_mib()
                    server.reset_peak_rss()
                    seconds = run_load(load, server.smtp_port, self.client_cpu)
                    peak = server.status_kib("VmHWM") / 1024
                    if kind is MAILSINK:
                        self.check_stored(server, load.count, load.name)
                messages, megabytes = throughput(load, seconds)
                rates[kind].mailsink.append(messages)
                volumes[kind].mailsink.append(megabytes)
                if load.count == 1:
                    growth[kind].mailsink.append(peak - rss_before)
                progress(f"[{load.name}] {kind.name} rep {rep + 1}: {messages:,.1f} msgs/s")
        rows = [merge(rates), merge(volumes)]
        rows[0].target = Target("≥", RATIO_TARGETS[load.name], of_ratio=True)
        if load.name in REFERENCE_TARGETS:
            rows[0].reference_target = Target(
                "≥", REFERENCE_TARGETS[load.name], of_ratio=True, of="smtp-sink"
            )
        if load.count == 1:
            rows.append(merge(growth, with_reference=False))  # smtp-sink keeps no message
            rows[-1].target = Target("<", 3 * load.size / (1 << 20), unit="MiB")
        return rows

    def check_stored(self, server: RunningServer, expected: int, load_name: str) -> None:
        """Every acknowledged message must be listed right away (docs/interface.md, Visible and
        durable when acknowledged)."""
        assert server.http_url is not None
        api = stored.ApiClient(server.http_url)
        try:
            total = api.get_json("/api/v1/messages?limit=1")["total"]
        finally:
            api.close()
        if total != expected:
            self.notes.append(f"({load_name}): mailsink listed {total} of {expected} messages")

    def latency(self) -> list[Row]:
        load = LOADS["a"].scaled(self.scale)
        idle, loaded = [], []
        for _ in range(self.reps):
            with self.server(MAILSINK, "latency-idle") as server:
                idle.append(asyncio.run(self.probe(server, IDLE_PROBES, None)))
            with self.server(MAILSINK, "latency-loaded") as server:
                loaded.append(asyncio.run(self.probe(server, LOADED_PROBES, load)))
        rows = []
        for label, runs in (("idle", idle), (f"under load {load.describe()}", loaded)):
            for kind, pick in (("WebSocket new", "websocket"), ("listed by search", "api")):
                for percent in (50, 99):
                    row = Row(f"250 → {kind}, {label}: p{percent} ms")
                    seen = [getattr(run, pick) for run in runs if getattr(run, pick)]
                    row.mailsink = [percentile(times, percent) for times in seen]
                    row.error = "" if seen else "no probe was seen"
                    rows.append(row)
            missed = sum(r.missed for r in runs)
            if missed:
                self.notes.append(f"latency {label}: {missed} probes not seen within 10 s")
            counts = ", ".join(str(len(r.api) + r.missed) for r in runs)
            self.notes.append(f"latency {label}: probes per repetition: {counts}")
        rows[0].target = Target("<", 10, unit="ms")
        return rows

    async def probe(
        self, server: RunningServer, samples: int, load: Load | None
    ) -> latency.LatencySamples:
        assert server.http_url is not None
        if load is None:
            count = max(5, round(samples * self.scale))
            return await latency.measure(server.smtp_port, server.http_url, count, lambda: True)
        sending = asyncio.create_task(
            asyncio.to_thread(run_load, load, server.smtp_port, self.client_cpu)
        )
        try:
            return await latency.measure(
                server.smtp_port, server.http_url, samples, lambda: not sending.done()
            )
        finally:
            await sending

    def stored(self, counts: tuple[int, ...], with_queries: bool, with_ui: bool) -> list[Row]:
        rows = []
        for full_count in counts:
            count = max(10, round(full_count * self.scale))
            is_largest = full_count == STORED_COUNTS[-1]
            with self.server(MAILSINK, f"stored-{count}") as server:
                fill_rate = stored.fill(server, count, self.client_cpu)
                label = f"{count + stored.NEEDLES:,} stored"
                if with_queries:
                    figures = stored.measure(server)
                    targets = is_largest and count == full_count
                    rows += stored_rows(label, figures, fill_rate, targets)
                if with_ui and is_largest:
                    rows.append(self.ui(server, label))
                if with_queries:
                    rows.append(Row(f"{label}: delete-all ms", [stored.delete_all(server)]))
        return rows

    def ui(self, server: RunningServer, label: str) -> Row:
        row = Row(f"{label}: open web UI → first row visible, ms")
        if reason := browser.why_unavailable():
            row.error = f"skipped: {reason}"
            return row
        assert server.http_url is not None
        row.mailsink = browser.time_to_usable_inbox(server.http_url + "/", self.reps)
        return row


def stored_rows(
    label: str, figures: stored.StoredFigures, fill_rate: float, targets: bool
) -> list[Row]:
    measured = [
        ("fill over SMTP (smtp-source, 8 conn. kept open), msgs/s", fill_rate, None),
        ("list newest 50, p50 ms", figures.list_newest_ms, Target("<", 20, unit="ms")),
        ("word search, p50 ms", figures.word_search_ms, Target("<", 100, unit="ms")),
        ("from: search, p50 ms", figures.from_search_ms, None),
        ("open one message, p50 ms", figures.open_message_ms, None),
        ("process RSS, MiB", figures.rss_mib, Target("<", 150, unit="MiB")),
        ("database size, MB", figures.database_mb, None),
    ]
    return [
        Row(f"{label}: {what}", [value], target=target if targets else None)
        for what, value, target in measured
    ]


def merge(rows: dict[ServerKind, Row], with_reference: bool = True) -> Row:
    """One row from mailsink's row and the baseline's and smtp-sink's figures (each server's
    row holds its own figures in `mailsink`)."""
    row = rows[MAILSINK]
    row.baseline = rows[BASELINE].mailsink
    if with_reference and SMTP_SINK_KIND in rows:
        row.reference = rows[SMTP_SINK_KIND].mailsink
    return row


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def pinning(requested: bool) -> tuple[int | None, int | None]:
    """(server core, generator core), or (None, None) when pinning is off or impossible."""
    if requested and {0, 1} <= os.sched_getaffinity(0):
        return 1, 0
    return None, None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply message counts (1)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per figure (3)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument(
        "--max-quiet-wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="before each server start, wait up to this long for other processes to calm down "
        "(30; 0 = do not wait)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record every mailsink run with py-spy into DIR (see bench/hotspots.py)",
    )
    args = parser.parse_args(argv)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    if unknown := set(args.only) - set(SECTIONS):
        parser.error(f"--only: unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    if not 0 < args.scale <= 1 or not 1 <= args.reps <= 20:
        parser.error("--scale must be in (0, 1] and --reps in 1..20")
    return args


def main() -> int:
    args = parse_args()
    server_cpu, client_cpu = pinning(not args.no_pin)
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})  # the probes run beside the generator
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    bench = Bench(args.scale, args.reps, args.max_quiet_wait, server_cpu, client_cpu, args.profile)
    started = datetime.datetime.now(datetime.UTC)
    for name in args.only:
        if name in LOADS:
            bench.section(name, lambda name=name: bench.ingest(LOADS[name].scaled(args.scale)))
    if "latency" in args.only:
        bench.section("latency", bench.latency)
    with_queries, with_ui = "stored" in args.only, "ui" in args.only
    if with_queries or with_ui:
        counts = STORED_COUNTS if with_queries else STORED_COUNTS[-1:]
        bench.section("stored", lambda: bench.stored(counts, with_queries, with_ui))
    print(describe_run(started, server_cpu, args))
    print()
    print(table(bench.rows))
    if bench.notes:
        print()
    for note in bench.notes:
        print(f"- {note}")
    return 1 if bench.failed else 0


def describe_run(
    started: datetime.datetime, server_cpu: int | None, args: argparse.Namespace
) -> str:
    pinned = "server on core 1, generator on core 0" if server_cpu is not None else "not pinned"
    return "\n".join(
        [
            f"- date: {started:%Y-%m-%d %H:%M} UTC",
            f"- machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores "
            f"({pinned}), Python {platform.python_version()}",
            f"- command: python bench/run.py {shlex.join(sys.argv[1:])}".rstrip(),
            f"- generator: {generator_name()}; each figure: median [min–max] of {args.reps}",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
