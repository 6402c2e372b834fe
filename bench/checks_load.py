"""Do message checks slow SMTP ingest? Sends the same SMTP load twice to a fresh mailsink (its
defaults: SQLite, durable): once alone, once while two clients request html-check and
auth-check of a large HTML message without pause. Prints messages per second and the p50/p99
time from DATA's end to the `250`.

    python bench/checks_load.py --count 2000 --connections 4
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import httpx

HTML = (
    "<html><body>"
    + "".join(
        f'<table style="display:flex;gap:{n}px"><tr><td style="padding:4px">row {n} '
        f'<a href="https://app.test/{n}">link</a><img src="https://cdn.test/{n}.webp"></td></tr></table>'
        for n in range(400)
    )
    + "</body></html>"
)


def start(scratch: Path) -> tuple[subprocess.Popen[str], int, str]:
    overrides = scratch / "dns.txt"
    overrides.write_text('bench.test TXT "v=spf1 ip4:127.0.0.1 -all"\n', encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "mailsink", "--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0",
         "--database", str(scratch / "bench.db"), "--dns-override", str(overrides)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    smtp_port, url = 0, ""
    while not (smtp_port and url):
        line = process.stdout.readline()
        if not line:
            raise SystemExit("mailsink exited before listening")
        if line.startswith("SMTP listening on "):
            smtp_port = int(line.rsplit(":", 1)[1])
        elif line.startswith("HTTP listening on "):
            url = line.split(" on ", 1)[1].strip()
    return process, smtp_port, url


def message(n: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = "load@bench.test"
    mail["To"] = "inbox@bench.test"
    mail["Subject"] = f"load {n}"
    mail["Date"] = "Tue, 02 Jan 2024 03:04:05 +0000"
    mail["Message-ID"] = f"<{n}@bench.test>"
    mail.set_content("x" * 1800)
    return mail.as_bytes()


def send_load(port: int, count: int, connections: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(first: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.ehlo()
            for n in range(first, count, connections):
                client.mail("load@bench.test")
                client.rcpt("inbox@bench.test")
                started = time.perf_counter()
                client.data(message(n))
                with lock:
                    latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started), latencies


def hammer(url: str, message_id: str, stop: threading.Event, done: list[int]) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        while not stop.is_set():
            for check in ("html-check", "auth-check"):
                assert client.get(f"api/v1/message/{message_id}/{check}").status_code == 200
                done[0] += 1


def report(label: str, rate: float, latencies: list[float]) -> None:
    p50 = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    print(f"{label:<34} {rate:8.0f} msg/s   250 after DATA p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        process, port, url = start(Path(scratch))
        try:
            html = EmailMessage()
            html["From"], html["To"], html["Subject"] = "app@bench.test", "a@bench.test", "html"
            html.set_content("text")
            html.add_alternative(HTML, subtype="html")
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
                client.sendmail("app@bench.test", ["a@bench.test"], html.as_bytes())
            message_id = httpx.get(url + "api/v1/messages", timeout=60).json()["messages"][0]["ID"]
            started = time.perf_counter()
            httpx.get(f"{url}api/v1/message/{message_id}/html-check", timeout=60)
            one_check = time.perf_counter() - started
            print(
                f"one html-check of a {len(HTML) // 1024} KB HTML body: {one_check * 1000:.0f} ms"
            )
            send_load(port, 200, args.connections)  # warm up
            report("ingest alone", *send_load(port, args.count, args.connections))
            stop, done = threading.Event(), [0]
            hammers = [
                threading.Thread(target=hammer, args=(url, message_id, stop, done))
                for _ in range(2)
            ]
            for thread in hammers:
                thread.start()
            rate, latencies = send_load(port, args.count, args.connections)
            stop.set()
            for thread in hammers:
                thread.join()
            report(f"ingest + {done[0]} checks meanwhile", rate, latencies)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"(cores: {os.cpu_count()}; client and server on the same machine)")


if __name__ == "__main__":
    main()
