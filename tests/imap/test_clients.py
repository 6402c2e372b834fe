"""IMAP with the clients people use in test suites: imap-tools and curl; and the same message
byte for byte over IMAP, POP3 and the HTTP API."""

from __future__ import annotations

import poplib
import shutil
import subprocess

import httpx
import pytest
from imap_tools import AND, MailBox, MailMessageFlags

from mailsink import MailSink
from tests.builders import send_over_smtp
from tests.mail_clients import TIMEOUT, unverified_tls

# What applications send and what strict servers would mangle: 8-bit bytes, lines starting
# with dots, a line over 1,000 bytes, a bare LF, trailing spaces.
UNUSUAL = (
    b"From: =?utf-8?q?Z=C3=BCrich?= <z@example.com>\r\nTo: t@example.com\r\n"
    b"Subject: bytes\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    b"Gr\xc3\xbc\xc3\x9fe   \r\n.leading dot\r\n..two\r\n" + b"L" * 1500 + b"\r\nbare\nLF\r\n"
)


def mailbox_of(sink: MailSink) -> MailBox:
    """imap-tools' MailBox over the implicit-TLS listener."""
    assert sink.imaps_port is not None
    client = MailBox("127.0.0.1", sink.imaps_port, timeout=TIMEOUT, ssl_context=unverified_tls())
    return client.login("u", "p")


def test_the_same_bytes_over_imap_pop3_and_http(sink: MailSink) -> None:
    send_over_smtp(sink, UNUSUAL)
    stored = sink.wait_for_one()
    assert stored.raw == UNUSUAL
    with mailbox_of(sink) as mailbox:
        _, data = mailbox.client.uid("FETCH", str(stored.seq), "(BODY.PEEK[])")
        assert data[0][1] == UNUSUAL  # type: ignore[index]
    pop3 = poplib.POP3("127.0.0.1", sink.pop3_port, timeout=TIMEOUT)  # type: ignore[arg-type]
    pop3.user("u")
    pop3.pass_("p")
    pop3.sock.sendall(b"RETR 1\r\n")
    assert pop3.file.readline().startswith(b"+OK")
    body = b"".join(iter(pop3.file.readline, b".\r\n"))
    pop3.quit()
    assert body.replace(b"\n..", b"\n.") == UNUSUAL  # the dot-stuffing undone, nothing else
    response = httpx.get(f"{sink.url}api/v1/message/{stored.id}/raw", timeout=TIMEOUT)
    assert response.content == UNUSUAL


def test_imap_tools_fetches_flags_deletes_and_idles(sink: MailSink) -> None:
    send_over_smtp(sink, b"From: a@example.com\r\nSubject: first\r\n\r\none\r\n")
    send_over_smtp(sink, b"From: b@example.com\r\nSubject: second\r\n\r\ntwo\r\n")
    first, second = sink.wait_for(2)
    with mailbox_of(sink) as mailbox:
        assert [f.name for f in mailbox.folder.list()] == ["INBOX"]
        messages = list(mailbox.fetch(mark_seen=False))
        assert [(m.uid, m.subject, m.from_) for m in messages] == [
            (str(first.seq), "first", "a@example.com"),
            (str(second.seq), "second", "b@example.com"),
        ]
        assert [m.subject for m in mailbox.fetch(AND(from_="b@example.com"))] == ["second"]
        assert sink.context.store.get(second.id).read is True  # type: ignore[union-attr]
        mailbox.flag(str(first.seq), MailMessageFlags.SEEN, True)
        assert sink.context.store.get(first.id).read is True  # type: ignore[union-attr]
        mailbox.delete(str(first.seq))
        assert [m.id for m in sink.messages] == [second.id]
        assert mailbox.folder.status("INBOX")["MESSAGES"] == 1
        with mailbox.idle as idle:
            send_over_smtp(sink, b"Subject: third\r\n\r\nthree\r\n")
            responses = idle.poll(timeout=TIMEOUT)
        assert b"* 2 EXISTS" in responses


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_lists_searches_and_fetches(sink: MailSink) -> None:
    send_over_smtp(sink, UNUSUAL)
    stored = sink.wait_for_one()
    base = f"imap://u:p@127.0.0.1:{sink.imap_port}/"

    def curl(*args: str) -> bytes:
        done = subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=TIMEOUT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert curl(base) == b'* LIST (\\HasNoChildren) "/" "INBOX"\r\n'
    assert curl(base + "INBOX?SUBJECT%20bytes") == b"* SEARCH 1\r\n"
    assert curl(f"{base}INBOX;UID={stored.seq}") == UNUSUAL
    assert curl(f"{base}INBOX;MAILINDEX=1;SECTION=HEADER.FIELDS%20(SUBJECT)") == (
        b"Subject: bytes\r\n\r\n"
    )
