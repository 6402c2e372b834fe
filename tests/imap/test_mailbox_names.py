"""Mailbox names over IMAP with imaplib and imap-tools: names a client sends in modified UTF-7
are decoded, what is not modified UTF-7 gets a clear NO, names that need quoting are read as
sent, and the session goes on after each refusal.

mailsink's mailbox names are ASCII letters, digits, '.', '_' and '-' only, so no encoded name
names a mailbox: what decoding changes is the answer to a name that is not modified UTF-7."""

from __future__ import annotations

import imaplib

import pytest
from imap_tools import MailBoxUnencrypted
from imap_tools.errors import MailboxFolderSelectError, MailboxFolderStatusError

from mailsink import MailSink
from tests.builders import send_over_smtp
from tests.mail_clients import TIMEOUT, file_into

from .test_imaplib import imap
from .test_protocol import logged_in

BAD_ENCODINGS = [
    ("&AOk", "an '&' without the '-' that ends it"),
    ("&Jjo!-", "'Jjo!' is not modified base64"),
    ("&2D0-", "'2D0' is not base64 of UTF-16"),
    ("&AEkATgBCAE8AWA-", "not the one spelling of its name, which is 'INBOX'"),
]


def _open_or_status(client: imaplib.IMAP4, command: str, name: str) -> tuple[str, list[bytes]]:
    if command == "STATUS":
        return client.status(name, "(MESSAGES)")  # type: ignore[return-value]
    return client.select(name, readonly=command == "EXAMINE")  # type: ignore[return-value]


@pytest.mark.parametrize(("wire", "reason"), BAD_ENCODINGS)
@pytest.mark.parametrize("command", ["SELECT", "EXAMINE", "STATUS"])
def test_a_name_that_is_not_modified_utf7_gets_no_and_the_session_goes_on(
    sink: MailSink, command: str, wire: str, reason: str
) -> None:
    send_over_smtp(sink, b"Subject: x\r\n\r\ny\r\n")
    sink.wait_for_one()
    client = imap(sink, mailbox=None)
    answer = f"mailbox name '{wire}' is not valid modified UTF-7: {reason}".encode()
    assert _open_or_status(client, command, wire) == ("NO", [answer])
    assert client.select("INBOX") == ("OK", [b"1"])
    client.logout()


@pytest.mark.parametrize("command", ["SELECT", "EXAMINE", "STATUS"])
def test_eight_bit_names_are_refused_as_not_modified_utf7(sink: MailSink, command: str) -> None:
    """A client that sends UTF-8 instead of modified UTF-7 (imaplib cannot: it sends ASCII)."""
    client = logged_in(sink)
    arguments = ' "été" (MESSAGES)' if command == "STATUS" else ' "été"'
    lines = client.command(f"n {command}{arguments}\r\n".encode(), b"n ")
    assert lines[-1] == (
        b"n NO mailbox name '\\xe9t\\xe9' is not valid modified UTF-7: "
        b"'\\xe9' must be written in modified UTF-7 (&...-)\r\n"
    )
    assert client.command(b"s SELECT INBOX\r\n", b"s ")[-1].startswith(b"s OK")
    client.close()


def test_imap_tools_encodes_unicode_names_and_mailsink_reads_them(sink: MailSink) -> None:
    file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    with MailBoxUnencrypted("127.0.0.1", sink.imap_port, timeout=TIMEOUT).login("u", "p") as box:
        assert [folder.name for folder in box.folder.list()] == ["INBOX", "team"]
        assert not box.folder.exists("été")
        with pytest.raises(MailboxFolderSelectError) as refused:
            box.folder.set("été")
        assert refused.value.command_result == (
            "NO",
            [b"[NONEXISTENT] no mailbox named '&AOk-t&AOk-'"],
        )
        with pytest.raises(MailboxFolderStatusError) as refused:
            box.folder.status("台北")
        assert refused.value.command_result == (
            "NO",
            [b"[NONEXISTENT] no mailbox named '&U,BTFw-'"],
        )
        assert box.folder.status("team")["MESSAGES"] == 1
        box.folder.set("team")
        assert [m.subject for m in box.fetch(mark_seen=False)] == ["for the team"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("a b", b"'a b'"),
        ('say "hi"', b"'say \"hi\"'"),
        ("back\\slash", b"'back\\\\slash'"),
        ("R&D", b"'R&-D'"),
    ],
)
def test_names_that_need_quoting_are_read_as_sent(sink: MailSink, name: str, shown: bytes) -> None:
    """imap-tools sends these quoted, with '"' and '\\' escaped; mailsink reads the name back
    whole and names it in its answer as it was sent."""
    file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    refusal = ("NO", [b"[NONEXISTENT] no mailbox named " + shown])
    with MailBoxUnencrypted("127.0.0.1", sink.imap_port, timeout=TIMEOUT).login("u", "p") as box:
        with pytest.raises(MailboxFolderSelectError) as refused:
            box.folder.set(name)
        assert refused.value.command_result == refusal
        with pytest.raises(MailboxFolderStatusError) as refused:
            box.folder.status(name)
        assert refused.value.command_result == refusal
        assert box.folder.set("team")[0] == "OK"


def test_a_name_sent_as_a_literal_is_read_whole(sink: MailSink) -> None:
    file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    client = logged_in(sink)
    assert client.command(b"l SELECT {4}\r\n", b"+ ") == [b"+ go ahead\r\n"]
    lines = client.command(b"team\r\n", b"l ")
    assert b"* 1 EXISTS\r\n" in lines
    assert lines[-1].startswith(b"l OK [READ-WRITE]")
    lines = client.command(b'x STATUS {5+}\r\nt "am (MESSAGES)\r\n', b"x ")
    assert lines[-1] == b"x NO [NONEXISTENT] no mailbox named 't \"am'\r\n"
    client.close()
