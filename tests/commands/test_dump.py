"""`mailsink dump`: a database or a running sink's API to .eml files or an mbox, and back."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from mailsink import MailSink
from tests.builders import send_over_smtp
from tests.commands.conftest import (
    assert_unreachable_postgres_exits_69,
    mailsink_command,
    stored_messages,
)

MESSAGES = [
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: first\r\n\r\nhello\r\n",
    b"Subject: second\r\n\r\nFrom the start of a line\r\n>From quoted already\r\n\r\nend\r\n",
    b"Subject: third\r\n\r\n.a dot-stuffed line over SMTP\r\n",
]


@pytest.fixture
def filled_database(tmp_path: Path) -> Path:
    database = tmp_path / "source.db"
    with MailSink(store="sqlite", database=database) as sink:
        for raw in MESSAGES:
            send_over_smtp(sink, raw)
        sink.wait_for(count=len(MESSAGES))
    return database


def eml_files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def test_a_database_to_one_eml_per_message(filled_database: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = mailsink_command("dump", "--database", str(filled_database), str(out))
    assert result.returncode == 0, result.stderr
    with MailSink(store="sqlite", database=filled_database) as sink:
        expected = {f"{m.id}.eml": m.raw for m in sink.messages}
    assert eml_files(out) == expected
    assert sorted(expected.values()) == sorted(MESSAGES)


def test_a_running_sink_over_http_gives_the_same_files(
    filled_database: Path, tmp_path: Path
) -> None:
    assert mailsink_command("dump", "--database", str(filled_database), str(tmp_path / "db"))
    with MailSink(store="sqlite", database=filled_database, http=True) as sink:
        assert sink.url is not None
        result = mailsink_command("dump", "--url", sink.url, str(tmp_path / "http"))
    assert result.returncode == 0, result.stderr
    assert eml_files(tmp_path / "http") == eml_files(tmp_path / "db")


def test_mbox_round_trip_keeps_every_byte(filled_database: Path, tmp_path: Path) -> None:
    mbox = tmp_path / "all.mbox"
    result = mailsink_command("dump", "--database", str(filled_database), "--mbox", str(mbox))
    assert result.returncode == 0, result.stderr
    text = mbox.read_bytes()
    assert text.count(b"\nFrom ") == 2, "only the separators start with From"
    assert b"\n>From the start" in text
    assert b"\n>>From quoted already" in text
    copy = tmp_path / "copy.db"
    result = mailsink_command("ingest", "--database", str(copy), "--keep-dates", str(mbox))
    assert result.returncode == 0, result.stderr
    with MailSink(store="sqlite", database=copy, http=True) as sink:
        copied = stored_messages(sink)
    assert [m["Raw"] for m in copied] == MESSAGES
    assert copied[0]["Message"]["Envelope"]["MailFrom"] == "sender@example.com"


def test_a_postgresql_database_to_eml_files_and_an_mbox(postgres_url: str, tmp_path: Path) -> None:
    with MailSink(store="sqlite", database=postgres_url) as sink:
        for raw in MESSAGES:
            send_over_smtp(sink, raw)
        expected = {f"{m.id}.eml": m.raw for m in sink.wait_for(count=len(MESSAGES))}
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@", 1)  # trust: unused
    result = mailsink_command("dump", "--database", with_password, str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert eml_files(tmp_path / "out") == expected
    mbox = tmp_path / "all.mbox"
    result = mailsink_command(
        "dump", "--mbox", str(mbox), env={"MAILSINK_DUMP_DATABASE": postgres_url}
    )
    assert result.returncode == 0, result.stderr
    assert mbox.read_bytes().count(b"\nFrom ") == len(MESSAGES) - 1


class HostileApi(BaseHTTPRequestHandler):
    """A "Mailpit" whose list holds IDs that are paths, and which serves raw bytes for any ID."""

    good_id = "AbCdEfGhIjKlMnOpQrStUv"
    listed = ("../../escaped", "/tmp/absolute", "..", "a/b", good_id, "x" * 21)
    requested: ClassVar[list[str]] = []  # one server per test: the fixture empties it

    def do_GET(self) -> None:
        self.requested.append(self.path)
        if self.path.startswith("/api/v1/messages"):
            page = {"messages": [{"ID": i, "Created": "2024-01-02T03:04:05Z"} for i in self.listed]}
            body = json.dumps(page).encode()
        else:
            body = b"Subject: hostile\r\n\r\nx\r\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_url() -> Iterator[str]:
    HostileApi.requested = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_ids_that_are_paths_never_become_file_names(hostile_url: str, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    result = mailsink_command("dump", "--url", hostile_url, str(out))
    assert result.returncode == os.EX_DATAERR
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        f"{HostileApi.good_id}.eml"
    ]
    assert (out / f"{HostileApi.good_id}.eml").read_bytes() == b"Subject: hostile\r\n\r\nx\r\n"
    errors = result.stderr.decode()
    assert "expected a 22-character message ID, got '../../escaped'" in errors
    assert "got '/tmp/absolute'" in errors
    raw_requests = [p for p in HostileApi.requested if not p.startswith("/api/v1/messages")]
    assert raw_requests == [f"/api/v1/message/{HostileApi.good_id}/raw"], "nothing else fetched"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["out"], "--database FILE|URL or --url URL"),
        (["--database", "a.db", "--url", "http://x/", "out"], "--database FILE|URL or --url URL"),
        (["--database", "a.db"], "a DIR for .eml files, or --mbox FILE"),
        (["--url", "ftp://x/", "out"], "http://"),
    ],
)
def test_bad_arguments_stop_with_a_one_line_error(args: list[str], reason: str) -> None:
    result = mailsink_command("dump", *args)
    assert result.returncode == 2
    assert reason in result.stderr.decode().strip().splitlines()[-1]


def test_a_missing_database_or_server_exits_69(tmp_path: Path, refusing_addr: str) -> None:
    result = mailsink_command("dump", "--database", str(tmp_path / "none.db"), str(tmp_path))
    assert result.returncode == os.EX_UNAVAILABLE
    assert "no database file" in result.stderr.decode()
    result = mailsink_command("dump", "--url", f"http://{refusing_addr}/", str(tmp_path))
    assert result.returncode == os.EX_UNAVAILABLE
    assert "cannot read" in result.stderr.decode()
    assert_unreachable_postgres_exits_69("dump", refusing_addr, str(tmp_path))


def test_credentials_in_the_url_are_sent_as_basic_auth(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("alice:s3cret\n")
    with MailSink(http=True, ui_auth_file=users) as sink:
        send_over_smtp(sink, MESSAGES[0])
        [message] = sink.wait_for(count=1)
        assert sink.url is not None
        refused = mailsink_command("dump", "--url", sink.url, str(tmp_path / "no"))
        with_login = sink.url.replace("http://", "http://alice:s3cret@")
        result = mailsink_command("dump", "--url", with_login, str(tmp_path / "out"))
    assert refused.returncode == os.EX_UNAVAILABLE
    assert "HTTP 401" in refused.stderr.decode()
    assert result.returncode == 0, result.stderr
    assert eml_files(tmp_path / "out") == {f"{message.id}.eml": MESSAGES[0]}
