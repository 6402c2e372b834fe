"""Fixtures for the store suite: every test runs on each store implementation."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailsink.events import Change, ChangeHub
from mailsink.message.address import Address
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.ids import new_message_id
from mailsink.message.summary import MessageSummary
from mailsink.store.base import NewMessage, Store
from mailsink.store.memory import MemoryStore
from mailsink.store.postgres import PostgresStore
from mailsink.store.search import clean_search_value
from mailsink.store.sqlite import SqliteStore

BASE_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ALICE = Address("Alice Example", "alice@example.com")
BOB = Address("", "bob@example.com")


class ChangeLog:
    """Records every change published on a hub, and lets a test wait for one."""

    def __init__(self, hub: ChangeHub) -> None:
        self.changes: list[Change] = []
        self._condition = threading.Condition()
        hub.subscribe(self._record)

    def _record(self, change: Change) -> None:
        with self._condition:
            self.changes.append(change)
            self._condition.notify_all()

    def clear(self) -> None:
        with self._condition:
            self.changes.clear()

    def kinds(self) -> list[str]:
        with self._condition:
            return [c.kind.value for c in self.changes]


def make_message(
    *,
    subject: str = "Hello",
    from_: Address | None = ALICE,
    to: tuple[Address, ...] = (BOB,),
    cc: tuple[Address, ...] = (),
    bcc: tuple[Address, ...] = (),
    reply_to: tuple[Address, ...] = (),
    message_id: str = "",
    body: str = "hello world",
    raw: bytes | None = None,
    received: datetime = BASE_TIME,
    attachments: int = 0,
    inlines: int = 0,
    tags: tuple[str, ...] = (),
    warnings: tuple[str, ...] = (),
    mailbox: str = "default",
) -> NewMessage:
    """A NewMessage with a summary built directly (the store does not parse bytes)."""
    message_id = message_id or f"{new_message_id()}@example.com"
    if raw is None:
        raw = f"Subject: {subject}\r\nMessage-ID: <{message_id}>\r\n\r\n{body}\r\n".encode()
    envelope = Envelope(
        mail_from=from_.address if from_ else "",
        recipients=tuple(Recipient(a.address, {"NOTIFY": "NEVER"}) for a in to),
        received=received,
        mail_from_params={"BODY": "8BITMIME"},
        helo="client.example",
        peer="127.0.0.1:50412",
        auth_user="user",
        tls="TLSv1.3",
        tls_cipher="TLS_AES_256_GCM_SHA384",
        mailbox=mailbox,
    )
    people = [a for a in (from_, *to, *cc, *bcc, *reply_to) if a is not None]
    names = " ".join(f"{a.name} {a.address}" for a in people)
    summary = MessageSummary(
        message_id=message_id,
        from_=from_,
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        subject=subject,
        date=received.astimezone(timezone(timedelta(hours=2))),
        snippet=body[:200],
        attachments=attachments,
        inlines=inlines,
        tags=tags,
        search_text=clean_search_value(f"{subject} {names} {body}"),
        warnings=warnings,
    )
    return NewMessage(new_message_id(), raw, envelope, summary)


@pytest.fixture
def hub() -> ChangeHub:
    return ChangeHub()


@pytest.fixture
def changes(hub: ChangeHub) -> ChangeLog:
    return ChangeLog(hub)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def open_store(
    store_kind: str, hub: ChangeHub, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], Store]]:
    """Opens the store under test (again, for restarts: the same file or database); closes
    all."""
    opened: list[Store] = []
    database = request.getfixturevalue("postgres_url") if store_kind == "postgres" else ""

    def open_() -> Store:
        store: Store
        if store_kind == "memory":
            store = MemoryStore(hub)
        elif store_kind == "sqlite":
            store = SqliteStore(tmp_path / "mail.db", hub)
        else:
            store = PostgresStore(database, hub)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    return open_store()
