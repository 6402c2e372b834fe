"""Mailboxes in the Store protocol, on every implementation: the `mailbox:` term, counts per
mailbox, deleting and pruning one mailbox, and changes published per mailbox."""

from __future__ import annotations

from datetime import timedelta

from mailsink.events import ChangeKind
from mailsink.store.base import MailboxCounts, Store, StoredMessage
from mailsink.store.dates import to_unix_ms
from mailsink.store.search import mailbox_query, narrowed_to_mailbox, parse_search_query

from .conftest import BASE_TIME, ChangeLog, make_message


def add(store: Store, mailbox: str, subject: str = "Hello", minutes: int = 0) -> StoredMessage:
    message = make_message(
        mailbox=mailbox, subject=subject, received=BASE_TIME + timedelta(minutes=minutes)
    )
    return store.add(message).result(timeout=30)


def subjects(messages: list[StoredMessage]) -> list[str]:
    return [m.summary.subject for m in messages]


def fill(store: Store) -> list[StoredMessage]:
    return [
        add(store, "team-a", "a1", 1),
        add(store, "team-b", "b1", 2),
        add(store, "team-a", "a2", 3),
        add(store, "Team-A", "other case", 4),
    ]


def test_the_mailbox_term_lists_and_counts_one_mailbox(store: Store) -> None:
    fill(store)
    assert subjects(store.search(mailbox_query("team-a"))) == ["a2", "a1"]
    assert store.count(mailbox_query("team-a")) == MailboxCounts(2, 2)
    assert store.count(mailbox_query("nobody")) == MailboxCounts(0, 0)
    assert subjects(store.search(parse_search_query("!mailbox:team-a"))) == ["other case", "b1"]
    assert store.count(parse_search_query("-mailbox:team-a")) == MailboxCounts(2, 2)
    assert subjects(store.search(parse_search_query("mailbox:Team-A"))) == ["other case"]
    narrowed = narrowed_to_mailbox(parse_search_query("subject:a2"), "team-a")
    assert subjects(store.search(narrowed)) == ["a2"]
    assert subjects(store.search(narrowed_to_mailbox(parse_search_query("b1"), "team-a"))) == []
    assert subjects(store.search(mailbox_query("team-a"), oldest_first=True, limit=1)) == ["a1"]


def test_mailboxes_have_counts_and_their_newest_arrival(store: Store) -> None:
    stored = fill(store)
    store.set_read([stored[0].id], True)
    listed = store.mailboxes()
    assert [(m.name, m.total, m.unread) for m in listed] == [
        ("Team-A", 1, 1),
        ("team-a", 2, 1),
        ("team-b", 1, 1),
    ]
    assert to_unix_ms(listed[1].newest) == to_unix_ms(stored[2].received)
    store.set_read(None, True)
    assert [m.unread for m in store.mailboxes()] == [0, 0, 0]
    store.set_read(None, False)
    assert store.count(mailbox_query("team-a")) == MailboxCounts(2, 2)


def test_delete_all_of_one_mailbox_keeps_the_others(store: Store, changes: ChangeLog) -> None:
    stored = fill(store)
    changes.clear()
    store.delete_all("team-a")
    assert subjects(store.search()) == ["other case", "b1"]
    assert [m.name for m in store.mailboxes()] == ["Team-A", "team-b"]
    assert store.count() == MailboxCounts(2, 2)
    [change] = changes.changes
    assert (change.kind, change.mailbox) == (ChangeKind.DELETE, "team-a")
    assert set(change.ids) == {stored[0].id, stored[2].id}
    store.delete_all()
    assert store.mailboxes() == []
    assert changes.kinds()[-1] == "truncate"


def test_changes_to_several_mailboxes_come_one_per_mailbox(
    store: Store, changes: ChangeLog
) -> None:
    stored = fill(store)
    new = [c for c in changes.changes if c.kind is ChangeKind.NEW]
    assert [c.mailbox for c in new] == ["team-a", "team-b", "team-a", "Team-A"]
    changes.clear()
    store.set_read([m.id for m in stored], True)
    assert {(c.mailbox, c.ids) for c in changes.changes} == {
        ("team-a", (stored[0].id, stored[2].id)),
        ("team-b", (stored[1].id,)),
        ("Team-A", (stored[3].id,)),
    }
    changes.clear()
    store.delete([stored[1].id, stored[3].id])
    assert sorted((c.kind.value, c.mailbox) for c in changes.changes) == [
        ("delete", "Team-A"),
        ("delete", "team-b"),
    ]


def test_prune_one_mailbox_by_count_and_age(store: Store, changes: ChangeLog) -> None:
    stored = [add(store, "busy", f"busy {n}", n) for n in range(5)]
    quiet = add(store, "quiet", "quiet", 0)
    changes.clear()
    pruned = store.prune(max_count=2, mailbox="busy")
    assert pruned == [m.id for m in stored[:3]]
    assert subjects(store.search()) == ["quiet", "busy 4", "busy 3"]
    assert [(c.kind, c.mailbox) for c in changes.changes] == [(ChangeKind.PRUNE, "busy")]
    assert store.prune(older_than=BASE_TIME + timedelta(minutes=4), mailbox="busy") == [
        stored[3].id
    ]
    assert store.get(quiet.id) is not None, "older, but in another mailbox"
    assert store.count(mailbox_query("busy")) == MailboxCounts(1, 1)
