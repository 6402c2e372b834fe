"""Loads (a)-(d) and the `250` → event latency on the PostgreSQL store, next to SQLite.

Three setups, each started fresh for every figure:
- `sqlite`: one node with `--database FILE` (the default store, durable);
- `postgres`: one node with `--database postgresql://…`;
- `postgres×2`: two nodes on one database, each sent half of the load at the same time (as a
  load balancer would), and the latency probes sent to node A and watched on node B: from the
  client reading node A's `250` to node B's WebSocket `new` event and to node B's search
  listing the message. With one node, A and B are that node.

PostgreSQL is a throwaway cluster started like the tests' (`tests/postgres_cluster.py`), with
fsync on, in a temporary directory on this machine; each figure gets an empty database.
Nothing is pinned to a core: the nodes, PostgreSQL and the generator share the machine.

    python bench/postgres.py --scale 0.1 --reps 1
    python bench/postgres.py --only latency --reps 3
    python bench/postgres.py --only stored --stored 1000000 --fill bulk

`--stored N` fills one PostgreSQL database with N messages and times listing, searching and
opening on a node started on it. `--fill smtp` (the default) sends them to the node over SMTP,
as `stored.py` does (hours for 1,000,000 on 2 cores); `--fill bulk` stores them before the node
starts, through the store's own insert in large transactions (`pg_fill.py`). The table goes
to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import latency
import pg_fill
import psycopg
import stored
from loads import LOADS, Load, generator_name, run_load
from report import percentile, spread
from servers import MAILSINK, REPO, RunningServer, ServerKind, start_server

sys.path.insert(0, str(REPO))
from tests.postgres_cluster import PostgresCluster, find_server_binaries

SETUPS = ("sqlite", "postgres", "postgres×2")
SECTIONS = ("a", "b", "c", "d", "latency", "stored")
FILLS = ("smtp", "bulk")
IDLE_PROBES = 100
LOADED_PROBES = 300


@dataclass(frozen=True)
class PostgresNode(ServerKind):
    """mailsink on a PostgreSQL database."""

    url: str = ""

    def argv(self, scratch: Path) -> list[str]:
        command = MAILSINK.argv(scratch)
        return [*command[: command.index("--database") + 1], self.url]


@dataclass
class Figures:
    """A row of the table: one list of figures (one a repetition) per setup."""

    measure: str
    values: dict[str, list[float]]

    def cells(self) -> list[str]:
        return [self.measure, *(spread(self.values.get(setup, [])) for setup in SETUPS)]


class Bench:
    def __init__(self, cluster: PostgresCluster, scale: float, reps: int) -> None:
        self.cluster = cluster
        self.scale = scale
        self.reps = reps

    @contextmanager
    def nodes(self, setup: str) -> Iterator[list[RunningServer]]:
        """The setup's running nodes (one, or two on one database), each figure afresh."""
        with ExitStack() as stack:
            if setup == "sqlite":
                yield [stack.enter_context(start_server(MAILSINK, None))]
                return
            url = stack.enter_context(self.cluster.database())
            count = 2 if setup == "postgres×2" else 1
            yield [stack.enter_context(_start_node(url)) for _ in range(count)]

    def load(self, load: Load) -> list[Figures]:
        rates: dict[str, list[float]] = {}
        for setup in SETUPS:
            for rep in range(self.reps):
                with self.nodes(setup) as nodes:
                    seconds = _send_split(load, nodes)
                    listed = _total(nodes[-1])
                    if listed != load.count:
                        raise RuntimeError(f"{setup}: {listed} of {load.count} listed")
                rates.setdefault(setup, []).append(load.count / seconds)
                progress(f"[{load.name}] {setup} rep {rep + 1}: {load.count / seconds:,.1f} msgs/s")
        return [Figures(f"{load.describe()}: msgs/s", rates)]

    def latency(self) -> list[Figures]:
        load = LOADS["a"].scaled(self.scale)
        rows: list[Figures] = []
        for label, probes, background in (
            ("idle", max(5, round(IDLE_PROBES * self.scale)), None),
            (f"under load {load.describe()}", LOADED_PROBES, load),
        ):
            runs: dict[str, list[latency.LatencySamples]] = {}
            for setup in SETUPS:
                for _ in range(self.reps):
                    with self.nodes(setup) as nodes:
                        runs.setdefault(setup, []).append(
                            asyncio.run(_probe(nodes[0], nodes[-1], probes, background))
                        )
            for what, pick in (("WebSocket new", "websocket"), ("listed by search", "api")):
                for percent in (50, 99):
                    values = {
                        setup: [
                            percentile(getattr(run, pick), percent)
                            for run in setup_runs
                            if getattr(run, pick)
                        ]
                        for setup, setup_runs in runs.items()
                    }
                    rows.append(Figures(f"250 → {what} on B, {label}: p{percent} ms", values))
        return rows

    def stored(self, count: int, fill: str) -> list[Figures]:
        with self.cluster.database() as url:
            bulk_rate = pg_fill.bulk_fill(url, count) if fill == "bulk" else None
            with _start_node(url) as node:
                fill_rate = bulk_rate or stored.fill(node, count, None)
                figures = stored.measure(node)
                with psycopg.connect(url, autocommit=True) as db:
                    row = db.execute("SELECT pg_database_size(current_database())").fetchone()
                figures = replace(figures, database_mb=(row[0] if row else 0) / 1e6)
                delete_ms = stored.delete_all(node)
        label = f"{figures.stored:,} stored (PostgreSQL)"
        how = "over SMTP" if fill == "smtp" else f"in bulk ({pg_fill.BATCH:,} a transaction)"
        measured = [
            (f"fill {how}, msgs/s", fill_rate),
            ("list newest 50, p50 ms", figures.list_newest_ms),
            ("word search, p50 ms", figures.word_search_ms),
            ("from: search, p50 ms", figures.from_search_ms),
            ("open one message, p50 ms", figures.open_message_ms),
            ("node RSS, MiB", figures.rss_mib),
            ("database size, MB", figures.database_mb),
            ("delete-all, ms", delete_ms),
        ]
        return [Figures(f"{label}: {what}", {"postgres": [value]}) for what, value in measured]


def _send_split(load: Load, nodes: list[RunningServer]) -> float:
    """Send `load` shared among `nodes` at once (a single message to the first); the wall
    time in seconds."""
    if len(nodes) == 1 or load.count == 1:
        return run_load(load, nodes[0].smtp_port, None)
    first = load.count // 2
    halves = [replace(load, count=first), replace(load, count=load.count - first)]
    with ThreadPoolExecutor(len(nodes)) as senders:
        runs = [
            senders.submit(run_load, half, node.smtp_port, None)
            for half, node in zip(halves, nodes, strict=True)
        ]
        return max(run.result() for run in runs)


async def _probe(
    sending_node: RunningServer, watched_node: RunningServer, probes: int, load: Load | None
) -> latency.LatencySamples:
    assert watched_node.http_url is not None
    if load is None:
        return await latency.measure(
            sending_node.smtp_port, watched_node.http_url, probes, lambda: True
        )
    sending = asyncio.create_task(asyncio.to_thread(run_load, load, sending_node.smtp_port, None))

    def keep_going() -> bool:
        return not sending.done()

    try:
        return await latency.measure(
            sending_node.smtp_port, watched_node.http_url, probes, keep_going
        )
    finally:
        await sending


def _total(node: RunningServer) -> int:
    assert node.http_url is not None
    api = stored.ApiClient(node.http_url)
    try:
        return int(api.get_json("/api/v1/messages?limit=1")["total"])
    finally:
        api.close()


def _start_node(url: str) -> RunningServer:
    return start_server(PostgresNode("mailsink", http=True, url=url), None)


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply message counts (1)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions per figure (3)")
    parser.add_argument("--only", default="a,b,c,d,latency", help="comma-separated sections")
    parser.add_argument("--stored", type=int, default=1_000_000, help="messages for `stored`")
    parser.add_argument(
        "--fill", choices=FILLS, default="smtp", help="how `stored` fills the database (smtp)"
    )
    args = parser.parse_args()
    binaries = find_server_binaries()
    if binaries is None:
        sys.exit("bench/postgres.py needs PostgreSQL's server (apt-get install postgresql)")
    started = datetime.datetime.now(datetime.UTC)
    cluster = PostgresCluster(binaries, fsync=True)
    rows: list[Figures] = []
    try:
        bench = Bench(cluster, args.scale, args.reps)
        for section in args.only.split(","):
            if section in LOADS:
                rows += bench.load(LOADS[section].scaled(args.scale))
            elif section == "latency":
                rows += bench.latency()
            elif section == "stored":
                rows += bench.stored(args.stored, args.fill)
            else:
                sys.exit(f"unknown section {section!r}: choose from {', '.join(SECTIONS)}")
    finally:
        cluster.stop()
    print(
        f"{started:%Y-%m-%d %H:%M} UTC, generator {generator_name()}, "
        f"`python bench/postgres.py {' '.join(sys.argv[1:])}`\n"
    )
    header = ["measure", *SETUPS]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row.cells()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
