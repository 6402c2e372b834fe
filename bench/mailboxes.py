"""Mailboxes at scale: N messages across M mailboxes, straight into the store (no SMTP), then
the two reads a mailbox switcher and a mailbox's inbox make.

    python bench/mailboxes.py                          # SQLite, 100,000 messages, 100 mailboxes
    python bench/mailboxes.py --count 20000 --store memory

The messages go straight into the store of a running sink (no SMTP, to be quick). Prints, as
median (and worst) of 15 runs, against the 20 ms target: one mailbox's newest 50 (`search`
with the `mailbox:` term), the same page with the counts `GET /api/v1/messages?mailbox=` also
reads, every mailbox's counts (`mailboxes()`); then the same two over HTTP, as a client sees
them (`GET /api/v1/messages?mailbox=NAME&limit=50`, `GET /api/v1/mailboxes`).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx
from store_bench import synthetic_message, timed, vocabulary

from mailsink import MailSink
from mailsink.store.base import NewMessage, Store
from mailsink.store.search import mailbox_query

TARGET_MS = 20.0
BATCH = 500


def fill(store: Store, count: int, mailboxes: int, rng: random.Random) -> float:
    """Adds `count` messages, mailbox `box-{n % mailboxes}`, `BATCH` per commit; seconds."""
    words = vocabulary(rng)
    began = time.perf_counter()
    for start in range(0, count, BATCH):
        batch: list[NewMessage] = []
        for n in range(start, min(count, start + BATCH)):
            message = synthetic_message(n, rng, words, body_words=30)
            envelope = replace(message.envelope, mailbox=f"box-{n % mailboxes:03d}")
            batch.append(replace(message, envelope=envelope))
        if store.add_now(batch) is None:  # the writer was busy: through its queue
            for future in [store.add(message) for message in batch]:
                future.result()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--mailboxes", type=int, default=100)
    parser.add_argument("--store", choices=["sqlite", "memory"], default="sqlite")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        options = {"database": Path(scratch) / "bench.db"} if args.store == "sqlite" else {}
        with MailSink(store=args.store, http=True, **options) as sink, httpx.Client() as http:
            store = sink.context.store
            seconds = fill(store, args.count, args.mailboxes, random.Random(12))
            print(
                f"{args.store}: {args.count:,} messages in {args.mailboxes} mailboxes,"
                f" stored in {seconds:.1f} s"
            )
            name = f"box-{args.mailboxes // 2:03d}"
            shown = mailbox_query(name)
            page = {"mailbox": name, "limit": 50}
            rows = [
                ("one mailbox: newest 50", lambda: store.search(shown, limit=50)),
                (
                    "one mailbox: newest 50 + its counts + all counts",
                    lambda: (store.search(shown, limit=50), store.count(shown), store.count()),
                ),
                ("every mailbox's counts", store.mailboxes),
                (
                    "HTTP GET /api/v1/messages?mailbox=…&limit=50",
                    lambda: http.get(f"{sink.url}api/v1/messages", params=page).raise_for_status(),
                ),
                (
                    "HTTP GET /api/v1/mailboxes",
                    lambda: http.get(f"{sink.url}api/v1/mailboxes").raise_for_status(),
                ),
            ]
            for label, action in rows:
                median, worst = timed(action)
                verdict = "met" if median < TARGET_MS else "NOT met"
                print(
                    f"{label:50} {median:6.2f} ms (worst {worst:6.2f})"
                    f"   target < {TARGET_MS:g} ms: {verdict}"
                )
            assert len(store.mailboxes()) == min(args.mailboxes, args.count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
