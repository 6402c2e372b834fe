"""Per-mailbox retention: the `max` and `max_age` of `[mailbox.NAME]` in the rules file.

They apply besides `--max` and `--max-age`, which still count every mailbox together; the
server's retention task runs both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from mailsink.mailboxes.rules import MailboxLimits
from mailsink.store.base import Store


def prune_mailboxes(store: Store, limits: dict[str, MailboxLimits], now: datetime) -> list[str]:
    """Prune each mailbox to its own limits; returns the IDs deleted."""
    pruned: list[str] = []
    for mailbox, limit in limits.items():
        if not (limit.max_messages or limit.max_age_seconds):
            continue
        older_than = (
            now - timedelta(seconds=limit.max_age_seconds) if limit.max_age_seconds else None
        )
        pruned += store.prune(max_count=limit.max_messages, older_than=older_than, mailbox=mailbox)
    return pruned
