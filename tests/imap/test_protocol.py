"""IMAP at the byte level: bad commands, literals, IDLE, and clients that vanish."""

from __future__ import annotations

from mailsink import MailSink
from tests.builders import send_over_smtp
from tests.mail_clients import LineClient


def logged_in(sink: MailSink) -> LineClient:
    assert sink.imap_port is not None
    client = LineClient(sink.imap_port)
    assert client.line().startswith(b"* OK [CAPABILITY IMAP4rev1")
    client.command(b"a LOGIN user pass\r\n", b"a OK")
    return client


def test_bad_commands_get_bad_or_no_and_the_session_goes_on(sink: MailSink) -> None:
    send_over_smtp(sink, b"Subject: x\r\n\r\ny\r\n")
    sink.wait_for_one()
    client = LineClient(sink.imap_port)  # type: ignore[arg-type]
    client.line()
    exchanges = [
        (b"a1 SELECT INBOX\r\n", b"a1 BAD SELECT is not allowed in the not authenticated state"),
        (b"\r\n", b"* BAD expected a tag and a command"),
        (b"a2 FROB\r\n", b"a2 BAD unknown command 'FROB'"),
        (b"a3 LOGIN u p\r\n", b"a3 OK [CAPABILITY"),
        (b"a4 FETCH 1 FLAGS\r\n", b"a4 BAD FETCH is not allowed in the authenticated state"),
        (b"a5 SELECT\r\n", b"a5 BAD SELECT and EXAMINE need one mailbox name"),
        (b"a6 SELECT (INBOX\r\n", b"a6 BAD unbalanced '('"),
        (b"a7 APPEND INBOX {3}\r\n", b"+ go ahead"),
        (b"abc\r\n", b"a7 NO [CANNOT] APPEND is not offered"),
        # Over the literal limit, non-synchronizing: read, dropped, refused for what it is.
        (b"a7 APPEND INBOX {70000+}\r\n" + b"x" * 70000 + b"\r\n", b"a7 NO [CANNOT] APPEND"),
        (b"a8 LOGIN {999999999}\r\n", b"a8 BAD literal over 65536 bytes"),
        (b"a9 SELECT INBOX\r\n", b"a9 OK [READ-WRITE]"),
        (b"b1 FETCH 7 (FLAGS)\r\n", b"b1 BAD no message 7: the mailbox has 1"),
        (b"b2 FETCH x (FLAGS)\r\n", b"b2 BAD expected a sequence set"),
        # A Unicode digit is a digit to str.isdigit() but not to int().
        ("c1 FETCH ¹ (FLAGS)\r\n".encode(), b"c1 BAD expected a sequence set"),
        ("c2 SEARCH LARGER ¹\r\n".encode(), b"c2 BAD expected a number in SEARCH"),
        (b"b3 FETCH 1 (BODY[9.ZAP])\r\n", b"b3 BAD unknown body section [9.ZAP]"),
        (b"b4 SEARCH FROM\r\n", b"b4 BAD SEARCH criteria end where a string was expected"),
        (b"b5 SEARCH SINCE yesterday\r\n", b"b5 BAD expected a date such as 1-Feb-2026"),
        (b"b6 STORE 1 FLAGS\r\n", b"b6 BAD STORE needs a sequence set"),
        (b"b7 " + b"x" * 20000 + b"\r\n", b"* BAD line too long"),
        (b"b8 FETCH 1 (BODY[3])\r\n", b"* 1 FETCH (BODY[3] {0}"),
        (b"b9 NOOP\r\n", b"b9 OK"),
    ]
    for command, reply in exchanges:
        lines = client.command(command, b"")
        while not (lines[-1].startswith(reply) or lines[-1].startswith(command[:3])):
            lines.append(client.line())
        assert lines[-1].startswith(reply), (command[:30], lines)
    client.close()


def test_literals_and_non_synchronizing_literals(sink: MailSink) -> None:
    client = LineClient(sink.imap_port)  # type: ignore[arg-type]
    client.line()
    client.send(b"a LOGIN {4}\r\n")
    assert client.line() == b"+ go ahead\r\n"
    client.send(b'user {3+}\r\np"w\r\n')
    assert client.line().startswith(b"a OK")
    client.close()


def test_idle_reports_new_mail_as_it_arrives(sink: MailSink) -> None:
    client = logged_in(sink)
    assert client.command(b"s SELECT INBOX\r\n", b"s OK")[1] == b"* 0 EXISTS\r\n"
    client.command(b"i IDLE\r\n", b"+ ")
    send_over_smtp(sink, b"Subject: live\r\n\r\nnow\r\n")
    assert client.line() == b"* 1 EXISTS\r\n"
    sink.context.store.delete([sink.wait_for_one().id])
    assert client.line() == b"* 1 EXPUNGE\r\n"
    client.send(b"DONE\r\n")
    assert client.line().startswith(b"i OK IDLE terminated")
    client.close()


def test_noop_reports_changes_made_elsewhere(sink: MailSink) -> None:
    send_over_smtp(sink, b"Subject: one\r\n\r\nx\r\n")
    one = sink.wait_for_one()
    client = logged_in(sink)
    client.command(b"s SELECT INBOX\r\n", b"s OK")
    sink.context.store.set_read([one.id], True)
    send_over_smtp(sink, b"Subject: two\r\n\r\nx\r\n")
    sink.wait_for(2)
    lines = client.command(b"n NOOP\r\n", b"n OK")
    assert lines[:-1] == [b"* 1 FETCH (FLAGS (\\Seen))\r\n", b"* 2 EXISTS\r\n"]
    client.close()


def test_a_client_that_drops_mid_command_harms_nobody(sink: MailSink) -> None:
    send_over_smtp(sink, b"Subject: big\r\n\r\n" + b"y" * 4_000_000 + b"\r\n")
    sink.wait_for_one()
    half = LineClient(sink.imap_port)  # type: ignore[arg-type]
    half.line()
    half.send(b"a LOGIN {10}\r\n")
    assert half.line() == b"+ go ahead\r\n"
    half.send(b"abc")  # then nothing more: the literal never completes
    reader = logged_in(sink)
    reader.command(b"s SELECT INBOX\r\n", b"s OK")
    reader.send(b"f FETCH 1 (BODY.PEEK[])\r\n")
    reader.line()
    reader.close()  # gone in the middle of a 4 MB answer
    half.close()
    client = logged_in(sink)
    lines = client.command(b"s SELECT INBOX\r\n", b"s OK")
    assert b"* 1 EXISTS\r\n" in lines
    client.close()


def test_commands_sent_with_starttls_in_plain_text_are_refused(sink: MailSink) -> None:
    client = LineClient(sink.imap_port)  # type: ignore[arg-type]
    client.line()
    client.send(b"t STARTTLS\r\nu LOGIN injected x\r\n")
    assert client.line() == b"t BAD nothing may follow STARTTLS before the TLS handshake\r\n"
    assert client.line().startswith(b"u OK")  # answered in plain text, as it was sent
    client.close()


def test_open_sessions_are_told_when_the_sink_stops(sink: MailSink) -> None:
    imap = logged_in(sink)
    pop3 = LineClient(sink.pop3_port)  # type: ignore[arg-type]
    pop3.line()
    sink.stop()
    assert imap.line() == b"* BYE mailsink is shutting down\r\n"
    assert pop3.line() == b"-ERR [SYS/TEMP] mailsink is shutting down\r\n"
    imap.close()
    pop3.close()
