"""IMAP with Python's imaplib: selecting, fetching, searching, flags and expunge."""

from __future__ import annotations

import imaplib
import re
from pathlib import Path

import pytest

from mailsink import MailSink
from mailsink.events import ChangeKind
from tests.builders import send_over_smtp
from tests.mail_clients import TIMEOUT, file_into, unverified_tls

MULTIPART = (
    b"From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: report\r\n"
    b"Message-ID: <r1@example.com>\r\nDate: Sun, 06 Dec 2026 10:00:00 +0000\r\n"
    b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nthe body text\r\n"
    b"--B\r\nContent-Type: application/pdf; name=r.pdf\r\n"
    b"Content-Disposition: attachment; filename=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"JVBERg==\r\n--B--\r\n"
)


def imap(sink: MailSink, mailbox: str | None = "INBOX", user: str = "anyone") -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", sink.imap_port, timeout=TIMEOUT)
    client.login(user, "any password")
    if mailbox is not None:
        client.select(mailbox)
    return client


def fetch_one(client: imaplib.IMAP4, number: str, items: str) -> bytes:
    status, data = client.fetch(number, items)
    assert status == "OK"
    return data[0] if isinstance(data[0], bytes) else data[0][0]  # type: ignore[index,return-value]


def test_fetch_body_is_the_stored_bytes_and_peek_keeps_unseen(sink: MailSink) -> None:
    send_over_smtp(sink, MULTIPART)
    stored = sink.wait_for_one()
    client = imap(sink)
    _, data = client.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == MULTIPART  # type: ignore[index]
    assert sink.context.store.get(stored.id).read is False  # type: ignore[union-attr]
    _, data = client.uid("FETCH", str(stored.seq), "(RFC822)")
    assert data[0][1] == MULTIPART  # type: ignore[index]
    assert b"FLAGS (\\Seen)" in data[1]  # type: ignore[operator]
    assert sink.context.store.get(stored.id).read is True  # type: ignore[union-attr]
    client.logout()


def test_envelope_bodystructure_and_sections(sink: MailSink) -> None:
    send_over_smtp(sink, MULTIPART)
    stored = sink.wait_for_one()
    client = imap(sink)
    head = fetch_one(client, "1", "(UID FLAGS RFC822.SIZE ENVELOPE BODYSTRUCTURE)")
    assert f"UID {stored.seq} FLAGS () RFC822.SIZE {len(MULTIPART)}".encode() in head
    assert (
        b'ENVELOPE ("Sun, 06 Dec 2026 10:00:00 +0000" "report" (("Alice" NIL "alice" '
        b'"example.com")) (("Alice" NIL "alice" "example.com")) (("Alice" NIL "alice" '
        b'"example.com")) ((NIL NIL "bob" "example.com")) NIL NIL NIL "<r1@example.com>")'
    ) in head
    assert (
        b'BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 13 1 NIL NIL NIL NIL)'
        b'("APPLICATION" "PDF" ("NAME" "r.pdf") NIL NIL "BASE64" 8 NIL ("ATTACHMENT" '
        b'("FILENAME" "r.pdf")) NIL NIL) "MIXED" ("BOUNDARY" "B") NIL NIL NIL)'
    ) in head
    _, data = client.fetch(
        "1", "(BODY.PEEK[1] BODY.PEEK[2] BODY.PEEK[2.MIME] BODY.PEEK[HEADER.FIELDS (subject TO)])"
    )
    sections = {
        re.search(rb"BODY\[[^\]]*\]", item[0])[0]: item[1]  # type: ignore[index,arg-type]
        for item in data[:-1]
    }
    assert sections[b"BODY[1]"] == b"the body text"
    assert sections[b"BODY[2]"] == b"JVBERg=="
    assert sections[b"BODY[2.MIME]"].startswith(b"Content-Type: application/pdf")
    assert sections[b"BODY[HEADER.FIELDS (subject TO)]"] == (
        b"To: bob@example.com\r\nSubject: report\r\n\r\n"
    )
    _, data = client.fetch("1", "(BODY.PEEK[TEXT]<0.6> BODY.PEEK[HEADER])")
    assert data[0][1] == b"--B\r\nC"  # type: ignore[index]
    assert data[1][1] == MULTIPART[: MULTIPART.index(b"\r\n\r\n") + 4]  # type: ignore[index]
    client.logout()


def test_search_keys(sink: MailSink) -> None:
    send_over_smtp(sink, MULTIPART)
    send_over_smtp(
        sink, b"From: carol@example.org\r\nSubject: lunch\r\nX-Team: red\r\n\r\nsoup\r\n"
    )
    _first, second = sink.wait_for(2)
    client = imap(sink)

    def search(*criteria: str) -> bytes:
        status, data = client.search(None, *criteria)
        assert status == "OK", data
        return data[0]  # type: ignore[return-value]

    assert search("ALL") == b"1 2"
    assert search("FROM", "alice") == b"1"
    assert search("TO", "bob@example.com") == b"1"
    assert search("SUBJECT", "LUNCH") == b"2"
    assert search("HEADER", "X-Team", "red") == b"2"
    assert search("TEXT", "soup") == b"2"
    assert search("BODY", '"body text"') == b"1"
    assert search("NOT", "FROM", "alice") == b"2"
    assert search("OR", "FROM", "alice", "SUBJECT", "lunch") == b"1 2"
    assert search("SINCE", "1-Jan-2020", "UNSEEN") == b"1 2"
    assert search("BEFORE", "1-Jan-2020") == b""
    assert search("SENTON", "6-Dec-2026") == b"1"
    assert search("LARGER", "100") == b"1"
    assert search("2:*") == b"2"
    _, data = client.uid("SEARCH", None, "FROM", "carol")
    assert data[0] == str(second.seq).encode()
    client.fetch("1", "(BODY[TEXT])")
    assert search("SEEN") == b"1"
    assert search("UNSEEN") == b"2"
    client.logout()


def test_store_seen_and_deleted_then_expunge(sink: MailSink) -> None:
    for subject in ("a", "b", "c"):
        send_over_smtp(sink, f"Subject: {subject}\r\n\r\nx\r\n")
    a, b, c = sink.wait_for(3)
    deleted: list[tuple[str, ...]] = []
    sink.context.hub.subscribe(
        lambda change: deleted.append(change.ids) if change.kind is ChangeKind.DELETE else None
    )
    client = imap(sink)
    _, data = client.store("1", "+FLAGS", "(\\Seen)")
    assert data == [b"1 (FLAGS (\\Seen))"]
    assert sink.context.store.get(a.id).read is True  # type: ignore[union-attr]
    client.store("1", "-FLAGS.SILENT", "(\\Seen)")
    assert sink.context.store.get(a.id).read is False  # type: ignore[union-attr]
    client.store("2", "+FLAGS", "(\\Deleted)")
    _, data = client.expunge()
    assert data == [b"2"]
    assert [m.id for m in sink.messages] == [a.id, c.id]
    assert deleted == [(b.id,)]
    assert client.fetch("2", "(UID)")[1] == [f"2 (UID {c.seq})".encode()]
    client.logout()


def test_examine_is_read_only(sink: MailSink) -> None:
    send_over_smtp(sink, MULTIPART)
    stored = sink.wait_for_one()
    client = imap(sink, mailbox=None)
    status, data = client.select("INBOX", readonly=True)
    assert status == "OK"
    client.fetch("1", "(BODY[])")
    assert sink.context.store.get(stored.id).read is False  # type: ignore[union-attr]
    status, data = client.store("1", "+FLAGS", "(\\Deleted)")
    assert (status, data) == ("NO", [b"[READ-ONLY] the mailbox was opened with EXAMINE"])
    client.logout()


def test_other_mailboxes_are_folders(sink: MailSink) -> None:
    send_over_smtp(sink, b"Subject: mine\r\n\r\nx\r\n")
    sink.wait_for_one()
    team = file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    client = imap(sink, mailbox=None)
    _, folders = client.list()
    assert folders == [b'(\\HasNoChildren) "/" "INBOX"', b'(\\HasNoChildren) "/" "team"']
    _, data = client.status("team", "(MESSAGES UNSEEN UIDNEXT)")
    assert data == [f'"team" (MESSAGES 1 UNSEEN 1 UIDNEXT {team.seq + 1})'.encode()]
    assert client.select("team") == ("OK", [b"1"])
    _, data = client.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == b"Subject: for the team\r\n\r\ny\r\n"  # type: ignore[index]
    assert client.select("INBOX") == ("OK", [b"1"])
    assert client.select("nowhere") == ("NO", [b"[NONEXISTENT] no mailbox named 'nowhere'"])
    client.logout()


def test_inbox_is_the_mailbox_the_login_names(sink: MailSink) -> None:
    send_over_smtp(sink, b"Subject: mine\r\n\r\nx\r\n")
    sink.wait_for_one()
    file_into(sink, "team", b"Subject: for the team\r\n\r\ny\r\n")
    client = imap(sink, mailbox=None, user="mailbox:team")
    _, folders = client.list()
    assert folders == [b'(\\HasNoChildren) "/" "INBOX"', b'(\\HasNoChildren) "/" "default"']
    assert client.select("INBOX") == ("OK", [b"1"])
    _, data = client.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == b"Subject: for the team\r\n\r\ny\r\n"  # type: ignore[index]
    client.logout()


def test_starttls_and_implicit_tls(sink: MailSink) -> None:
    send_over_smtp(sink, MULTIPART)
    sink.wait_for_one()
    client = imaplib.IMAP4("127.0.0.1", sink.imap_port, timeout=TIMEOUT)
    assert "STARTTLS" in client.capabilities
    client.starttls(unverified_tls())
    client.login("u", "p")
    assert client.select() == ("OK", [b"1"])
    client.logout()
    assert sink.imaps_port is not None
    secure = imaplib.IMAP4_SSL(
        "127.0.0.1", sink.imaps_port, ssl_context=unverified_tls(), timeout=TIMEOUT
    )
    assert "STARTTLS" not in secure.capabilities
    secure.login("u", "p")
    secure.select()
    assert secure.fetch("1", "(BODY.PEEK[])")[1][0][1] == MULTIPART  # type: ignore[index]
    secure.logout()


def test_authenticate_plain_and_the_auth_file(tmp_path: Path) -> None:
    users = tmp_path / "users"
    users.write_text("alice:wonderland\n")
    with MailSink(imap=True, imap_auth_file=users) as sink:
        client = imaplib.IMAP4("127.0.0.1", sink.imap_port, timeout=TIMEOUT)
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            client.login("alice", "wrong")
        status, _ = client.authenticate("PLAIN", lambda _: b"\0alice\0wonderland")
        assert status == "OK"
        client.logout()


def test_uidvalidity_is_kept_with_the_database(tmp_path: Path) -> None:
    def uid_validity(database: Path) -> bytes:
        with MailSink(store="sqlite", database=database, imap=True) as sink:
            client = imap(sink, mailbox=None)
            _, data = client.status("INBOX", "(UIDVALIDITY)")
            client.logout()
            return data[0]  # type: ignore[return-value]

    first = uid_validity(tmp_path / "a.db")
    assert uid_validity(tmp_path / "a.db") == first
    assert uid_validity(tmp_path / "b.db") != first
