"""`mailsink ingest`: .eml, mbox and Maildir into a running sink over SMTP, or into a database."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from mailsink import MailSink
from tests.commands.conftest import (
    assert_unreachable_postgres_exits_69,
    mailsink_command,
    smtp_addr,
    stored_messages,
)

EML = (
    b"From: Alice <alice@example.com>\n"
    b"To: bob@example.com\n"
    b"Date: Tue, 02 Jan 2024 03:04:05 +1300\n"
    b"Subject: single file\n"
    b"\n"
    b"one\n"
)
MBOX = (
    b"From carol@example.com Mon Jan  1 10:00:00 2024\n"
    b"From: Carol <carol@example.com>\n"
    b"To: dave@example.com\n"
    b"Subject: mbox first\n"
    b"\n"
    b">From the top, a quoted line\n"
    b"\n"
    b"From MAILER-DAEMON Mon Jan  1 11:00:00 2024\n"
    b"To: erin@example.com\n"
    b"Subject: mbox second, no Date\n"
    b"\n"
    b"two\n"
)
MAILDIR_MESSAGE = b"To: frank@example.com\nSubject: from a Maildir\n\nthree\n"


@pytest.fixture
def mail_tree(tmp_path: Path) -> Path:
    """A directory with an .eml file, an mbox, a Maildir, and a stray file to leave alone."""
    root = tmp_path / "mail"
    maildir = root / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (root / "a.eml").write_bytes(EML)
    (root / "archive.mbox").write_bytes(MBOX)
    (maildir / "cur" / "1700000000.1.host:2,S").write_bytes(MAILDIR_MESSAGE)
    (maildir / "tmp" / "unfinished").write_bytes(b"Subject: half delivered\n\n")
    (root / "notes.txt").write_bytes(b"Subject: not mail\n\n")
    return root


EXPECTED = {
    "single file": EML,
    "mbox first": b"From: Carol <carol@example.com>\nTo: dave@example.com\nSubject: mbox first\n"
    b"\nFrom the top, a quoted line\n",
    "mbox second, no Date": b"To: erin@example.com\nSubject: mbox second, no Date\n\ntwo\n",
    "from a Maildir": MAILDIR_MESSAGE,
}


def test_a_tree_of_eml_mbox_and_maildir_goes_over_smtp(sink: MailSink, mail_tree: Path) -> None:
    result = mailsink_command("ingest", "--smtp-addr", smtp_addr(sink), str(mail_tree))
    assert result.returncode == 0, result.stderr
    assert "imported 4 messages" in result.stderr.decode()
    sink.wait_for(count=4)
    stored = {m["Subject"]: m for m in stored_messages(sink)}
    assert {subject: m["Raw"] for subject, m in stored.items()} == {
        subject: raw.replace(b"\n", b"\r\n") for subject, raw in EXPECTED.items()
    }
    envelope = stored["mbox first"]["Message"]["Envelope"]
    assert envelope["MailFrom"] == "carol@example.com", "the mbox From line's sender"
    assert [r["Address"] for r in envelope["RcptTo"]] == ["dave@example.com"]


def test_straight_into_a_database_with_original_dates(mail_tree: Path, tmp_path: Path) -> None:
    database = tmp_path / "imported.db"
    result = mailsink_command("ingest", "--database", str(database), "--keep-dates", str(mail_tree))
    assert result.returncode == 0, result.stderr
    with MailSink(store="sqlite", database=database, http=True) as sink:
        stored = {m["Subject"]: m for m in stored_messages(sink)}
        assert set(stored) == set(EXPECTED)
        received = {s: m["Message"]["Envelope"]["Received"] for s, m in stored.items()}
        assert received["single file"] == "2024-01-02T03:04:05+13:00", "the Date header"
        assert received["mbox second, no Date"] == "2024-01-01T11:00:00Z", "the mbox date"
        assert stored["single file"]["Raw"] == EML.replace(b"\n", b"\r\n")
        assert sink.url is not None
        found = httpx.get(sink.url + "api/v1/search", params={"query": "from:carol"}).json()
        assert [m["Subject"] for m in found["messages"]] == ["mbox first"], "indexed for search"


def test_without_keep_dates_the_import_time_is_the_received_time(tmp_path: Path) -> None:
    eml = tmp_path / "old.eml"
    eml.write_bytes(EML)
    database = tmp_path / "imported.db"
    assert mailsink_command("ingest", "--database", str(database), str(eml)).returncode == 0
    with MailSink(store="sqlite", database=database) as sink:
        [message] = sink.messages
        assert message.email["Date"] == "Tue, 02 Jan 2024 03:04:05 +1300"
        assert sink.filter(subject="single file")


def test_straight_into_a_postgresql_database_in_a_mailbox(
    mail_tree: Path, postgres_url: str
) -> None:
    with_password = postgres_url.replace("postgres@", "postgres:s3cret@", 1)  # trust: unused
    result = mailsink_command(
        "ingest", "--database", with_password, "--keep-dates", "--mailbox", "team-a", str(mail_tree)
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.decode() == f"imported 4 messages into {postgres_url}\n"
    with MailSink(store="sqlite", database=postgres_url, http=True) as sink:
        stored = {m["Subject"]: m for m in stored_messages(sink)}
    assert {subject: m["Raw"] for subject, m in stored.items()} == {
        subject: raw.replace(b"\n", b"\r\n") for subject, raw in EXPECTED.items()
    }
    assert {m["Mailbox"] for m in stored.values()} == {"team-a"}
    received = stored["single file"]["Message"]["Envelope"]["Received"]
    assert received == "2024-01-02T03:04:05+13:00", "the Date header"


def test_over_smtp_into_a_mailbox_without_touching_the_bytes(
    sink: MailSink, mail_tree: Path
) -> None:
    result = mailsink_command(
        "ingest", "--smtp-addr", smtp_addr(sink), "--mailbox", "team-b", str(mail_tree)
    )
    assert result.returncode == 0, result.stderr
    sink.mailbox("team-b").wait_for(count=4)
    stored = {m["Subject"]: m for m in stored_messages(sink)}
    assert {subject: m["Raw"] for subject, m in stored.items()} == {
        subject: raw.replace(b"\n", b"\r\n") for subject, raw in EXPECTED.items()
    }
    assert {m["Mailbox"] for m in stored.values()} == {"team-b"}
    assert stored["single file"]["Message"]["Envelope"]["Username"] == "mailbox:team-b"


def test_a_sink_that_refuses_the_mailbox_login_stops_the_import(
    mail_tree: Path, tmp_path: Path
) -> None:
    users = tmp_path / "users"
    users.write_text("alice:s3cret\n")
    with MailSink(smtp_auth_file=users) as sink:
        result = mailsink_command(
            "ingest", "--smtp-addr", smtp_addr(sink), "--mailbox", "team-b", str(mail_tree)
        )
        assert sink.messages == []
    assert result.returncode == os.EX_UNAVAILABLE
    errors = result.stderr.decode()
    assert "refused AUTH as 'mailbox:team-b'" in errors
    assert "Traceback" not in errors


def test_an_unreachable_postgresql_database_exits_69(tmp_path: Path, refusing_addr: str) -> None:
    eml = tmp_path / "x.eml"
    eml.write_bytes(EML)
    assert_unreachable_postgres_exits_69("ingest", refusing_addr, str(eml))


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--keep-dates", "x.eml"], "--keep-dates needs --database"),
        (["missing.eml"], "missing.eml"),
        (["--smtp-addr", "nowhere", "x.eml"], "HOST:PORT"),
        (["--mailbox", "team a", "x.eml"], "expected a mailbox name"),
    ],
)
def test_bad_arguments_stop_with_a_one_line_error(
    args: list[str], reason: str, tmp_path: Path
) -> None:
    (tmp_path / "x.eml").write_bytes(EML)
    result = subprocess.run(
        [sys.executable, "-m", "mailsink", "ingest", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert reason in result.stderr.strip().splitlines()[-1]
    assert "Traceback" not in result.stderr


def test_an_unreachable_sink_exits_69(tmp_path: Path, refusing_addr: str) -> None:
    eml = tmp_path / "x.eml"
    eml.write_bytes(EML)
    result = mailsink_command("ingest", "--smtp-addr", refusing_addr, str(eml))
    assert result.returncode == os.EX_UNAVAILABLE
    assert "cannot reach the sink" in result.stderr.decode()


def test_a_refused_message_is_named_and_the_others_go_on(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(EML)
    (tmp_path / "b.eml").write_bytes(EML)
    with MailSink(smtp_max_size=10_000) as sink:
        (tmp_path / "c.eml").write_bytes(EML + b"x" * 20_000)
        result = mailsink_command("ingest", "--smtp-addr", smtp_addr(sink), str(tmp_path))
        assert result.returncode == os.EX_DATAERR
        errors = result.stderr.decode()
        assert "c.eml" in errors
        assert "imported 2 messages" in errors
        assert len(sink.wait_for(count=2)) == 2


def run_on_a_terminal(*args: str) -> str:
    """Run the command with standard error on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "mailsink", *args],
            stdout=subprocess.DEVNULL,
            stderr=follower,
        )
        os.close(follower)
        written = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: every writer has exited
                break
            if not chunk:
                break
            written += chunk
        assert process.wait(timeout=120) == 0
        return written.decode()
    finally:
        os.close(leader)


def test_a_progress_bar_only_on_a_terminal(mail_tree: Path, tmp_path: Path) -> None:
    on_terminal = run_on_a_terminal("ingest", "--database", str(tmp_path / "t.db"), str(mail_tree))
    assert "\r[#" in on_terminal
    assert on_terminal.rstrip().endswith("imported 4 messages into " + str(tmp_path / "t.db"))
    piped = mailsink_command("ingest", "--database", str(tmp_path / "p.db"), str(mail_tree))
    assert piped.stderr.decode() == f"imported 4 messages into {tmp_path / 'p.db'}\n"
