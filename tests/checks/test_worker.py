"""The check worker: a child process of our own, which never runs the user's script again and
is started again when it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx

from .conftest import StartSink, compose, deliver

HTML = "<div style='display: flex'>hello</div>"


def test_a_script_that_starts_a_sink_at_top_level_runs_once(tmp_path: Path) -> None:
    """A script with no `if __name__ == "__main__"` guard: a multiprocessing child would import
    it again and start a second sink in the worker."""
    runs = tmp_path / "runs.txt"
    script = tmp_path / "app.py"
    script.write_text(
        textwrap.dedent(f"""
        import smtplib, urllib.request
        from mailsink import MailSink
        with open({str(runs)!r}, "a") as runs:
            runs.write("ran\\n")
        with MailSink(http=True) as sink:
            smtplib.SMTP(sink.host, sink.port).sendmail(
                "a@app.test", ["b@app.test"],
                b"Subject: hi\\r\\nContent-Type: text/html\\r\\n\\r\\n{HTML}",
            )
            message = sink.wait_for_one()
            url = f"{{sink.url}}api/v1/message/{{message.id}}/html-check"
            print(urllib.request.urlopen(url, timeout=60).status)
        """)
    )
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200"]
    assert runs.read_text() == "ran\n"


def test_a_worker_that_died_is_started_again(start_sink: StartSink) -> None:
    sink = start_sink()
    message = deliver(sink, compose(html=HTML))
    url = f"{sink.url}api/v1/message/{message.id}/html-check"
    assert httpx.get(url, timeout=60).status_code == 200
    process = sink.context.checks._process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    assert httpx.get(url, timeout=60).status_code == 200
    assert sink.context.checks._process is not process
