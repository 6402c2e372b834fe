"""A PostgreSQL mailbox filled fast, for `postgres.py --only stored --fill bulk`: the SQL every
node's writer runs (`mailsink.store.postgres.writes.insert_many`: COPY into each table) in
transactions of `BATCH` messages, straight from this process, without SMTP or a node.

The messages are those `stored.fill` sends over SMTP (the needles first, then 2 KB messages),
each summarized by the ingest path's `summarize`, so listing and search find what SMTP delivery
would have stored. Filled before any node starts: no node hears of the new mail (a node started
afterwards reads it all from the database).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import islice

import psycopg
from servers import REPO
from smtpclient import make_message
from stored import NEEDLE_SENDER, NEEDLE_WORD, NEEDLES

sys.path.insert(0, str(REPO))
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.ids import new_message_id
from mailsink.message.summary import summarize
from mailsink.store.base import NewMessage
from mailsink.store.postgres.writes import insert_many

BATCH = 5000  # messages a transaction
FILL_SENDER = "load@bench.test"
FILL_RECIPIENT = "inbox@bench.test"
FILL_SIZE = 2048


def bulk_fill(url: str, count: int, progress: bool = True) -> float:
    """Store the needles and `count` 2 KB messages in the mailsink database at `url`;
    returns messages/s of the whole fill (summaries included)."""
    messages = _messages(count)
    stored = 0
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as db:
        while batch := list(islice(messages, BATCH)):
            with db.transaction():
                db.execute("SELECT 1 FROM store_state FOR UPDATE")  # as the writer does
                insert_many(db, batch)
            stored += len(batch)
            if progress:
                rate = stored / (time.perf_counter() - started)
                print(f"\rbulk fill: {stored:,}, {rate:,.0f} msgs/s", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    return (count + NEEDLES) / (time.perf_counter() - started)


def _messages(count: int) -> Iterator[NewMessage]:
    for number in range(NEEDLES):
        raw = make_message(
            f"needle {number}", FILL_SIZE, sender=NEEDLE_SENDER, body_text=f"a {NEEDLE_WORD} here"
        )
        yield _new(raw, NEEDLE_SENDER)
    for number in range(count):
        yield _new(make_message(f"bench load {number}", FILL_SIZE), FILL_SENDER)


def _new(raw: bytes, sender: str) -> NewMessage:
    envelope = Envelope(
        mail_from=sender,
        recipients=(Recipient(FILL_RECIPIENT),),
        received=datetime.now(UTC),
        helo="bench.test",
        peer="127.0.0.1:0",
    )
    return NewMessage(new_message_id(), raw, envelope, summarize(raw, envelope))
