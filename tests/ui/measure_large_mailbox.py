"""Measure the web UI with a large SQLite mailbox (issue 4's figures).

    python tests/ui/measure_large_mailbox.py [--count 100000] [--database /tmp/mailsink-100k.db]

Runs `python -m mailsink --database DB` on free ports, fills the database over SMTP up to
`--count` messages (kept between runs: a second run only measures), then drives Debian's
chromium and prints:

- navigation → usable inbox: from navigation start until the first row is drawn with its data
  and the status shows the full count (the page's own clock, `performance.now()`);
- SMTP `250` → row visible: a message is sent while the inbox is open; the time from the `250`
  (after `sendmail` returns) to the moment a MutationObserver sees its row (wall clock, one
  machine);
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
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import CHROMIUM, CHROMIUM_ARGS

FIRST_ROW = "[role=row][aria-rowindex='1']:not(.placeholder)"


def start_server(database: Path) -> tuple[subprocess.Popen[str], tuple[str, int], str]:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "mailsink", "--database", str(database),
            "--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0", "--log-level", "warning",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    listening: dict[str, str] = {}
    assert process.stdout is not None
    while not {"SMTP", "HTTP"} <= listening.keys():
        line = process.stdout.readline()
        if not line:
            raise SystemExit("mailsink exited before listening")
        kind, _, address = line.strip().partition(" listening on ")
        listening[kind] = address
    host, _, port = listening["SMTP"].rpartition(":")
    return process, (host, int(port)), listening["HTTP"]


def stored_count(url: str) -> int:
    with urllib.request.urlopen(url + "api/v1/messages?limit=1") as response:
        return int(json.load(response)["total"])


def message(n: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Sender {n % 97} <sender{n % 97}@example.com>"
    mail["To"] = f"user{n % 1000}@example.com"
    mail["Subject"] = f"Message number {n} about order {n * 7919 % 100000}"
    mail["Date"] = "Tue, 04 Jun 2024 10:31:02 +0000"
    mail["Message-ID"] = f"<m{n}@example.com>"
    mail.set_content(f"Hello {n},\n\nThis is message {n} of the large-mailbox measurement.\n")
    return mail.as_bytes()


def fill(smtp: tuple[str, int], start: int, stop: int, connections: int = 4) -> None:
    def send_range(numbers: range) -> None:
        with smtplib.SMTP(*smtp, timeout=60) as client:
            for n in numbers:
                client.sendmail("bulk@example.com", ["user@example.com"], message(n))

    chunks = [range(start + i, stop, connections) for i in range(connections)]
    began = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(send_range, chunks))
    elapsed = time.perf_counter() - began
    print(f"filled {stop - start} messages in {elapsed:.1f} s ({(stop - start) / elapsed:.0f}/s)")


def time_to_usable_inbox(page: Page, url: str, count: int) -> float:
    page.goto(url, wait_until="commit")
    page.wait_for_function(
        f"""() => document.querySelector("{FIRST_ROW}") &&
            document.getElementById('list-count').textContent.startsWith('{count:,} ')""",
        polling="raf",
        timeout=120_000,
    )
    return float(page.evaluate("performance.now()"))


def time_to_row_after_250(page: Page, smtp: tuple[str, int], token: str) -> float:
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
        client.sendmail("latency@example.com", ["user@example.com"], mail.as_bytes())
        acknowledged = time.time() * 1000
    page.wait_for_function("window.__seen !== null", timeout=60_000)
    return float(page.evaluate("window.__seen")) - acknowledged


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

    process, smtp, url = start_server(args.database)
    try:
        have = stored_count(url)
        if have < args.count:
            fill(smtp, have, args.count)
        total = stored_count(url)
        size = os.path.getsize(args.database) / 1e6
        print(f"{total:,} messages stored in {args.database} ({size:.0f} MB)")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            loads = [time_to_usable_inbox(page, url, total) for _ in range(args.runs)]
            print(f"navigation → usable inbox (ms): {', '.join(f'{t:.0f}' for t in loads)}")
            latencies = [
                time_to_row_after_250(page, smtp, f"latency-probe-{i}-{time.time_ns()}")
                for i in range(args.runs)
            ]
            print(f"SMTP 250 → row visible (ms): {', '.join(f'{t:.0f}' for t in latencies)}")
            print(f"  median {statistics.median(latencies):.0f} ms")
            middle = time_to_middle(page, total + args.runs)
            print(f"scroll to row {total // 2:,} → rows drawn: {middle:.0f} ms")
            search = time_to_search(page, "order 4242")
            print(f"search 'order 4242' → first result drawn: {search:.0f} ms")
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
