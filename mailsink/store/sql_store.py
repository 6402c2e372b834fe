"""The `Store` writes of both SQL stores: each hands its write function (of the store's
`writes` module) to the store's group-commit writer and waits for the committed answer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from datetime import datetime
from functools import partial
from types import ModuleType
from typing import Any

from mailsink.store.base import NewMessage, StoredMessage
from mailsink.store.group_commit import GroupCommitWriter


class WritesByWriter:
    """A mixin: a store sets `_writes` (its module of write functions: `delete`, `delete_all`,
    `set_read`, `set_tags`, `rename_tag`, `prune`) and `_writer`."""

    _writes: ModuleType
    _writer: GroupCommitWriter[Any]

    def add(self, message: NewMessage) -> Future[StoredMessage]:
        return self._writer.add(message)

    def add_now(self, messages: Sequence[NewMessage]) -> list[StoredMessage] | None:
        return self._writer.add_now(messages)

    def delete(self, message_ids: Iterable[str]) -> list[str]:
        return self._writer.write(partial(self._writes.delete, message_ids=list(message_ids)))

    def delete_all(self, mailbox: str | None = None) -> None:
        self._writer.write(partial(self._writes.delete_all, mailbox=mailbox))

    def set_read(self, message_ids: Iterable[str] | None, read: bool) -> list[str]:
        wanted = None if message_ids is None else list(message_ids)
        return self._writer.write(partial(self._writes.set_read, message_ids=wanted, read=read))

    def set_tags(self, message_ids: Iterable[str], tags: Iterable[str]) -> None:
        self._writer.write(
            partial(self._writes.set_tags, message_ids=list(message_ids), tags=list(tags))
        )

    def rename_tag(self, old: str, new: str) -> None:
        self._writer.write(partial(self._writes.rename_tag, old=old, new=new))

    def delete_tag(self, tag: str) -> None:
        self._writer.write(partial(self._writes.rename_tag, old=tag, new=None))

    def prune(
        self,
        *,
        max_count: int = 0,
        older_than: datetime | None = None,
        mailbox: str | None = None,
    ) -> list[str]:
        return self._writer.write(
            partial(self._writes.prune, max_count=max_count, older_than=older_than, mailbox=mailbox)
        )
