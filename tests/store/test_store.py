"""The Store protocol, run on every implementation (see conftest's `store` fixture)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import timedelta

import pytest

from mailsink.events import ChangeKind
from mailsink.message.address import Address
from mailsink.store.base import MailboxCounts, Store, StoredMessage, TagError
from mailsink.store.search import parse_search_query

from .conftest import BASE_TIME, ChangeLog, make_message


def add(store: Store, **fields: object) -> StoredMessage:
    return store.add(make_message(**fields)).result(timeout=30)  # type: ignore[arg-type]


def ids(messages: list[StoredMessage]) -> list[str]:
    return [m.id for m in messages]


# -- add, get, raw ------------------------------------------------------------------------------


def test_add_assigns_increasing_seq_and_keeps_everything(store: Store) -> None:
    new = make_message(
        subject="Ünïcode subject",
        cc=(Address("Carol", "carol@example.com"),),
        reply_to=(Address("", "reply@example.com"),),
        attachments=2,
        inlines=1,
        warnings=("line over 1000 bytes",),
        mailbox="other",
    )
    first = store.add(new).result(timeout=30)
    second = add(store)

    assert (first.seq, second.seq) == (1, 2)
    assert first.id == new.id
    assert first.size == len(new.raw)
    assert first.read is False
    assert store.get(new.id) == first
    assert first.envelope == new.envelope
    assert first.summary == new.summary
    assert first.received == new.envelope.received


def test_get_and_raw_of_unknown_id_are_none(store: Store) -> None:
    add(store)
    assert store.get("0" * 22) is None
    assert store.raw("0" * 22) is None
    assert store.get("../../etc/passwd") is None


def test_raw_is_the_exact_bytes(store: Store) -> None:
    raw = b"Subject: x\r\n\r\n\x00\xff\xfe bare\nLF and bare\rCR\r\n..dot\r\n" + bytes(range(256))
    new = make_message(raw=raw)
    store.add(new).result(timeout=30)
    assert store.raw(new.id) == raw
    assert store.get(new.id).size == len(raw)  # type: ignore[union-attr]


def test_a_duplicate_id_fails_its_future_only(store: Store) -> None:
    new = make_message()
    store.add(new).result(timeout=30)
    with pytest.raises(ValueError, match="already stored"):
        store.add(new).result(timeout=30)
    assert add(store).seq == 2
    assert store.count().total == 2


def test_add_publishes_new_before_the_future_completes(store: Store, changes: ChangeLog) -> None:
    new = make_message()
    stored = store.add(new).result(timeout=30)
    assert len(changes.changes) == 1
    change = changes.changes[0]
    assert change.kind is ChangeKind.NEW
    assert change.ids == (new.id,)
    assert change.message == stored


def test_add_now_stores_announces_and_numbers_a_batch_in_order(
    store: Store, changes: ChangeLog
) -> None:
    first = add(store)
    batch = [make_message(subject=f"batch {i}", body=f"word{i}") for i in range(3)]
    stored = store.add_now(batch)
    assert stored is not None
    assert [m.id for m in stored] == [m.id for m in batch]
    assert [m.seq for m in stored] == [first.seq + 1, first.seq + 2, first.seq + 3]
    assert [c.ids for c in changes.changes[1:]] == [(m.id,) for m in batch]
    assert all(c.kind is ChangeKind.NEW for c in changes.changes)
    assert [store.get(m.id) for m in batch] == stored
    assert [m.id for m in store.search(parse_search_query("word1"))] == [batch[1].id]
    assert store.raw(batch[2].id) == batch[2].raw
    assert store.count().total == store.count().unread == 4


def test_add_now_refuses_a_batch_with_a_stored_id_and_stores_none_of_it(
    store: Store, changes: ChangeLog
) -> None:
    taken = make_message()
    store.add(taken).result(timeout=30)
    fresh = make_message()
    assert store.add_now([fresh, taken]) is None
    assert store.get(fresh.id) is None
    assert store.count().total == 1
    assert len(changes.changes) == 1
    assert add(store).seq == 2  # nothing was used up


def test_a_subscriber_sees_the_message_in_the_store(store: Store, hub: object) -> None:
    seen: list[StoredMessage | None] = []
    hub.subscribe(lambda change: seen.append(store.get(change.ids[0])))  # type: ignore[attr-defined]
    stored = add(store)
    assert seen == [stored]


# -- listing --------------------------------------------------------------------------------------


def test_search_orders_newest_first_with_offset_and_limit(store: Store) -> None:
    added = [add(store, subject=f"m{i}") for i in range(7)]
    newest_first = list(reversed(ids(added)))

    assert ids(store.search()) == newest_first
    assert ids(store.search(limit=3)) == newest_first[:3]
    assert ids(store.search(offset=2, limit=3)) == newest_first[2:5]
    assert ids(store.search(offset=6, limit=3)) == newest_first[6:]
    assert store.search(offset=7) == []
    assert ids(store.search(limit=None)) == newest_first
    assert ids(store.search(offset=-5, limit=2)) == newest_first[:2]
    assert store.search(limit=0) == []
    assert ids(store.search(oldest_first=True, limit=2)) == ids(added)[:2]
    assert ids(store.search(oldest_first=True, offset=5)) == ids(added)[5:]


def test_after_seq_gives_only_later_messages(store: Store) -> None:
    added = [add(store) for _ in range(5)]
    assert ids(store.search(after_seq=3, oldest_first=True)) == ids(added[3:])
    assert ids(store.search(after_seq=3)) == ids(added[3:])[::-1]
    assert ids(store.search(after_seq=3, oldest_first=True, limit=1)) == [added[3].id]
    assert store.search(after_seq=5) == []
    query = parse_search_query("subject:Hello")
    assert ids(store.search(query, after_seq=0, oldest_first=True, limit=1)) == [added[0].id]


def test_count_counts_total_and_unread(store: Store) -> None:
    added = [add(store, subject=s) for s in ("apple", "apple pie", "banana")]
    store.set_read([added[0].id], True)
    assert store.count() == MailboxCounts(3, 2)
    assert store.count(parse_search_query("apple")) == MailboxCounts(2, 1)
    assert store.count(parse_search_query("cherry")) == MailboxCounts(0, 0)


# -- delete ---------------------------------------------------------------------------------------


def test_delete_removes_the_known_ids_and_publishes_them(store: Store, changes: ChangeLog) -> None:
    a, b, c = (add(store) for _ in range(3))
    changes.clear()

    deleted = store.delete([c.id, "unknown", a.id, a.id])

    assert deleted == [c.id, a.id]
    assert ids(store.search()) == [b.id]
    assert store.get(a.id) is None
    assert store.raw(a.id) is None
    assert [(ch.kind, ch.ids) for ch in changes.changes] == [(ChangeKind.DELETE, (c.id, a.id))]


def test_delete_of_nothing_publishes_nothing(store: Store, changes: ChangeLog) -> None:
    add(store)
    changes.clear()
    assert store.delete(["unknown"]) == []
    assert store.delete([]) == []
    assert changes.changes == []


def test_delete_all_empties_the_store_and_seq_keeps_growing(
    store: Store, changes: ChangeLog
) -> None:
    for tag in ("a", "b"):
        add(store, tags=(tag,))
    changes.clear()

    store.delete_all()

    assert store.search() == []
    assert store.count() == MailboxCounts(0, 0)
    assert store.tags() == {}
    assert changes.kinds() == ["truncate"]
    assert add(store).seq == 3
    assert len(store.search(parse_search_query("hello"))) == 1


def test_deleting_the_newest_never_reuses_its_seq(store: Store) -> None:
    add(store)
    newest = add(store)
    store.delete([newest.id])
    assert add(store).seq == 3


# -- read flag ------------------------------------------------------------------------------------


def test_set_read_returns_and_publishes_only_changed_ids(store: Store, changes: ChangeLog) -> None:
    a, b, c = (add(store) for _ in range(3))
    changes.clear()

    assert store.set_read([a.id, b.id, "unknown"], True) == [a.id, b.id]
    assert store.set_read([a.id], True) == []
    assert store.get(a.id).read is True  # type: ignore[union-attr]
    assert store.get(c.id).read is False  # type: ignore[union-attr]
    assert store.set_read(None, True) == [c.id]
    assert store.count() == MailboxCounts(3, 0)
    assert store.set_read(None, False) == [a.id, b.id, c.id]

    updates = [(ch.kind, ch.ids, ch.read) for ch in changes.changes]
    assert updates == [
        (ChangeKind.UPDATE, (a.id, b.id), True),
        (ChangeKind.UPDATE, (c.id,), True),
        (ChangeKind.UPDATE, (a.id, b.id, c.id), False),
    ]


# -- tags -----------------------------------------------------------------------------------------


def test_tags_from_the_summary_are_cleaned_on_add(store: Store) -> None:
    stored = add(store, tags=("Urgent!", "  two   words ", "urgent", "", "a/b", "ok.tag@x"))
    assert stored.tags == ("a b", "ok.tag@x", "two words", "Urgent")
    assert store.get(stored.id).tags == stored.tags  # type: ignore[union-attr]
    assert store.tags() == {"a b": 1, "ok.tag@x": 1, "two words": 1, "Urgent": 1}


def test_an_existing_tag_keeps_its_spelling(store: Store) -> None:
    add(store, tags=("Urgent",))
    later = add(store, tags=("URGENT", "new"))
    assert later.tags == ("new", "Urgent")
    assert store.tags() == {"new": 1, "Urgent": 2}


def test_set_tags_replaces_tags_and_publishes_update(store: Store, changes: ChangeLog) -> None:
    a = add(store, tags=("old",))
    b = add(store)
    changes.clear()

    store.set_tags([a.id, b.id, "unknown"], ["Zeta", "alpha", "ALPHA", "bad<>chars"])

    expected = ("alpha", "bad chars", "Zeta")
    assert store.get(a.id).tags == expected  # type: ignore[union-attr]
    assert store.get(b.id).tags == expected  # type: ignore[union-attr]
    assert store.tags() == {"alpha": 2, "bad chars": 2, "Zeta": 2}  # "old" is gone
    assert [(c.kind, c.ids, c.tags) for c in changes.changes] == [
        (ChangeKind.UPDATE, (a.id, b.id), expected)
    ]
    store.set_tags([a.id], [])
    assert store.get(a.id).tags == ()  # type: ignore[union-attr]
    assert store.tags() == {"alpha": 1, "bad chars": 1, "Zeta": 1}


def test_tags_are_ordered_case_insensitively(store: Store) -> None:
    add(store, tags=("beta", "Alpha", "gamma", "Delta"))
    assert list(store.tags()) == ["Alpha", "beta", "Delta", "gamma"]


def test_rename_tag(store: Store, changes: ChangeLog) -> None:
    a = add(store, tags=("old", "keep"))
    b = add(store, tags=("OLD",))
    c = add(store, tags=("other",))
    changes.clear()

    store.rename_tag("Old", "New Name!")

    assert store.get(a.id).tags == ("keep", "New Name")  # type: ignore[union-attr]
    assert store.get(b.id).tags == ("New Name",)  # type: ignore[union-attr]
    assert store.get(c.id).tags == ("other",)  # type: ignore[union-attr]
    assert store.tags() == {"keep": 1, "New Name": 2, "other": 1}
    assert [(ch.kind, ch.ids) for ch in changes.changes] == [(ChangeKind.PRUNE, (a.id, b.id))]
    assert ids(store.search(parse_search_query('tag:"new name"'), oldest_first=True)) == [
        a.id,
        b.id,
    ]
    store.rename_tag("new name", "NEW NAME")  # a change of case only
    assert store.tags() == {"keep": 1, "NEW NAME": 2, "other": 1}


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("missing", "x", "tag not found: missing"),
        ("one", "!!!", "invalid tag name: !!!"),
        ("one", "TWO", "tag already exists: TWO"),
    ],
)
def test_rename_tag_errors(store: Store, old: str, new: str, error: str) -> None:
    add(store, tags=("one", "two"))
    with pytest.raises(TagError, match=f"^{re.escape(error)}$"):
        store.rename_tag(old, new)
    assert store.tags() == {"one": 1, "two": 1}


def test_delete_tag_keeps_the_messages(store: Store, changes: ChangeLog) -> None:
    a = add(store, tags=("gone", "kept"))
    b = add(store, tags=("Gone",))
    changes.clear()

    store.delete_tag("GONE")

    assert store.get(a.id).tags == ("kept",)  # type: ignore[union-attr]
    assert store.get(b.id).tags == ()  # type: ignore[union-attr]
    assert store.tags() == {"kept": 1}
    assert [(ch.kind, ch.ids) for ch in changes.changes] == [(ChangeKind.PRUNE, (a.id, b.id))]
    with pytest.raises(TagError, match=r"^tag not found: gone$"):
        store.delete_tag("gone")


def test_deleting_messages_drops_unused_tags(store: Store) -> None:
    a = add(store, tags=("solo", "shared"))
    add(store, tags=("shared",))
    store.delete([a.id])
    assert store.tags() == {"shared": 1}


# -- retention ------------------------------------------------------------------------------------


def test_prune_by_count_deletes_the_oldest(store: Store, changes: ChangeLog) -> None:
    added = [add(store) for _ in range(5)]
    changes.clear()

    pruned = store.prune(max_count=2)

    assert pruned == ids(added[:3])
    assert ids(store.search(oldest_first=True)) == ids(added[3:])
    assert [(c.kind, c.ids) for c in changes.changes] == [(ChangeKind.PRUNE, tuple(pruned))]


def test_prune_by_age_and_count_together(store: Store) -> None:
    times = [BASE_TIME + timedelta(hours=h) for h in (0, 1, 2, 3, 4)]
    added = [add(store, received=t) for t in times]

    pruned = store.prune(older_than=times[2])
    assert pruned == ids(added[:2])
    pruned = store.prune(max_count=1, older_than=times[3])
    assert pruned == ids(added[2:4])
    assert ids(store.search()) == [added[4].id]


def test_prune_with_nothing_to_do_publishes_nothing(store: Store, changes: ChangeLog) -> None:
    add(store)
    changes.clear()
    assert store.prune() == []
    assert store.prune(max_count=5) == []
    assert store.prune(older_than=BASE_TIME - timedelta(days=1)) == []
    assert changes.changes == []


# -- concurrency ----------------------------------------------------------------------------------


def test_concurrent_adds_from_many_threads(store: Store, changes: ChangeLog) -> None:
    threads, per_thread = 8, 50
    start = threading.Barrier(threads)

    def sender(n: int) -> list[StoredMessage]:
        start.wait(timeout=30)
        futures = [store.add(make_message(subject=f"t{n} m{i}")) for i in range(per_thread)]
        return [f.result(timeout=60) for f in futures]

    with ThreadPoolExecutor(threads) as pool:
        results = [m for batch in pool.map(sender, range(threads)) for m in batch]

    seqs = sorted(m.seq for m in results)
    assert seqs == list(range(1, threads * per_thread + 1))
    assert store.count().total == threads * per_thread
    new_ids = [c.ids[0] for c in changes.changes if c.kind is ChangeKind.NEW]
    assert sorted(new_ids) == sorted(m.id for m in results)
    # NEW changes arrive in Seq order
    seq_by_id = {m.id: m.seq for m in results}
    assert [seq_by_id[i] for i in new_ids] == seqs


def test_every_acknowledged_message_is_visible(store: Store) -> None:
    """Group commit: many adds in flight; each is readable as soon as its future is done."""
    futures = [store.add(make_message(subject=f"burst {i}")) for i in range(300)]
    missing: list[str] = []

    def check(future: object) -> None:
        stored = future.result()  # type: ignore[attr-defined]
        if store.get(stored.id) is None:
            missing.append(stored.id)

    with ThreadPoolExecutor(4) as pool:
        done, _ = wait([pool.submit(check, f) for f in futures], timeout=60)
    for checked in done:
        checked.result()
    assert missing == []
    assert store.count().total == 300


def test_reads_run_while_writes_are_in_flight(store: Store) -> None:
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                listed = store.search(limit=10)
                assert [m.seq for m in listed] == sorted((m.seq for m in listed), reverse=True)
                store.count(parse_search_query("hello"))
        except BaseException as error:
            errors.append(error)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for i in range(200):
            add(store, subject=f"w{i}")
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)
    assert errors == []


def test_closed_store_refuses_calls(open_store: Callable[[], Store]) -> None:
    store = open_store()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.add(make_message())
    with pytest.raises(RuntimeError, match="closed"):
        store.search()


def test_counts_stay_true_through_every_kind_of_change(store: Store) -> None:
    def assert_counts_true() -> None:
        everything = store.search(limit=None)
        unread = sum(not m.read for m in everything)
        assert store.count() == MailboxCounts(len(everything), unread)

    added = [add(store, received=BASE_TIME + timedelta(minutes=i)) for i in range(10)]
    assert_counts_true()
    store.set_read([m.id for m in added[:4]], True)
    assert_counts_true()
    store.delete([added[0].id, added[5].id])
    assert_counts_true()
    store.set_read(None, True)
    assert_counts_true()
    store.set_read([added[1].id], False)
    store.prune(max_count=6)
    assert_counts_true()
    store.prune(older_than=BASE_TIME + timedelta(minutes=8))
    assert_counts_true()
    store.delete_all()
    assert_counts_true()
    add(store)
    assert_counts_true()


def test_a_cancelled_add_is_skipped_and_the_store_goes_on(store: Store) -> None:
    futures = [store.add(make_message(subject=f"c{i}")) for i in range(50)]
    cancelled = [f for f in futures[10:] if f.cancel()]
    kept = [f.result(timeout=30) for f in futures if f not in cancelled]
    assert store.count().total == len(kept)
    assert add(store).seq == len(kept) + 1


def test_a_failing_add_among_many_in_flight_fails_alone(store: Store) -> None:
    first = make_message()
    batch = [first, *(make_message(subject=f"b{i}") for i in range(20))]
    batch.insert(10, first)  # the same ID again, while the others are queued with it
    futures = [store.add(m) for m in batch]

    failed = [i for i, f in enumerate(futures) if f.exception(timeout=30) is not None]

    assert failed == [10]
    assert sorted(f.result().seq for i, f in enumerate(futures) if i != 10) == list(range(1, 22))
    assert store.count().total == 21
