"""POP3 with real clients: poplib and curl, over plain, STLS and implicit TLS."""

from __future__ import annotations

import poplib
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from mailsink import MailSink
from mailsink.config import HostPort
from mailsink.events import ChangeKind
from mailsink.mailaccess.login import LoginPolicy
from tests.builders import send_over_smtp
from tests.mail_clients import TIMEOUT, LineClient, file_into, unverified_tls

MESSAGE = (
    b"From: App <app@example.com>\r\nTo: you@example.com\r\nSubject: hello\r\n\r\n"
    b".a line that starts with a dot\r\n..two dots\r\n.\r\nlast line\r\n"
)


def pop3(sink: MailSink, user: str = "anyone") -> poplib.POP3:
    client = poplib.POP3("127.0.0.1", sink.pop3_port, timeout=TIMEOUT)
    client.user(user)
    client.pass_("any password")
    return client


def test_retr_gives_back_the_stored_bytes(sink: MailSink) -> None:
    send_over_smtp(sink, MESSAGE)
    sink.wait_for_one()
    client = pop3(sink)
    _, lines, octets = client.retr(1)
    assert b"\r\n".join(lines) + b"\r\n" == MESSAGE
    assert octets >= len(MESSAGE)
    client.quit()


@pytest.mark.parametrize("user", ["team", "mailbox:team"])
def test_a_login_named_like_a_mailbox_sees_that_mailbox(sink: MailSink, user: str) -> None:
    send_over_smtp(sink, b"Subject: for everyone\r\n\r\nx\r\n")
    sink.wait_for_one()
    team = file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    client = pop3(sink, user)
    assert client.uidl()[1] == [f"1 {team.id}".encode()]
    client.quit()
    client = pop3(sink, "someone-else")  # no such mailbox: the default one
    assert b"for everyone" in b"\r\n".join(client.retr(1)[1])
    assert client.stat()[0] == 1
    client.quit()


def test_stat_list_uidl_and_top(sink: MailSink) -> None:
    for subject in ("one", "two"):
        send_over_smtp(sink, f"Subject: {subject}\r\n\r\nline 1\r\nline 2\r\n")
    first, second = sink.wait_for(2)
    client = pop3(sink)
    assert client.stat() == (2, len(first.raw) + len(second.raw))
    assert client.list()[1] == [f"1 {len(first.raw)}".encode(), f"2 {len(second.raw)}".encode()]
    assert client.uidl()[1] == [f"1 {first.id}".encode(), f"2 {second.id}".encode()]
    assert client.uidl(2) == f"+OK 2 {second.id}".encode()
    assert client.top(1, 1)[1] == [b"Subject: one", b"", b"line 1"]
    assert client.top(2, 0)[1] == [b"Subject: two", b""]
    client.quit()


def test_dele_deletes_at_quit_with_delete_events(sink: MailSink) -> None:
    send_over_smtp(sink, b"Subject: keep\r\n\r\nx\r\n")
    send_over_smtp(sink, b"Subject: drop\r\n\r\nx\r\n")
    keep, drop = sink.wait_for(2)
    deleted: list[tuple[str, ...]] = []
    sink.context.hub.subscribe(
        lambda change: deleted.append(change.ids) if change.kind is ChangeKind.DELETE else None
    )
    client = pop3(sink)
    assert client.dele(2) == b"+OK message 2 deleted"
    with pytest.raises(poplib.error_proto, match="marked deleted"):
        client.retr(2)
    assert client.stat()[0] == 1
    assert [m.id for m in sink.messages] == [keep.id, drop.id]  # nothing deleted before QUIT
    assert b"1 message(s) deleted" in client.quit()
    assert [m.id for m in sink.messages] == [keep.id]
    assert deleted == [(drop.id,)]


def test_rset_and_a_dropped_connection_delete_nothing(sink: MailSink) -> None:
    send_over_smtp(sink, b"Subject: a\r\n\r\nx\r\n")
    sink.wait_for_one()
    client = pop3(sink)
    client.dele(1)
    client.rset()
    client.quit()
    client = pop3(sink)
    client.dele(1)
    client.file.close()
    client.sock.close()  # gone without QUIT: RFC 1939 keeps the mail
    client = pop3(sink)
    assert client.stat()[0] == 1
    client.quit()


def test_stls_upgrades_and_is_then_no_longer_offered(sink: MailSink) -> None:
    client = poplib.POP3("127.0.0.1", sink.pop3_port, timeout=TIMEOUT)
    assert "STLS" in client.capa()
    client.stls(unverified_tls())
    assert "STLS" not in client.capa()
    client.user("u")
    client.pass_("p")
    assert client.stat() == (0, 0)
    client.quit()


def test_implicit_tls_listener(sink: MailSink) -> None:
    send_over_smtp(sink, MESSAGE)
    sink.wait_for_one()
    assert sink.pop3s_port is not None
    client = poplib.POP3_SSL(
        "127.0.0.1", sink.pop3s_port, timeout=TIMEOUT, context=unverified_tls()
    )
    client.user("u")
    client.pass_("p")
    assert b"\r\n".join(client.retr(1)[1]) + b"\r\n" == MESSAGE
    assert "STLS" not in client.capa()
    client.quit()


def test_bad_commands_get_err_and_the_session_goes_on(sink: MailSink) -> None:
    send_over_smtp(sink, MESSAGE)
    sink.wait_for_one()
    client = LineClient(sink.pop3_port)
    assert client.line().startswith(b"+OK")
    exchanges = [
        (b"RETR 1\r\n", b"-ERR RETR is not allowed in the authorization state"),
        (b"PASS secret\r\n", b"-ERR PASS must follow USER"),
        (b"FROB\r\n", b"-ERR unknown command 'FROB'"),
        (b"USER " + b"x" * 5000 + b"\r\n", b"-ERR line too long"),
        (b"USER bob\r\n", b"+OK"),
        (b"PASS pw\r\n", b"+OK 1 message(s)"),
        (b"RETR x\r\n", b"-ERR expected a message number, got 'x'"),
        ("RETR ¹\r\n".encode(), b"-ERR expected a message number"),  # isdigit(), yet no int
        ("TOP 1 ¹\r\n".encode(), b"-ERR TOP needs a message number and a line count"),
        (b"LIST 9\r\n", b"-ERR no message 9; there are 1"),
        (b"TOP 1\r\n", b"-ERR TOP needs a message number and a line count"),
        (b"USER bob\r\n", b"-ERR USER is not allowed in the transaction state"),
        (b"STAT\r\n", b"+OK 1 "),
    ]
    for command, reply in exchanges:
        client.send(command)
        assert client.line().startswith(reply), command[:20]
    client.close()


def test_a_client_that_drops_mid_command_harms_nobody(sink: MailSink) -> None:
    big = b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n"
    send_over_smtp(sink, big * 1 + b"y" * 4_000_000 + b"\r\n")
    sink.wait_for_one()
    half = LineClient(sink.pop3_port)
    half.line()
    half.send(b"USER bo")  # and never the end of the line
    reader = LineClient(sink.pop3_port)
    reader.line()
    reader.command(b"USER a\r\nPASS b\r\n", b"+OK 1")
    reader.send(b"RETR 1\r\n")
    reader.line()
    reader.close()  # gone in the middle of a 4 MB answer
    half.close()
    client = pop3(sink)
    assert client.stat()[0] == 1
    client.quit()


def test_auth_file_checks_logins(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("alice:wonderland\n")
    with MailSink(pop3=True, pop3_auth_file=users) as sink:
        client = poplib.POP3("127.0.0.1", sink.pop3_port, timeout=TIMEOUT)
        client.user("alice")
        with pytest.raises(poplib.error_proto, match=r"\[AUTH\] invalid username or password"):
            client.pass_("wrong")
        client.user("alice")
        assert client.pass_("wonderland").startswith(b"+OK")
        client.quit()


def test_any_login_only_on_loopback(tmp_path: Path) -> None:
    loopback = LoginPolicy.for_listeners(None, [HostPort("127.0.0.1", 0)], "--pop3-auth-file")
    exposed = LoginPolicy.for_listeners(None, [HostPort("0.0.0.0", 0)], "--pop3-auth-file")
    assert loopback.any_login
    assert not exposed.any_login
    assert exposed.refusal == "logins need --pop3-auth-file on a non-loopback address"
    users = tmp_path / "users"
    users.write_text("bob:pw\n")
    with_file = LoginPolicy.for_listeners(users, [HostPort("0.0.0.0", 0)], "--pop3-auth-file")
    assert with_file.users is not None


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_lists_and_retrieves(sink: MailSink) -> None:
    send_over_smtp(sink, MESSAGE)
    sink.wait_for_one()
    base = f"pop3://user:pass@127.0.0.1:{sink.pop3_port}/"
    listing = subprocess.run(["curl", "-sS", base], capture_output=True, timeout=TIMEOUT)
    assert listing.stdout == f"1 {len(MESSAGE)}\r\n".encode()
    message = subprocess.run(["curl", "-sS", base + "1"], capture_output=True, timeout=TIMEOUT)
    assert message.returncode == 0, message.stderr
    assert message.stdout == MESSAGE


def test_many_sessions_at_once(sink: MailSink) -> None:
    send_over_smtp(sink, MESSAGE)
    sink.wait_for_one()
    results: list[bytes] = []

    def fetch() -> None:
        client = pop3(sink)
        results.append(b"\r\n".join(client.retr(1)[1]) + b"\r\n")
        client.quit()

    threads = [threading.Thread(target=fetch) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert results == [MESSAGE] * 10


def test_commands_sent_with_stls_in_plain_text_are_refused(sink: MailSink) -> None:
    client = LineClient(sink.pop3_port)  # type: ignore[arg-type]
    client.line()
    client.send(b"STLS\r\nUSER injected\r\n")  # the second line must not run as if encrypted
    assert client.line() == b"-ERR nothing may follow STLS before the TLS handshake\r\n"
    assert client.line() == b"+OK send PASS\r\n"  # answered in plain text, as it was sent
    client.close()
