"""Store micro-benchmark: fill a store with N synthetic messages, then time what the API does.

    python bench/store_bench.py                    # SQLite, 100,000 messages, temporary file
    python bench/store_bench.py --count 20000 --store memory
    python bench/store_bench.py --database /tmp/bench.db --keep   # reuse a filled file

Prints add throughput (first and last tenth, to show it does not depend on the number stored),
then for each query the median (and worst) time of a page of 50 (`search`) and of the counts
(`count(query)` and `count()`: `GET /api/v1/search` needs all three), for the newest 50, a
common and a rare word, a two-letter word, field filters, `tag:`, `is:unread` and a deep page;
then the process's peak RSS and the database size.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailsink.events import ChangeHub
from mailsink.message.address import Address
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.ids import new_message_id
from mailsink.message.summary import MessageSummary
from mailsink.store.base import NewMessage, Store
from mailsink.store.memory import MemoryStore
from mailsink.store.search import clean_search_value, parse_search_query
from mailsink.store.sqlite import SqliteStore

START = datetime(2024, 1, 1, tzinfo=UTC)


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "dor", "fen"]
    words = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size * 2)}
    return sorted(words)[:size]


def synthetic_message(
    n: int, rng: random.Random, words: list[str], body_words: int = 120
) -> NewMessage:
    # Zipf-like word choice: a few words are in most messages, most words are rare.
    body = " ".join(
        words[min(int(rng.paretovariate(1.1)) - 1, len(words) - 1)] for _ in range(body_words)
    )
    subject = f"Order {n} " + " ".join(rng.choices(words[:2000], k=4))
    sender = Address("Shop Notifications", f"shop{n % 50}@store.example")
    rcpt = Address(f"User {n % 1000}", f"user{n % 1000}@example.com")
    raw = (
        f"From: {sender.name} <{sender.address}>\r\nTo: {rcpt.address}\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{n}@bench.example>\r\n\r\n{body}\r\n"
    ).encode()
    received = START + timedelta(seconds=n)
    envelope = Envelope(sender.address, (Recipient(rcpt.address),), received, helo="bench")
    summary = MessageSummary(
        message_id=f"{n}@bench.example",
        from_=sender,
        to=(rcpt,),
        cc=(),
        bcc=(),
        reply_to=(),
        subject=subject,
        date=received,
        snippet=body[:200],
        attachments=n % 7 == 0,
        inlines=0,
        tags=("bench",) if n % 10 == 0 else (),
        search_text=clean_search_value(f"{sender.name} {sender.address} {subject} {rcpt} {body}"),
        warnings=(),
    )
    return NewMessage(new_message_id(), raw, envelope, summary)


def fill(
    store: Store, count: int, rng: random.Random, words: list[str], body_words: int
) -> list[float]:
    """Adds `count` messages in bursts of 500 in flight; returns seconds per burst."""
    burst_times = []
    for start in range(0, count, 500):
        began = time.perf_counter()
        futures = [
            store.add(synthetic_message(n, rng, words))
            for n in range(start, min(count, start + 500))
        ]
        for future in futures:
            future.result()
        burst_times.append(time.perf_counter() - began)
    return burst_times


def timed(action: Callable[[], object], repeat: int = 15) -> tuple[float, float]:
    action()  # warm the caches
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples) * 1000, max(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--store", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--database", type=Path, help="SQLite file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="reuse the file if already filled")
    parser.add_argument("--body-words", type=int, default=120, help="words per message body")
    args = parser.parse_args()

    rng = random.Random(6)
    words = vocabulary(rng)
    with tempfile.TemporaryDirectory() as scratch:
        path = args.database or Path(scratch) / "bench.db"
        hub = ChangeHub()
        store: Store = MemoryStore(hub) if args.store == "memory" else SqliteStore(path, hub)
        try:
            have = store.count().total
            if have < args.count or not args.keep:
                if have:
                    store.delete_all()
                bursts = fill(store, args.count, rng, words, args.body_words)
                tenth = max(len(bursts) // 10, 1)
                rate = lambda times: 500 * len(times) / sum(times)  # noqa: E731
                print(f"add: {args.count} messages, {rate(bursts):,.0f}/s overall, "
                      f"{rate(bursts[:tenth]):,.0f}/s first tenth, "
                      f"{rate(bursts[-tenth:]):,.0f}/s last tenth")  # fmt: skip

            rare, common = words[300], words[0]
            print(f"{'':42} {'page of 50':>17} {'counts':>17}   matches")
            for label, text, offset in [
                ("newest 50 (list)", None, 0),
                (f"word search, common word {common!r}", common, 0),
                (f"word search, rare word {rare!r}", rare, 0),
                ("word search, 2 letters 'ka'", "ka", 0),
                ("subject:order 777", "subject:order 777", 0),
                ("to:user42@ (address)", "to:user42@", 0),
                ("tag:bench", "tag:bench", 0),
                ("is:unread", "is:unread", 0),
                ("page 1000 of the list (offset 50,000)", None, 50_000),
            ]:
                query = None if text is None else parse_search_query(text)
                page = timed(lambda q=query, o=offset: store.search(q, offset=o, limit=50))
                counts = timed(lambda q=query: (store.count(q), store.count()))
                matched = store.count(query).total
                print(
                    f"{label:42} {page[0]:6.1f} ms (≤{page[1]:5.1f})"
                    f" {counts[0]:6.1f} ms (≤{counts[1]:5.1f})   {matched}"
                )
            rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"peak RSS {rss_mb:.0f} MB, on disk {store.size_on_disk() / 2**20:.0f} MB")
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
