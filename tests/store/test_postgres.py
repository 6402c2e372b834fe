"""What only the PostgreSQL store does: schema migrations, changes between nodes (two stores
on one database), large messages (exact, and held in memory once), text PostgreSQL cannot
store as is."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator

import psycopg
import pytest

from mailsink import MailSink
from mailsink.events import Change, ChangeHub, ChangeKind
from mailsink.store.postgres import PostgresStore, upgrade_database
from mailsink.store.postgres.notify import IDS_PER_NOTIFICATION, LISTENER_APPLICATION_NAME
from mailsink.store.postgres.schema import SCHEMA_VERSION
from mailsink.store.postgres.store import POOL_APPLICATION_NAME
from mailsink.store.postgres.writes import RAW_PIECE
from mailsink.store.search import parse_search_query
from tests.builders import send_over_smtp
from tests.conftest import wait_until
from tests.postgres_cluster import PostgresCluster

from .conftest import ChangeLog, make_message

WAIT_SECONDS = 30.0


class Waiting(ChangeLog):
    """A change log that a test can wait on."""

    def wait_for(self, count: int) -> list[Change]:
        with self._condition:
            assert self._condition.wait_for(lambda: len(self.changes) >= count, WAIT_SECONDS), (
                self.changes
            )
            return list(self.changes)


@pytest.fixture
def two_nodes(postgres_url: str) -> Iterator[tuple[PostgresStore, PostgresStore, Waiting]]:
    """Node A and node B on one database, and the log of node B's hub."""
    hub_b = ChangeHub()
    seen_on_b = Waiting(hub_b)
    node_a = PostgresStore(postgres_url, ChangeHub())
    node_b = PostgresStore(postgres_url, hub_b)
    yield node_a, node_b, seen_on_b
    node_a.close()
    node_b.close()


# -- schema ---------------------------------------------------------------------------------------


@pytest.fixture
def empty_database(postgres_cluster: PostgresCluster) -> Iterator[str]:
    with postgres_cluster.database(migrated=False) as url:
        yield url


def test_a_new_database_is_migrated_once_and_records_its_version(empty_database: str) -> None:
    assert upgrade_database(empty_database) == list(range(1, SCHEMA_VERSION + 1))
    assert upgrade_database(empty_database) == []
    with psycopg.connect(empty_database) as db:
        assert db.execute("SELECT version FROM mailsink_schema").fetchall() == [(SCHEMA_VERSION,)]


def test_nodes_starting_together_migrate_once(empty_database: str) -> None:
    results: list[list[int]] = []
    start = threading.Barrier(4)

    def upgrade() -> None:
        start.wait(timeout=WAIT_SECONDS)
        results.append(upgrade_database(empty_database))

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
    assert sorted(results) == [[], [], [], list(range(1, SCHEMA_VERSION + 1))]


def test_a_database_from_a_newer_mailsink_is_refused(empty_database: str) -> None:
    upgrade_database(empty_database)
    with psycopg.connect(empty_database, autocommit=True) as db:
        db.execute("UPDATE mailsink_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(RuntimeError, match=r"schema version \d+, newer than this mailsink's"):
        PostgresStore(empty_database, ChangeHub())


def test_an_unreachable_database_is_a_clear_error_without_the_password(
    postgres_cluster: PostgresCluster,
) -> None:
    url = f"postgresql://postgres:s3cret@127.0.0.1:{postgres_cluster.port}/no_such_database"
    with pytest.raises(RuntimeError, match="no_such_database") as raised:
        PostgresStore(url, ChangeHub())
    assert "s3cret" not in str(raised.value)


def test_everything_is_back_after_a_restart(postgres_url: str) -> None:
    first = PostgresStore(postgres_url, ChangeHub())
    kept = first.add(make_message(subject="kept", tags=("t",))).result(timeout=WAIT_SECONDS)
    first.set_read([kept.id], True)
    first.close()
    again = PostgresStore(postgres_url, ChangeHub())
    try:
        assert again.get(kept.id) == kept.__class__(**{**_fields(kept), "read": True})
        assert again.add(make_message()).result(timeout=WAIT_SECONDS).seq == kept.seq + 1
    finally:
        again.close()


def _fields(stored: object) -> dict[str, object]:
    return {name: getattr(stored, name) for name in stored.__slots__}  # type: ignore[attr-defined]


# -- changes between nodes ------------------------------------------------------------------------


def test_a_message_added_on_one_node_is_announced_on_the_other(two_nodes) -> None:  # type: ignore[no-untyped-def]
    node_a, node_b, seen_on_b = two_nodes
    stored = node_a.add(make_message(subject="across")).result(timeout=WAIT_SECONDS)
    (change,) = seen_on_b.wait_for(1)
    assert change.kind is ChangeKind.NEW
    assert change.message == stored
    assert node_b.get(stored.id) == stored


def test_every_kind_of_change_reaches_the_other_node(two_nodes) -> None:  # type: ignore[no-untyped-def]
    node_a, _, seen_on_b = two_nodes
    first, second, third = (
        node_a.add(make_message(subject=f"m{i}")).result(timeout=WAIT_SECONDS) for i in range(3)
    )
    seen_on_b.wait_for(3)
    seen_on_b.clear()

    node_a.set_read([first.id, second.id], True)
    node_a.set_tags([second.id], ["Blue", "red"])
    node_a.delete([third.id])
    node_a.rename_tag("blue", "green")
    node_a.prune(max_count=1)
    node_a.delete_all()

    changes = seen_on_b.wait_for(6)
    assert [(c.kind, c.ids, c.read, c.tags) for c in changes] == [
        (ChangeKind.UPDATE, (first.id, second.id), True, None),
        (ChangeKind.UPDATE, (second.id,), None, ("Blue", "red")),
        (ChangeKind.DELETE, (third.id,), None, None),
        (ChangeKind.PRUNE, (second.id,), None, None),
        (ChangeKind.PRUNE, (first.id,), None, None),
        (ChangeKind.TRUNCATE, (), None, None),
    ]


def test_long_lists_of_changes_reach_the_other_node_whole(two_nodes) -> None:  # type: ignore[no-untyped-def]
    node_a, _, seen_on_b = two_nodes
    many = 2 * IDS_PER_NOTIFICATION + 50
    stored = node_a.add_now([make_message(subject=f"m{i}") for i in range(many)])
    assert stored is not None
    node_a.delete([m.id for m in stored])

    changes = seen_on_b.wait_for(many + 3)
    assert [c.message for c in changes[:many]] == stored
    deleted = [i for c in changes[many:] if c.kind is ChangeKind.DELETE for i in c.ids]
    assert deleted == [m.id for m in stored]


def test_nodes_agree_on_mailboxes_and_the_seq_epoch(two_nodes) -> None:  # type: ignore[no-untyped-def]
    node_a, node_b, seen_on_b = two_nodes
    stored = node_a.add(make_message(mailbox="team-a")).result(timeout=WAIT_SECONDS)
    node_a.set_read([stored.id], True)
    node_a.delete_all("team-a")

    changes = seen_on_b.wait_for(3)
    assert [(c.kind, c.mailbox) for c in changes] == [
        (ChangeKind.NEW, "team-a"),
        (ChangeKind.UPDATE, "team-a"),
        (ChangeKind.DELETE, "team-a"),
    ]
    node_a.add(make_message(mailbox="team-b")).result(timeout=WAIT_SECONDS)
    assert [m.name for m in node_b.mailboxes()] == ["team-b"]
    assert node_a.seq_epoch == node_b.seq_epoch


def test_seq_keeps_increasing_across_nodes_and_ids_stay_unique(two_nodes) -> None:  # type: ignore[no-untyped-def]
    node_a, node_b, _ = two_nodes
    futures = [
        node.add(make_message(subject=f"{n} {i}"))
        for i in range(100)
        for n, node in enumerate((node_a, node_b))
    ]
    stored = [future.result(timeout=WAIT_SECONDS) for future in futures]
    assert sorted(m.seq for m in stored) == list(range(1, 201))
    assert len({m.id for m in stored}) == 200
    assert node_b.count().total == node_a.count().total == 200


def test_a_node_does_not_hear_its_own_changes_twice(two_nodes) -> None:  # type: ignore[no-untyped-def]
    node_a, node_b, seen_on_b = two_nodes
    node_b.add(make_message(subject="local")).result(timeout=WAIT_SECONDS)
    node_a.add(make_message(subject="remote")).result(timeout=WAIT_SECONDS)
    changes = seen_on_b.wait_for(2)
    assert [c.message.summary.subject for c in changes if c.message] == ["local", "remote"]


def test_a_node_whose_listening_connection_breaks_listens_again(
    two_nodes, postgres_url: str
) -> None:  # type: ignore[no-untyped-def]
    node_a, _, seen_on_b = two_nodes
    with psycopg.connect(postgres_url, autocommit=True) as db:
        ended = db.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s AND datname = current_database()",
            (LISTENER_APPLICATION_NAME,),
        ).fetchone()
    assert ended == (2,)
    (reload,) = seen_on_b.wait_for(1)  # changes may have been missed: views reload
    assert (reload.kind, reload.ids) == (ChangeKind.PRUNE, ())
    stored = node_a.add(make_message(subject="after")).result(timeout=WAIT_SECONDS)
    changes = seen_on_b.wait_for(2)
    assert changes[1].message == stored


def test_a_node_goes_on_after_its_connections_are_cut(postgres_url: str) -> None:
    store = PostgresStore(postgres_url, ChangeHub())
    try:
        store.add(make_message()).result(timeout=WAIT_SECONDS)
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                (POOL_APPLICATION_NAME,),
            )
        assert store.add(make_message()).result(timeout=WAIT_SECONDS).seq == 2
        assert store.count().total == 2
    finally:
        store.close()


# -- what PostgreSQL cannot store as is -----------------------------------------------------------


def test_a_large_message_is_exact_and_searchable(postgres_url: str) -> None:
    store = PostgresStore(postgres_url, ChangeHub())
    try:
        raw = b"Subject: big\r\n\r\n" + bytes(range(256)) * (5 * 4096 + 7)  # over 5 MB
        new = make_message(raw=raw, subject="big one")
        stored = store.add(new).result(timeout=WAIT_SECONDS)
        assert stored.size == len(raw)
        assert store.raw(new.id) == raw
        assert [m.id for m in store.search(parse_search_query("larger:5m"))] == [new.id]
    finally:
        store.close()


@pytest.mark.parametrize(
    "size", [0, 1, RAW_PIECE - 1, RAW_PIECE, RAW_PIECE + 1, 3 * RAW_PIECE, 3 * RAW_PIECE + 17]
)
def test_raw_bytes_are_exact_at_every_slice_boundary(postgres_url: str, size: int) -> None:
    store = PostgresStore(postgres_url, ChangeHub())
    try:
        raw = (bytes(range(256)) * (size // 256 + 1))[:size]
        new = make_message(raw=raw)
        store.add(new).result(timeout=WAIT_SECONDS)
        assert store.raw(new.id) == raw
    finally:
        store.close()


def test_a_large_message_is_read_into_memory_once(postgres_url: str) -> None:
    store = PostgresStore(postgres_url, ChangeHub())
    try:
        raw = bytes(range(256)) * (16 * RAW_PIECE // 256) + b"end"
        new = make_message(raw=raw)
        store.add(new).result(timeout=WAIT_SECONDS)
        tracemalloc.start()
        try:
            read = store.raw(new.id)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert read == raw
        assert peak < 1.5 * len(raw), f"{peak / len(raw):.2f} times the message"
    finally:
        store.close()


def test_a_large_message_over_smtp_is_copied_from_its_spool_file(postgres_url: str) -> None:
    """SMTP writes a large message to the store's spool as it arrives; the store copies it to
    the database from the file's mapping, and the file goes once the `250` is sent."""
    raw = b"Subject: spooled\r\n\r\n" + (b"%05d line of a large message\r\n" % 1) * 40_000
    with MailSink(database=postgres_url) as sink:
        spool = sink.context.store.spool()
        assert spool is not None
        send_over_smtp(sink, raw)
        [message] = sink.wait_for(1)
        assert message.raw == raw
        wait_until(lambda: list(spool.directory.iterdir()) == [])
    assert not spool.directory.exists()  # removed when the store closes


def test_nul_characters_are_kept_and_searched(postgres_url: str) -> None:
    store = PostgresStore(postgres_url, ChangeHub())
    try:
        new = make_message(subject="a\x00b", body="body with\x00inside")
        stored = store.add(new).result(timeout=WAIT_SECONDS)
        assert store.get(new.id) == stored
        assert store.get(new.id).summary == new.summary  # type: ignore[union-attr]
        for text in ("subject:a\x00b", "with\x00", "a\x00b"):
            assert [m.id for m in store.search(parse_search_query(text))] == [new.id], text
    finally:
        store.close()


def test_tags_too_many_to_send_along_are_read_by_the_other_node(two_nodes) -> None:  # type: ignore[no-untyped-def]
    node_a, _, seen_on_b = two_nodes
    stored = node_a.add(make_message()).result(timeout=WAIT_SECONDS)
    seen_on_b.wait_for(1)
    seen_on_b.clear()
    many = [f"tag {i:03d} " + "x" * 90 for i in range(60)]  # over TAGS_INLINE_BYTES as JSON
    node_a.set_tags([stored.id], many)
    (change,) = seen_on_b.wait_for(1)
    assert change.kind is ChangeKind.UPDATE
    assert change.tags == tuple(sorted(many))
