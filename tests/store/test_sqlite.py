"""What only the SQLite store promises: persistence across restarts, schema versions, a clean
close that drains pending writes."""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from mailsink.events import Change, ChangeHub
from mailsink.store.base import MailboxCounts
from mailsink.store.codec import envelope_to_json, summary_to_json
from mailsink.store.search import TextField, field_text, mailbox_query, parse_search_query
from mailsink.store.sqlite import SqliteStore
from mailsink.store.sqlite.raw_files import RAW_IN_FILE_ABOVE
from mailsink.store.sqlite.schema import MIGRATIONS, SCHEMA_VERSION
from mailsink.store.sqlite.store import CHECKPOINT_AFTER_BYTES
from tests.conftest import run_cli, wait_until

from .conftest import make_message


def test_everything_is_back_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    store = SqliteStore(path, ChangeHub())
    messages = [make_message(subject=f"persist {i}", tags=(f"t{i % 2}",)) for i in range(5)]
    stored = [store.add(m).result(timeout=30) for m in messages]
    store.set_read([stored[1].id], True)
    store.delete([stored[4].id])  # the newest: its Seq must not come back
    before = {m.id: m for m in store.search(limit=None)}
    store.close()

    reopened = SqliteStore(path, ChangeHub())
    try:
        assert {m.id: m for m in reopened.search(limit=None)} == before
        for message in messages[:4]:
            assert reopened.raw(message.id) == message.raw
        assert reopened.tags() == {"t0": 2, "t1": 2}
        assert reopened.count().unread == 3
        assert len(reopened.search(parse_search_query("persist"), limit=None)) == 4
        assert reopened.add(make_message()).result(timeout=30).seq == 6
    finally:
        reopened.close()


def large_raw(tag: int, size: int = RAW_IN_FILE_ABOVE + 7) -> bytes:
    return bytes([tag]) * 3 + bytes(range(256)) * (size // 256) + b"end"


def test_large_messages_live_in_files_named_by_seq(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    raws = [large_raw(i) for i in range(3)]
    store = SqliteStore(path, ChangeHub())
    try:
        stored = [store.add(make_message(raw=raw)).result(timeout=60) for raw in raws]
        small_message = make_message()
        small = store.add(small_message).result(timeout=30)
        assert [store.raw(m.id) for m in stored] == raws
        files = path.with_name("mail.db.raw")
        assert sorted(p.name for p in files.iterdir()) == sorted(str(m.seq) for m in stored)
        assert (files / str(stored[1].seq)).read_bytes() == raws[1]
        assert store.size_on_disk() > 3 * RAW_IN_FILE_ABOVE
        store.delete([stored[0].id])
        assert not (files / str(stored[0].seq)).exists()
        assert store.raw(stored[0].id) is None
    finally:
        store.close()
    reopened = SqliteStore(path, ChangeHub())
    try:
        assert [reopened.raw(m.id) for m in stored[1:]] == raws[1:]
        assert reopened.raw(small.id) == small_message.raw
        reopened.delete_all()
        assert not files.exists() or not any(files.iterdir())
    finally:
        reopened.close()


def test_files_no_row_names_are_removed_when_the_store_opens(tmp_path: Path) -> None:
    """Left by a transaction that never committed (a killed process, a failed batch)."""
    path = tmp_path / "mail.db"
    store = SqliteStore(path, ChangeHub())
    kept = store.add(make_message(raw=large_raw(1))).result(timeout=60)
    store.close()
    files = path.with_name("mail.db.raw")
    (files / "999").write_bytes(b"an orphan")
    (files / "notes.txt").write_bytes(b"not ours to remove")
    reopened = SqliteStore(path, ChangeHub())
    try:
        assert sorted(p.name for p in files.iterdir()) == sorted([str(kept.seq), "notes.txt"])
        assert reopened.raw(kept.id) == large_raw(1)
    finally:
        reopened.close()


def test_what_a_killed_process_left_in_the_spool_is_removed_when_the_store_opens(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mail.db"
    SqliteStore(path, ChangeHub()).close()
    left = path.with_name("mail.db.raw") / "incoming" / "incoming-0123456789abcdef"
    left.parent.mkdir(parents=True)
    left.write_bytes(b"half a message")
    store = SqliteStore(path, ChangeHub())
    try:
        assert not left.exists()
        assert store.spool().directory == left.parent
    finally:
        store.close()


def test_a_store_opened_beside_another_leaves_the_files_in_its_care(tmp_path: Path) -> None:
    """`mailsink dump` or `ingest` on the database of a running server: what no row names yet
    is a file the server is about to commit, or a message it is receiving, not a leftover."""
    path = tmp_path / "mail.db"
    server = SqliteStore(path, ChangeHub())
    files = path.with_name("mail.db.raw")
    uncommitted, receiving = files / "999", files / "incoming" / "incoming-0123456789abcdef"
    receiving.parent.mkdir(parents=True)
    uncommitted.write_bytes(b"linked, its row not yet committed")
    receiving.write_bytes(b"half a message")
    try:
        SqliteStore(path, ChangeHub()).close()
        assert [uncommitted.exists(), receiving.exists()] == [True, True]
    finally:
        server.close()
    SqliteStore(path, ChangeHub()).close()  # alone: they are leftovers now
    assert [uncommitted.exists(), receiving.exists()] == [False, False]


def test_a_batch_that_fails_leaves_no_file_behind(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    store = SqliteStore(path, ChangeHub())
    try:
        taken = make_message()
        store.add(taken).result(timeout=30)
        assert store.add_now([make_message(raw=large_raw(2)), taken]) is None
        files = path.with_name("mail.db.raw")
        assert not files.exists() or not any(files.iterdir())
        assert store.count().total == 1
    finally:
        store.close()


def test_a_file_the_disk_could_not_hold_goes_with_its_transaction(tmp_path: Path) -> None:
    """A disk that fills up while a large message's file is written: the message is not
    stored, and the part of its file that was written does not stay to fill it further."""
    path = tmp_path / "mail.db"
    with run_cli(
        "--database", str(path), "--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0"
    ) as cli:
        # The server's files stop growing here, as on a full disk (Python ignores SIGXFSZ).
        limit = 2 * RAW_IN_FILE_ABOVE
        resource.prlimit(cli.process.pid, resource.RLIMIT_FSIZE, (limit, limit))
        message = {"From": {"Email": "a@shop.test"}, "To": [{"Email": "b@example.test"}]}
        sent = httpx.post(cli.url + "api/v1/send", json={**message, "Text": "x" * 2 * limit})
        assert sent.is_server_error  # not stored
        assert sorted(path.with_name("mail.db.raw").iterdir()) == []
        sent = httpx.post(cli.url + "api/v1/send", json={**message, "Text": "fits"})
        assert sent.status_code == 200


def test_the_checkpoint_copies_the_wal_into_the_file(tmp_path: Path) -> None:
    """SQLite's automatic checkpoint is off; the store's own runs on its own thread."""
    path = tmp_path / "mail.db"
    store = SqliteStore(path, ChangeHub())
    try:
        body = "x" * 60_000  # in the rows, not in files
        for _ in range(3):
            store.add_now([make_message(body=body + str(i)) for i in range(30)])
        wait_until(lambda: path.stat().st_size > CHECKPOINT_AFTER_BYTES)
    finally:
        store.close()


def test_close_finishes_pending_writes(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    store = SqliteStore(path, ChangeHub())
    futures = [store.add(make_message(subject=f"pending {i}")) for i in range(500)]
    store.close()
    assert all(f.done() and f.exception() is None for f in futures)

    reopened = SqliteStore(path, ChangeHub())
    try:
        assert reopened.count().total == 500
    finally:
        reopened.close()


def test_add_now_declines_while_the_writer_thread_is_busy(tmp_path: Path) -> None:
    """The event loop must never wait for the writer: `add_now` says no and `add` queues."""
    hub = ChangeHub()
    store = SqliteStore(tmp_path / "mail.db", hub)
    publishing, release = threading.Event(), threading.Event()

    def hold_the_writer(change: Change) -> None:
        if not release.is_set():
            publishing.set()
            release.wait(30)

    hub.subscribe(hold_the_writer)
    try:
        queued = store.add(make_message(subject="through the queue"))
        assert publishing.wait(30)
        assert store.add_now([make_message(subject="declined")]) is None
        release.set()
        assert queued.result(timeout=30).seq == 1
        now = store.add_now([make_message(subject="at once")])
        assert now is not None
        assert now[0].seq == 2
        assert [m.summary.subject for m in store.search()] == ["at once", "through the queue"]
    finally:
        release.set()
        store.close()


def test_the_file_records_its_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    SqliteStore(path, ChangeHub()).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_a_version_1_database_is_migrated_with_its_mail_searchable(tmp_path: Path) -> None:
    """Version 1 kept the fields and the body text in two tables, an FTS5 index each."""
    path = tmp_path / "v1.db"
    message = make_message(subject="Migrated Subject", body="a quasar in the body")
    summary = message.summary
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[1](db)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO messages (seq, id, received_ms, size, attachments, inlines, mailbox)"
        " VALUES (7, ?, 0, ?, 0, 0, '')",
        (message.id, len(message.raw)),
    )
    db.execute("UPDATE mailbox_counts SET total = 1, unread = 1")
    db.execute(
        "INSERT INTO message_data VALUES (7, '[]', ?, ?)",
        (envelope_to_json(message.envelope), summary_to_json(summary)),
    )
    db.execute("INSERT INTO raw VALUES (7, ?)", (message.raw,))
    fields = tuple(field_text(f, summary) for f in (TextField.SUBJECT, TextField.MESSAGE_ID))
    addresses = tuple(
        field_text(f, summary)
        for f in (TextField.FROM, TextField.TO, TextField.CC, TextField.BCC, TextField.REPLY_TO)
    )
    for table in ("message_fields", "message_fields_index"):
        key = "seq" if table == "message_fields" else "rowid"
        db.execute(
            f"INSERT INTO {table} ({key}, subject, message_id, from_text, to_text, cc_text,"
            " bcc_text, reply_to_text) VALUES (7, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, *addresses),
        )
    db.execute("INSERT INTO message_text VALUES (7, ?)", (summary.search_text,))
    db.execute(
        "INSERT INTO message_text_index (rowid, search_text) VALUES (7, ?)", (summary.search_text,)
    )
    db.close()

    store = SqliteStore(path, ChangeHub())
    try:
        for query in ("quasar", "subject:migrated", f"from:{summary.from_.address}"):
            assert [m.id for m in store.search(parse_search_query(query))] == [message.id], query
        assert store.raw(message.id) == message.raw
        assert store.add(make_message()).result(timeout=30).seq == 8
        store.delete([message.id])
        assert store.search(parse_search_query("quasar")) == []
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert "message_fields" not in tables


def test_a_version_2_database_gets_the_mailbox_index_and_counts_per_mailbox(
    tmp_path: Path,
) -> None:
    """Version 2 had no mailbox index and one row of counts for the whole store."""
    path = tmp_path / "v2.db"
    messages = [
        make_message(subject="first", mailbox="team-a"),
        make_message(subject="second", mailbox="team-b"),
        make_message(subject="third", mailbox="team-a"),
    ]
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[1](db)
    MIGRATIONS[2](db)
    db.execute("PRAGMA user_version = 2")
    fields = (
        TextField.SUBJECT,
        TextField.MESSAGE_ID,
        TextField.FROM,
        TextField.TO,
        TextField.CC,
        TextField.BCC,
        TextField.REPLY_TO,
        TextField.TEXT,
    )
    for seq, message in enumerate(messages, 1):
        db.execute(
            "INSERT INTO messages (seq, id, received_ms, size, read, attachments, inlines,"
            " mailbox) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
            (seq, message.id, seq, len(message.raw), seq == 1, message.envelope.mailbox),
        )
        db.execute(
            "INSERT INTO message_data VALUES (?, '[]', ?, ?)",
            (seq, envelope_to_json(message.envelope), summary_to_json(message.summary)),
        )
        db.execute("INSERT INTO raw (seq, data) VALUES (?, ?)", (seq, message.raw))
        texts = tuple(field_text(f, message.summary) for f in fields)
        for table, key in (("message_text", "seq"), ("message_text_index", "rowid")):
            db.execute(
                f"INSERT INTO {table} ({key}, subject, message_id, from_text, to_text, cc_text,"
                " bcc_text, reply_to_text, search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, *texts),
            )
    db.execute("UPDATE mailbox_counts SET total = 3, unread = 2")
    db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', 3)")
    db.close()

    store = SqliteStore(path, ChangeHub())
    try:
        assert [(m.name, m.total, m.unread) for m in store.mailboxes()] == [
            ("team-a", 2, 1),
            ("team-b", 1, 1),
        ]
        assert store.count() == MailboxCounts(3, 2)
        team_a = store.search(parse_search_query("mailbox:team-a"))
        assert [m.summary.subject for m in team_a] == ["third", "first"]
        assert store.raw(team_a[0].id) == messages[2].raw
        assert store.add(make_message(mailbox="team-b")).result(timeout=30).seq == 4
        assert store.count(mailbox_query("team-b")) == MailboxCounts(2, 2)
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        plan = " ".join(
            row[-1]
            for row in db.execute(
                "EXPLAIN QUERY PLAN SELECT seq FROM messages WHERE mailbox = ?"
                " ORDER BY seq DESC LIMIT 50",
                ("team-a",),
            )
        )
    db.close()
    assert "USING COVERING INDEX messages_mailbox" in plan
    assert "TEMP B-TREE" not in plan, "the index gives the Seq order: no sort"


def test_a_database_from_a_newer_mailsink_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError, match="newer than this mailsink"):
        SqliteStore(path, ChangeHub())


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not a database, just some text " * 100)
    with pytest.raises(RuntimeError, match=r"cannot open .*notes\.txt as a mailsink database"):
        SqliteStore(path, ChangeHub())
    assert path.read_bytes().startswith(b"this is not a database")


def test_size_on_disk_grows_with_messages(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "mail.db", ChangeHub())
    try:
        empty = store.size_on_disk()
        store.add(make_message(raw=b"x" * 200_000)).result(timeout=30)
        assert store.size_on_disk() >= empty + 200_000
    finally:
        store.close()


def test_a_subscriber_that_writes_gets_an_error_not_a_deadlock(tmp_path: Path) -> None:
    hub = ChangeHub()
    store = SqliteStore(tmp_path / "mail.db", hub)
    errors: list[BaseException] = []

    def writes_back(change: object) -> None:
        try:
            store.set_read(None, True)
        except RuntimeError as error:
            errors.append(error)

    hub.subscribe(writes_back)
    try:
        store.add(make_message()).result(timeout=30)
        assert [str(e) for e in errors] == [
            "a change subscriber must not write to the store (deadlock)"
        ]
    finally:
        store.close()


_ADD_UNTIL_KILLED = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from mailsink.events import Change, ChangeHub
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.ids import new_message_id
from mailsink.message.summary import MessageSummary
from mailsink.store.base import NewMessage
from mailsink.store.sqlite import SqliteStore

store = SqliteStore(Path(sys.argv[1]), ChangeHub())
summary = MessageSummary("", None, (), (), (), (), "s", None, "", 0, 0, (), "text", ())
envelope = Envelope("a@b.c", (Recipient("d@e.f"),), datetime.now(UTC))

raw = b"Subject: s\\r\\n\\r\\nbody\\r\\n"
while True:  # batches of concurrent adds (group commit), each acknowledged when it completes
    batch = [store.add(NewMessage(new_message_id(), raw, envelope, summary)) for _ in range(50)]
    for future in batch:
        sys.stdout.write(future.result().id + "\\n")
    sys.stdout.flush()
"""


def test_no_acknowledged_message_is_lost_when_the_process_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    child = subprocess.Popen(
        [sys.executable, "-c", _ADD_UNTIL_KILLED, str(path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged = []
    try:
        assert child.stdout is not None
        while len(acknowledged) < 2000:
            line = child.stdout.readline()
            assert line, f"the writer process ended early: {child.wait()}"
            acknowledged.append(line.strip())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()  # type: ignore[union-attr]

    store = SqliteStore(path, ChangeHub())
    try:
        missing = [i for i in acknowledged if store.get(i) is None]
        assert missing == []
    finally:
        store.close()
