"""Large messages written to the SQLite store's spool as DATA arrives (`mailsink.message.spool`):
bytes exact, the file linked (not written again) under the message's Seq, one inode for the
copies of a message filed in several mailboxes, and nothing left in the spool whatever the
outcome: stored, over the size limit, cut off mid-DATA, a spool that cannot be written or a
disk that fills up, or a killed server (the next start empties it, and every acknowledged
message is there)."""

from __future__ import annotations

import itertools
import resource
import signal
import smtplib
import threading
from pathlib import Path

import pytest

from mailsink.events import ChangeHub
from mailsink.message.spool import SPOOL_ABOVE
from mailsink.store.sqlite import SqliteStore
from tests.conftest import run_cli, wait_until

from .harness import MakeSink, RawClient, RunningSmtp
from .test_data_reader import open_data, send_data

# Over the spool threshold, with periods to unstuff on both sides of it.
BODY = b"".join(b"%07d .line\r\n..%d\r\n" % (n, n) for n in range(2 * SPOOL_ABOVE // 20))
LARGE = b"Subject: large\r\n\r\n" + BODY
SMALL = b"Subject: small\r\n\r\nfits\r\n"
STORED = b"Subject: large\r\n\r\n" + BODY.replace(b"\r\n..", b"\r\n.")


def raw_dir(database: Path) -> Path:
    return database.with_name(database.name + ".raw")


def spooled_files(database: Path) -> list[Path]:
    incoming = raw_dir(database) / "incoming"
    return sorted(incoming.iterdir()) if incoming.is_dir() else []


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "mail.db"


@pytest.fixture
def sqlite_sink(make_sink: MakeSink, database: Path) -> RunningSmtp:
    return make_sink(database=database)


def test_a_large_message_is_stored_exactly_in_a_file_named_by_its_seq(
    sqlite_sink: RunningSmtp, database: Path
) -> None:
    client, reply = send_data(sqlite_sink, LARGE + b".\r\n")
    client.close()
    assert reply.startswith("250 2.0.0")
    [message] = sqlite_sink.wait_for_messages(1)
    assert sqlite_sink.raws() == [STORED]
    stored_file = raw_dir(database) / str(message.seq)
    assert stored_file.read_bytes() == STORED
    wait_until(lambda: spooled_files(database) == [])
    assert stored_file.stat().st_nlink == 1  # the spool's link is gone, the store's stays


def test_copies_in_several_mailboxes_share_one_file_and_outlive_each_other(
    make_sink: MakeSink, database: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nrcpt = "*@a.test"\nmailbox = "team-a"\n'
        '[[rule]]\nrcpt = "*@b.test"\nmailbox = "team-b"\n'
    )
    sink = make_sink(database=database, mailbox_rules=rules)
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.sendmail("app@shop.test", ["x@a.test", "y@b.test"], STORED)
    first, second = sink.wait_for_messages(2)
    assert {first.envelope.mailbox, second.envelope.mailbox} == {"team-a", "team-b"}
    files = [raw_dir(database) / str(m.seq) for m in (first, second)]
    assert files[0].stat().st_ino == files[1].stat().st_ino  # linked, not written twice
    assert sink.raws() == [STORED, STORED]
    sink.store.delete([first.id])
    assert sink.store.raw(second.id) == STORED
    wait_until(lambda: spooled_files(database) == [])


def test_copies_in_several_mailboxes_count_once_in_the_size_on_disk(
    make_sink: MakeSink, database: Path, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nrcpt = "*@*"\nmailbox = "{2}"\n')  # by domain
    sink = make_sink(database=database, mailbox_rules=rules)
    before = sink.store.size_on_disk()
    message = STORED * 16  # a few MB: the database's own growth is small beside it
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.sendmail("app@shop.test", ["x@a.test", "y@b.test", "z@c.test"], message)
    sink.wait_for_messages(3)
    assert sink.store.size_on_disk() - before < 1.5 * len(message)


def test_a_client_cut_off_mid_data_leaves_nothing_in_the_spool(
    sqlite_sink: RunningSmtp, database: Path
) -> None:
    client = open_data(sqlite_sink)
    client.send(LARGE)  # past the threshold: the spool file exists
    wait_until(lambda: len(spooled_files(database)) == 1)
    client.close()
    wait_until(lambda: spooled_files(database) == [])
    assert sqlite_sink.messages() == []


def test_a_message_over_the_size_limit_leaves_nothing_in_the_spool(
    make_sink: MakeSink, database: Path
) -> None:
    sink = make_sink(database=database, smtp_max_size=len(LARGE) // 2)
    client, reply = send_data(sink, LARGE + b".\r\n")
    assert reply.startswith("552 5.3.4")
    assert client.command("QUIT").startswith("221")
    client.close()
    assert spooled_files(database) == []
    assert sink.messages() == []


def test_a_spool_that_cannot_be_written_gets_451_and_the_session_goes_on(
    sqlite_sink: RunningSmtp, database: Path
) -> None:
    blocker = raw_dir(database) / "incoming"
    blocker.parent.mkdir(exist_ok=True)
    blocker.write_bytes(b"")  # a file where the spool's directory should be
    client, reply = send_data(sqlite_sink, LARGE + b".\r\n")
    assert reply.startswith("451 4.3.0"), reply
    assert "could not be written to disk" in reply
    # The same connection goes on: a small message needs no spool, a large one works again
    # once the directory can be made.
    assert client.command("MAIL FROM:<a@example.com>").startswith("250")
    assert client.command("RCPT TO:<b@example.com>").startswith("250")
    assert client.command("DATA").startswith("354")
    assert client.command(SMALL + b".").startswith("250")
    blocker.unlink()
    assert client.command("MAIL FROM:<a@example.com>").startswith("250")
    assert client.command("RCPT TO:<b@example.com>").startswith("250")
    assert client.command("DATA").startswith("354")
    client.send(LARGE + b".\r\n")
    assert client.reply().startswith("250")
    client.close()
    sqlite_sink.wait_for_messages(2)
    assert sqlite_sink.raws() == [SMALL, STORED]
    assert sqlite_sink.wait_for_incident("could not be written to disk")


def test_a_disk_that_fills_up_mid_data_gets_451_and_the_session_goes_on(tmp_path: Path) -> None:
    """Every line dot-stuffed: the pieces are small, so the spool file's buffer holds bytes the
    disk refused, which closing the file tries to write again (and fails to)."""
    database = tmp_path / "mail.db"
    with run_cli("--database", str(database), "--smtp", "127.0.0.1:0") as cli:
        # The server's files stop growing here, as on a full disk (Python ignores SIGXFSZ).
        limit = 4 * SPOOL_ABOVE
        resource.prlimit(cli.process.pid, resource.RLIMIT_FSIZE, (limit, limit))
        with smtplib.SMTP(*cli.smtp, timeout=30) as client:
            client.ehlo()
            client.mail("app@shop.test")
            client.rcpt("user@example.test")
            code, reply = client.data(b"Subject: dots\r\n\r\n" + b".a dotted line\r\n" * limit)
            assert (code, b"could not be written to disk" in reply) == (451, True), reply
            assert spooled_files(database) == []
            assert client.sendmail("app@shop.test", ["user@example.test"], SMALL) == {}


def send_until_cut_off(address: tuple[str, int], acknowledged: dict[str, bytes]) -> None:
    """Large messages one after the other, each recorded under its ID once it has its `250`."""
    try:
        with smtplib.SMTP(*address, timeout=30) as client:
            client.ehlo()
            for n in itertools.count():
                message = b"X-Number: %d\r\n" % n + STORED
                client.mail("app@shop.test")
                client.rcpt("user@example.test")
                code, reply = client.data(message)
                assert code == 250, reply
                acknowledged[reply.split()[-1].decode()] = message
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        return  # the server was killed


def test_no_acknowledged_large_message_is_lost_when_the_server_is_killed(database: Path) -> None:
    """`kill -9` while clients send large messages and one is mid-DATA: after a restart every
    message that had its `250` is there byte for byte, and the spool is empty."""
    acknowledged: dict[str, bytes] = {}
    with run_cli("--database", str(database), "--smtp", "127.0.0.1:0") as cli:
        senders = [
            threading.Thread(target=send_until_cut_off, args=(cli.smtp, acknowledged))
            for _ in range(2)
        ]
        for sender in senders:
            sender.start()
        wait_until(lambda: len(acknowledged) >= 20)
        with RawClient(*cli.smtp) as cut_off:
            cut_off.reply()
            cut_off.command("EHLO client.example")
            cut_off.command("MAIL FROM:<a@example.com>")
            cut_off.command("RCPT TO:<b@example.com>")
            assert cut_off.command("DATA").startswith("354")
            cut_off.send(LARGE)  # past the threshold, no end: in the spool when killed
            wait_until(lambda: len(spooled_files(database)) >= 1)
            cli.stop(signal.SIGKILL)
        for sender in senders:
            sender.join()
    assert spooled_files(database) != []
    store = SqliteStore(database, ChangeHub())
    try:
        assert spooled_files(database) == []
        assert {i: store.raw(i) for i in acknowledged} == acknowledged
    finally:
        store.close()


def test_the_memory_store_keeps_large_messages_in_memory(sink: RunningSmtp) -> None:
    assert sink.store.spool() is None
    client, reply = send_data(sink, LARGE + b".\r\n")
    client.close()
    assert reply.startswith("250")
    sink.wait_for_messages(1)
    assert sink.raws() == [STORED]


def test_strict_mode_reads_a_spooled_message(make_sink: MakeSink, database: Path) -> None:
    sink = make_sink(database=database, smtp_strict=True)
    bad = LARGE + b"bare\nLF\r\n"
    client, reply = send_data(sink, bad + b".\r\n")
    assert reply.startswith("550 5.6.0"), reply
    client.close()
    wait_until(lambda: spooled_files(database) == [])
    assert sink.messages() == []
