"""Search (docs/mailpit-api.md, Search query syntax): one table of queries × expected messages
over a fixed corpus, run on every store, plus a randomized cross-check that each SQL store
agrees with the memory store on
arbitrary queries."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailsink.events import ChangeHub
from mailsink.message.address import Address
from mailsink.store.base import Store
from mailsink.store.memory import MemoryStore
from mailsink.store.postgres import PostgresStore
from mailsink.store.postgres import store as postgres_store
from mailsink.store.search import parse_search_query
from mailsink.store.sqlite import SqliteStore
from mailsink.store.sqlite import query as sqlite_search

from .conftest import make_message

ALICE = Address("Alice", "alice@example.com")

# key → (fields of make_message); added in this order, so the last is the newest.
CORPUS: dict[str, dict[str, object]] = {
    "invoice": dict(
        from_=Address("Billing Dept", "billing@shop.example"),
        to=(ALICE,),
        subject="Invoice #42 for March",
        body="Please pay the amount due.",
        received=datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
        attachments=1,
        tags=("Finance",),
        raw=b"Subject: Invoice\r\n\r\n" + b"x" * 4980,
    ),
    "welcome": dict(
        from_=Address("Admin", "admin@example.com"),
        to=(Address("", "bob@example.com"),),
        cc=(Address("Carol", "carol@example.com"),),
        subject="Welcome aboard",
        body="Hello John Doe, welcome!",
        received=datetime(2024, 3, 5, 9, 0, tzinfo=UTC),
        inlines=1,
    ),
    "newsletter": dict(
        from_=Address("", "news@letters.example"),
        to=(Address("John Doe", "john@example.com"),),
        bcc=(Address("", "dave@hidden.example"),),
        reply_to=(Address("", "replies@letters.example"),),
        subject="Weekly news: Café",
        body="Straße ÜBER alles",
        received=datetime(2024, 4, 1, 23, 30, tzinfo=UTC),
        tags=("news", "Weekly"),
    ),
    "reset": dict(
        from_=Address("", "no-reply@app.example"),
        to=(ALICE,),
        subject="Password reset",
        body="Your code 123456 expires soon",
        message_id="reset-1@app.example",
        received=datetime(2024, 4, 10, 0, 0, tzinfo=UTC),
    ),
    "short": dict(
        from_=Address("", "x@y.example"),
        to=(Address("", "z@y.example"),),
        subject="Hi",
        body="ok",
        received=datetime(2024, 4, 11, 12, 0, tzinfo=UTC),
    ),
    "percent": dict(
        from_=Address("Shop", "deals@shop.example"),
        to=(Address("", "o'brien@example.com"),),
        subject="100% off_sale",
        body="50% discount [limited] *now*",
        received=datetime(2024, 4, 12, 8, 0, tzinfo=UTC),
    ),
    "nofrom": dict(
        from_=None,
        to=(Address("", "bob@example.com"),),
        subject="No sender",
        body="anonymous note abcx xbcd",
        received=datetime(2024, 4, 13, 8, 0, tzinfo=UTC),
    ),
}
READ = {"reset"}
ALL = set(CORPUS)


def fill(store: Store) -> dict[str, str]:
    """Adds the corpus; returns message ID → corpus key."""
    keys = {}
    for key, fields in CORPUS.items():
        stored = store.add(make_message(**fields)).result(timeout=30)  # type: ignore[arg-type]
        keys[stored.id] = key
    store.set_read([i for i, key in keys.items() if key in READ], True)
    return keys


def but(*keys: str) -> set[str]:
    return ALL - set(keys)


SEARCHES: list[tuple[str, str | None, set[str]]] = [
    # bare words, phrases, case, cleaning
    ("", None, ALL),
    ("invoice", None, {"invoice"}),
    ("INVOICE", None, {"invoice"}),
    ("john doe", None, {"welcome", "newsletter"}),
    ('"john doe"', None, {"welcome", "newsletter"}),
    ('"doe welcome"', None, {"welcome"}),  # the comma between them is cleaned away
    ('"pay the amount"', None, {"invoice"}),
    ('"amount pay"', None, set()),
    ("<invoice>", None, {"invoice"}),
    ("invoice,", None, {"invoice"}),
    ("straße", None, {"newsletter"}),
    ("ÜBER", None, {"newsletter"}),
    # characters that are wildcards in SQL LIKE or GLOB are literal
    ("100%", None, {"percent"}),
    ("off_sale", None, {"percent"}),
    ("offxsale", None, set()),
    ("[limited]", None, {"percent"}),
    ("*now*", None, {"percent"}),
    ("n?w", None, set()),
    ("o'brien", None, {"percent"}),
    # every trigram of "abcd" is in the "nofrom" text, but not "abcd" itself
    ("abcd", None, set()),
    ("bcx xbc", None, {"nofrom"}),
    # terms shorter than a trigram
    ("ok", None, {"short"}),
    ("hi", None, {"short", "newsletter"}),
    ("ü", None, {"newsletter"}),
    # negation
    ("-invoice", None, but("invoice")),
    ("!invoice", None, but("invoice")),
    ("-", None, ALL),
    ("!", None, ALL),
    ("--", None, ALL),
    # address fields: name or address, case-insensitive
    ("to:john", None, {"newsletter"}),
    ('to:"john doe"', None, {"newsletter"}),
    ("To:ALICE", None, {"invoice", "reset"}),
    ("from:admin", None, {"welcome"}),
    ("!from:admin", None, but("welcome")),
    ("from:shop.example", None, {"invoice", "percent"}),
    ("cc:carol", None, {"welcome"}),
    ("bcc:hidden", None, {"newsletter"}),
    ("reply-to:replies", None, {"newsletter"}),
    ("addressed:alice", None, {"invoice", "reset"}),
    ("addressed:letters", None, {"newsletter"}),
    ("-addressed:example.com", None, {"short"}),
    ("from:<admin@example.com>", None, {"welcome"}),
    # subject and message-id
    ("subject:invoice", None, {"invoice"}),
    ('subject:"weekly news"', None, {"newsletter"}),
    ("subject:CAFÉ", None, {"newsletter"}),
    ("-subject:hello", None, ALL),
    ("subject:#42", None, {"invoice"}),
    ("message-id:reset-1", None, {"reset"}),
    ("message-id:APP.EXAMPLE", None, {"reset"}),
    # tags: exact name, case-insensitive
    ("tag:finance", None, {"invoice"}),
    ("tag:FINANCE", None, {"invoice"}),
    ("tag:fin", None, set()),
    ("-tag:news", None, but("newsletter")),
    ('tag:"weekly"', None, {"newsletter"}),
    # flags
    ("is:read", None, {"reset"}),
    ("is:unread", None, but("reset")),
    ("-is:read", None, but("reset")),
    ("!is:unread", None, {"reset"}),
    ("IS:READ", None, {"reset"}),
    ("is:tagged", None, {"invoice", "newsletter"}),
    ("-is:tagged", None, but("invoice", "newsletter")),
    ("has:attachment", None, {"invoice"}),
    ("has:attachments", None, {"invoice"}),
    ("-has:attachment", None, but("invoice")),
    ("has:inline", None, {"welcome"}),
    ("has:inlines", None, {"welcome"}),
    # sizes (the invoice is 5,000 bytes)
    ("larger:4kb", None, {"invoice"}),
    ("larger:4096", None, {"invoice"}),
    ("larger:0.004m", None, {"invoice"}),
    ("larger:5000", None, set()),
    ("smaller:4k", None, but("invoice")),
    ("-larger:4kb", None, but("invoice")),
    ("-smaller:4KB", None, {"invoice"}),
    ("larger:0", None, set()),  # not a size: a word to search for
    ("larger:4gb", None, set()),
    # dates, with the zone of the query
    ("after:2024-04-01", "UTC", {"newsletter", "reset", "short", "percent", "nofrom"}),
    ("after:2024/04/02", "UTC", {"reset", "short", "percent", "nofrom"}),
    ("after:2024/04/02", "Europe/Berlin", {"newsletter", "reset", "short", "percent", "nofrom"}),
    ("before:2024-03-05", "UTC", {"invoice"}),
    ("-after:2024-03-05", "UTC", {"invoice"}),
    ('after:"2024-03-05 09:00"', "UTC", but("invoice")),  # inclusive
    ('before:"2024-03-05 09:00"', "UTC", {"invoice", "welcome"}),  # inclusive
    ("-before:2024-04-11", "UTC", {"short", "percent", "nofrom"}),
    ("after:04/10/2024", "UTC", {"reset", "short", "percent", "nofrom"}),
    ('after:"April 10, 2024"', "UTC", {"reset", "short", "percent", "nofrom"}),
    ("after:10-apr-2024", "UTC", {"reset", "short", "percent", "nofrom"}),
    ("after:1712707200", None, {"reset", "short", "percent", "nofrom"}),
    ("after:2024-04-10T00:00:01Z", None, {"short", "percent", "nofrom"}),
    ("after:2024-04-02T01:30:00+02:00", "Not/A_Zone", but("invoice", "welcome")),
    ("before:2024-03-01", "America/New_York", set()),
    ("before:2024-03-02", "America/New_York", {"invoice"}),
    ("after:2024-04-01 before:2024-04-10", "UTC", {"newsletter", "reset"}),
    ("after:2024-13-45", "UTC", ALL),
    ("before:someday", None, ALL),
    # malformed: never an error, ignored where Mailpit ignores it
    ('"unclosed quote', None, set()),
    ("to:", None, ALL),
    ("tag:", None, ALL),
    ("after:", None, ALL),
    (")(", None, ALL),
    ("\x00", None, ALL),
    ("is:", None, set()),
    ("has:nothing", None, set()),
    ("larger:", None, set()),
    ("is:read is:unread", None, set()),
    # combinations
    ("subject:invoice !from:admin@example.com is:tagged", None, {"invoice"}),
    ('to:"john doe" is:tagged -is:read', None, {"newsletter"}),
]


@pytest.mark.parametrize(("text", "tz", "expected"), SEARCHES, ids=[s[0] or "''" for s in SEARCHES])
def test_search_table(store: Store, text: str, tz: str | None, expected: set[str]) -> None:
    keys = fill(store)
    query = parse_search_query(text, tz)

    found = [keys[m.id] for m in store.search(query, limit=None)]

    newest_first = [k for k in reversed(CORPUS) if k in expected]
    assert found == newest_first
    counts = store.count(query)
    assert (counts.total, counts.unread) == (len(expected), len(expected - READ))


def test_search_pages_through_matches(store: Store) -> None:
    keys = fill(store)
    query = parse_search_query("example")
    everything = [keys[m.id] for m in store.search(query, limit=None)]
    pages = [keys[m.id] for o in range(0, 8, 3) for m in store.search(query, offset=o, limit=3)]
    assert pages == everything
    oldest = [keys[m.id] for m in store.search(query, limit=2, oldest_first=True)]
    assert oldest == everything[::-1][:2]


def test_a_huge_query_is_answered(store: Store) -> None:
    fill(store)
    text = " ".join(f"-word{i}" for i in range(300)) + " invoice " + "x" * 10_000
    assert store.search(parse_search_query(text)) == []
    assert store.count(parse_search_query(text + " -" + "y" * 50)).total == 0


_VOCABULARY = [
    "invoice", "john", "doe", "example", "alice", "ok", "hi", "é", "ß", "%", "_", "*", "?", "[",
    "]", "'", '"', "-", "!", ":", "<", ">", ",", "to:", "from:", "cc:", "bcc:", "reply-to:",
    "addressed:", "subject:", "message-id:", "tag:", "is:read", "is:unread", "is:tagged",
    "has:attachment", "has:inline", "after:", "before:", "larger:", "smaller:", "2024-04-01",
    "abc", "bcd", "xbc", "note", "ple", "exa",
    "4k", "1.5m", "news", "weekly", "Finance", "shop", "Café", "ÜBER", " ", " ", " ",
]  # fmt: skip


_ZONES = [None, "UTC", "Asia/Tokyo"]


@pytest.mark.parametrize("index_share", [0.0, sqlite_search.INDEX_SHARE, 1.0])
def test_stores_agree_on_random_queries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, index_share: float
) -> None:
    """The table's queries and random token soup: never an error, and the SQLite store finds
    what the memory store finds, in the same order, on every page, whether it looks text up
    in the index, scans it, or mixes both."""
    monkeypatch.setattr(sqlite_search, "INDEX_SHARE", index_share)
    sqlite = SqliteStore(tmp_path / "agree.db", ChangeHub())
    try:
        assert_agrees_with_memory(sqlite)
    finally:
        sqlite.close()


@pytest.mark.parametrize("recent_window", [postgres_store.RECENT_WINDOW, 0, 3])
def test_postgres_agrees_on_random_queries(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, recent_window: int
) -> None:
    """Also when a page of a text search is looked for among a few recent messages first, and
    then, when they do not fill it, by the index."""
    monkeypatch.setattr(postgres_store, "RECENT_WINDOW", recent_window)
    postgres = PostgresStore(postgres_url, ChangeHub())
    try:
        assert_agrees_with_memory(postgres)
    finally:
        postgres.close()


def assert_agrees_with_memory(store: Store) -> None:
    memory = MemoryStore(ChangeHub())
    try:
        memory_keys, store_keys = fill(memory), fill(store)
        rng = random.Random(20240301)
        soup = [
            ("".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(1, 6))), rng.choice(_ZONES))
            for _ in range(300)
        ]
        for text, tz in [(text, tz) for text, tz, _ in SEARCHES] + soup:
            query = parse_search_query(text, tz)
            expected = [memory_keys[m.id] for m in memory.search(query, limit=None)]
            found = [store_keys[m.id] for m in store.search(query, limit=None)]
            assert found == expected, text
            assert store.count(query) == memory.count(query), text
            for offset, oldest_first in ((2, False), (1, True)):
                page = {"offset": offset, "limit": 2, "oldest_first": oldest_first}
                expected_page = [memory_keys[m.id] for m in memory.search(query, **page)]
                found_page = [store_keys[m.id] for m in store.search(query, **page)]
                assert found_page == expected_page, (text, page)
            after = {"after_seq": 3, "oldest_first": True}
            expected_after = [memory_keys[m.id] for m in memory.search(query, **after)]
            assert [store_keys[m.id] for m in store.search(query, **after)] == expected_after
    finally:
        memory.close()


def test_a_page_far_past_the_end_is_empty(store: Store) -> None:
    """Offsets and limits as large as an SQLite integer (the API caps them there) answer [].
    Found by schemathesis: the memory store raised on `start` plus `limit` past sys.maxsize."""
    fill(store)
    huge = 2**63 - 1
    assert store.search(None, offset=huge, limit=huge) == []
    assert store.search(None, offset=2**80, limit=2**80) == []  # MailHog's start= is unbounded
    assert store.search(parse_search_query("example"), offset=2**62, limit=2**62) == []
    assert len(store.search(None, offset=0, limit=huge)) == len(CORPUS)
