"""Measure the web UI with a large SQLite mailbox (issue 4's figures).

    python bench/measure_large_mailbox.py [--count 100000] [--database /tmp/mailsink-100k.db]

Fills the SQLite database through the store API (the path SMTP ends in: summarize, then
`Store.add`) up to `--count` messages — kept between runs, so a second run only measures — then
serves it with `MailSink(store="sqlite", database=DB, http=True)` on free ports (in this process,
so filling and serving use the same code), drives Debian's chromium and prints:

- navigation → usable inbox: from navigation start until the first row is drawn with its data
  and the status shows the full count (the page's own clock, `performance.now()`);
- SMTP → row visible: a message is sent while the inbox is open; the time from the start of
  the transaction (MAIL FROM, on an open connection) to the moment a MutationObserver sees its
  row (wall clock, one machine) — an upper bound of "250 → row visible", measured from before
  the send because client and server share this process (and its GIL);
- jump to the middle: the time to show the rows around row count/2 after scrolling there;
- search: from submitting a search to its first result row.
Not a test: timings depend on the machine; the suite asserts behaviour, not speed.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import statistics
import sys
import time
import urllib.request
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from mailsink import MailSink
from mailsink.events import ChangeHub
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.ids import new_message_id
from mailsink.message.summary import summarize
from mailsink.store.base import NewMessage
from mailsink.store.sqlite import SqliteStore

# The browser tests' Chromium and its flags, so the figures match what the tests drive.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS

FIRST_ROW = "[role=row][aria-rowindex='1']:not(.placeholder)"


def stored_count(url: str) -> int:
    with urllib.request.urlopen(url + "api/v1/messages?limit=1") as response:
        return int(json.load(response)["total"])


def fill(database: Path, count: int) -> None:
    """Add messages until the store holds `count`, in batches the writer commits together."""
    store = SqliteStore(database, ChangeHub())
    try:
        start = store.count().total
        began = time.perf_counter()
        pending = None
        for n in range(start, count):
            raw = message(n)
            envelope = Envelope(
                mail_from="bulk@example.com",
                recipients=(Recipient("user@example.com"),),
                received=datetime.now(UTC),
                helo="bulk.example",
                peer="127.0.0.1:2525",
            )
            pending = store.add(
                NewMessage(new_message_id(), raw, envelope, summarize(raw, envelope))
            )
            if n % 2000 == 0:
                pending.result()
        if pending is not None:
            pending.result()
            elapsed = time.perf_counter() - began
            print(f"stored {count - start} messages in {elapsed:.0f} s")
    finally:
        store.close()


def message(n: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Sender {n % 97} <sender{n % 97}@example.com>"
    mail["To"] = f"user{n % 1000}@example.com"
    mail["Subject"] = f"Message number {n} about order {n * 7919 % 100000}"
    mail["Date"] = "Tue, 04 Jun 2024 10:31:02 +0000"
    mail["Message-ID"] = f"<m{n}@example.com>"
    mail.set_content(f"Hello {n},\n\nThis is message {n} of the large-mailbox measurement.\n")
    return mail.as_bytes(policy=SMTP)


def time_to_usable_inbox(page: Page, url: str, count: int) -> float:
    page.goto(url, wait_until="commit")
    page.wait_for_function(
        f"""() => document.querySelector("{FIRST_ROW}") &&
            document.getElementById('list-count').textContent.startsWith('{count:,} ')""",
        polling="raf",
        timeout=120_000,
    )
    return float(page.evaluate("performance.now()"))


def time_to_row_after_send(page: Page, smtp: tuple[str, int], token: str) -> float:
    page.evaluate(
        """token => {
            window.__seen = null;
            new MutationObserver((_, observer) => {
              for (const row of document.querySelectorAll('[role=row]')) {
                if ((row.getAttribute('aria-label') || '').includes(token)) {
                  window.__seen = Date.now(); observer.disconnect(); return;
                }
              }
            }).observe(document.getElementById('grid-spacer'), {childList: true});
        }""",
        token,
    )
    mail = EmailMessage()
    mail["From"] = "latency@example.com"
    mail["To"] = "user@example.com"
    mail["Subject"] = token
    mail.set_content("latency probe")
    with smtplib.SMTP(*smtp, timeout=60) as client:
        client.ehlo()
        sending = time.time() * 1000
        client.sendmail("latency@example.com", ["user@example.com"], mail.as_bytes(policy=SMTP))
    page.wait_for_function("window.__seen !== null", timeout=60_000)
    return float(page.evaluate("window.__seen")) - sending


def time_to_middle(page: Page, count: int) -> float:
    return float(
        page.evaluate(
            """async count => {
                const grid = document.getElementById('message-grid');
                const style = getComputedStyle(grid);
                const rowHeight = parseFloat(style.getPropertyValue('--row-height'));
                const began = performance.now();
                grid.scrollTop = Math.floor(count / 2) * rowHeight;
                const index = Math.floor(count / 2) + 2;
                while (!document.querySelector(
                    `[role=row][aria-rowindex='${index}']:not(.placeholder)`)) {
                  await new Promise(requestAnimationFrame);
                }
                return performance.now() - began;
            }""",
            count,
        )
    )


def time_to_search(page: Page, query: str) -> float:
    return float(
        page.evaluate(
            """async query => {
                const input = document.getElementById('search-input');
                const FIRST_ROW = "[role=row][aria-rowindex='1']:not(.placeholder)";
                const began = performance.now();
                input.value = query;
                input.form.requestSubmit();
                const status = document.getElementById('list-count');
                while (!(status.textContent.includes('match') &&
                         document.querySelector(`${FIRST_ROW}`))) {
                  await new Promise(requestAnimationFrame);
                }
                return performance.now() - began;
            }""",
            query,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database", type=Path, default=Path("/tmp/mailsink-100k.db"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    fill(args.database, args.count)
    with MailSink(store="sqlite", database=args.database, http=True) as sink:
        assert sink.url is not None
        url, smtp = sink.url, (sink.host, sink.port)
        total = stored_count(url)
        size = os.path.getsize(args.database) / 1e6
        print(f"{total:,} messages stored in {args.database} ({size:.0f} MB)")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            loads = [time_to_usable_inbox(page, url, total) for _ in range(args.runs)]
            print(f"navigation → usable inbox (ms): {', '.join(f'{t:.0f}' for t in loads)}")
            latencies = [
                time_to_row_after_send(page, smtp, f"latency-probe-{i}-{time.time_ns()}")
                for i in range(args.runs)
            ]
            print(f"SMTP MAIL FROM → row visible (ms): {', '.join(f'{t:.0f}' for t in latencies)}")
            print(f"  median {statistics.median(latencies):.0f} ms")
            middle = time_to_middle(page, total + args.runs)
            print(f"scroll to row {total // 2:,} → rows drawn: {middle:.0f} ms")
            search = time_to_search(page, "number 1234")
            print(f"search 'number 1234' → first result drawn: {search:.0f} ms")
            browser.close()


if __name__ == "__main__":
    main()
