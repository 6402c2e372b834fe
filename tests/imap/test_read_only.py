"""What a client asks of a read-only IMAP server that would write: Thunderbird and imap-tools
copy, move, append and manage folders. Each gets a tagged NO (BAD for UID EXPUNGE, which needs
the UIDPLUS extension mailsink does not offer) that says why; nothing changes, nothing hangs,
and the session goes on."""

from __future__ import annotations

import imaplib
from collections.abc import Callable

import pytest
from imap_tools import MailBoxUnencrypted
from imap_tools.errors import MailboxAppendError, MailboxCopyError, MailboxFolderCreateError

from mailsink import MailSink
from tests.mail_clients import TIMEOUT, file_into

from .test_imaplib import imap

BIG = b"Subject: big\r\n\r\n" + b"x" * 100_000 + b"\r\n"  # over the 64 KiB literal limit
Write = Callable[[imaplib.IMAP4, str], tuple[str, list[bytes | None]]]


def _read_only(command: str) -> bytes:
    return f"[CANNOT] {command} is not offered: mailsink's IMAP is read-only".encode()


WRITES: list[tuple[str, Write, tuple[str, list[bytes]]]] = [
    ("COPY", lambda c, uid: c.copy("1", "team"), ("NO", [_read_only("COPY")])),
    ("MOVE", lambda c, uid: c.xatom("MOVE", "1", "team"), ("NO", [_read_only("MOVE")])),
    ("UID COPY", lambda c, uid: c.uid("COPY", uid, "team"), ("NO", [_read_only("UID COPY")])),
    ("UID MOVE", lambda c, uid: c.uid("MOVE", uid, "team"), ("NO", [_read_only("UID MOVE")])),
    (
        "APPEND",
        lambda c, uid: c.append("team", "(\\Seen)", None, b"Subject: a\r\n\r\nb\r\n"),
        ("NO", [_read_only("APPEND")]),
    ),
    (
        "APPEND 100 KB",
        lambda c, uid: c.append("INBOX", None, None, BIG),
        ("NO", [_read_only("APPEND")]),
    ),
    ("CREATE", lambda c, uid: c.create("Trash"), ("NO", [_read_only("CREATE")])),
    ("DELETE", lambda c, uid: c.delete("team"), ("NO", [_read_only("DELETE")])),
    ("RENAME", lambda c, uid: c.rename("team", "other"), ("NO", [_read_only("RENAME")])),
    ("SUBSCRIBE", lambda c, uid: c.subscribe("team"), ("NO", [_read_only("SUBSCRIBE")])),
    ("UNSUBSCRIBE", lambda c, uid: c.unsubscribe("team"), ("NO", [_read_only("UNSUBSCRIBE")])),
]


@pytest.mark.parametrize(
    ("write", "answer"),
    [(write, answer) for _, write, answer in WRITES],
    ids=[w[0] for w in WRITES],
)
@pytest.mark.parametrize("read_only", [False, True], ids=["SELECT", "EXAMINE"])
def test_writes_get_a_clear_no_and_change_nothing(
    sink: MailSink, write: Write, answer: tuple[str, list[bytes]], read_only: bool
) -> None:
    team = file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    client = imap(sink, mailbox=None)
    assert client.select("team", readonly=read_only) == ("OK", [b"1"])
    assert write(client, str(team.seq)) == answer
    assert client.noop()[0] == "OK"
    assert client.fetch("1", "(FLAGS)") == ("OK", [b"1 (FLAGS ())"])
    client.logout()
    assert [(m.id, m.envelope.mailbox) for m in sink.messages] == [(team.id, "team")]


def test_uid_expunge_is_bad_without_uidplus_and_deletes_nothing(sink: MailSink) -> None:
    team = file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    client = imap(sink, mailbox="team")
    assert client.store("1", "+FLAGS", "(\\Deleted)")[0] == "OK"
    with pytest.raises(imaplib.IMAP4.error) as refused:
        client.uid("EXPUNGE", str(team.seq))
    assert str(refused.value) == (
        r"UID command error: BAD [b'UID EXPUNGE is not offered (no UIDPLUS): "
        r"EXPUNGE removes the messages flagged \\Deleted']"
    )
    assert [m.id for m in sink.messages] == [team.id]
    assert client.expunge() == ("OK", [b"1"])  # the session goes on, and EXPUNGE does delete
    assert sink.messages == []
    client.logout()


def test_imap_tools_move_stops_at_the_refused_copy(sink: MailSink) -> None:
    """Without MOVE, imap-tools (as Thunderbird) moves by COPY, then \\Deleted and EXPUNGE: the
    refused COPY must end it before anything is deleted."""
    team = file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    with MailBoxUnencrypted("127.0.0.1", sink.imap_port, timeout=TIMEOUT).login("u", "p") as box:
        box.folder.set("team")
        with pytest.raises(MailboxCopyError):
            box.move(str(team.seq), "INBOX")
        with pytest.raises(MailboxAppendError):
            box.append(b"Subject: saved\r\n\r\nx\r\n", "team")
        with pytest.raises(MailboxFolderCreateError):
            box.folder.create("Sent")
        assert [m.subject for m in box.fetch(mark_seen=False)] == ["for the team"]
    assert [m.id for m in sink.messages] == [team.id]
