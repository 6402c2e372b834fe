"""Where the SQLite writer's time goes for small messages: cProfile over `insert_many`.

    python bench/writer_profile.py [COUNT]

Adds COUNT (1,500) copies of a 2 KB message through the store (warming the indexes), then
stores COUNT more in transactions of three (about what one commit takes under load (b)) under
cProfile, and prints the top functions. Also prints what `summarize` costs per message. For
issue 6's small-message loads (a), (b).
"""

from __future__ import annotations

import cProfile
import pstats
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from mailsink.events import ChangeHub
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.ids import new_message_id
from mailsink.message.summary import summarize
from mailsink.store.base import NewMessage
from mailsink.store.sqlite import SqliteStore
from mailsink.store.sqlite.raw_files import RawFiles, WriterConnection
from mailsink.store.sqlite.writes import insert_many

RAW = (
    b"From: Alice <alice@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: hello there\r\n"
    b"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\n"
    + b"lorem ipsum dolor sit amet "
    * 70
)


def main(count: int) -> None:
    envelope = Envelope(
        "alice@example.com", (Recipient("bob@example.com"),), datetime.now(UTC), helo="h"
    )
    started = time.perf_counter()
    summary = summarize(RAW, envelope)
    for _ in range(999):
        summarize(RAW, envelope)
    print(f"summarize: {(time.perf_counter() - started) * 1000:.0f} µs per message")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "profile.db"
        store = SqliteStore(path, ChangeHub())
        try:
            added = [
                store.add(NewMessage(new_message_id(), RAW, envelope, summary))
                for _ in range(count)
            ]
            for future in added:
                future.result()
        finally:
            store.close()
        db = sqlite3.connect(path, isolation_level=None, factory=WriterConnection)
        db.raw_files = RawFiles(path)
        try:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(count // 3):
                db.execute("BEGIN IMMEDIATE")
                batch = [NewMessage(new_message_id(), RAW, envelope, summary) for _ in range(3)]
                insert_many(db, batch)
                db.execute("COMMIT")
                db.settle(committed=True)
            profile.disable()
        finally:
            db.close()
    pstats.Stats(profile).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)
