"""Which messages a login sees, and which other mailboxes it can look into.

Every message carries the name of its mailbox (`envelope.mailbox`, "default" unless routed
elsewhere). A login's own mailbox is what POP3 serves and what IMAP calls INBOX.
"""

from __future__ import annotations

from mailsink.mailboxes.names import DEFAULT_MAILBOX, is_mailbox_name
from mailsink.store.base import Store, StoredMessage
from mailsink.store.search import mailbox_query

MAILBOX_LOGIN_PREFIX = "mailbox:"  # as SMTP AUTH files mail: `mailbox:team-a` sees team-a


def login_mailbox(store: Store, username: str) -> str:
    """The mailbox a login sees: the one its username names (`team-a`, or `mailbox:team-a` as
    SMTP's AUTH convention writes it) when that mailbox holds mail; else "default", so that
    any login on a sink without mailboxes sees all its mail. A blocking read: call it off the
    event loop."""
    name = username.removeprefix(MAILBOX_LOGIN_PREFIX)
    if not is_mailbox_name(name) or name == DEFAULT_MAILBOX:
        return DEFAULT_MAILBOX
    held = {status.name for status in store.mailboxes()}
    return name if name in held else DEFAULT_MAILBOX


def mailbox_messages(store: Store, mailbox: str) -> list[StoredMessage]:
    """The messages of `mailbox`, oldest first: POP3's message numbers and IMAP's sequence
    numbers follow this order. A blocking read: call it off the event loop."""
    return store.search(mailbox_query(mailbox), limit=None, oldest_first=True)


def mailbox_names(store: Store) -> list[str]:
    """Every mailbox that holds mail, and the default one even when empty, sorted."""
    return sorted({status.name for status in store.mailboxes()} | {DEFAULT_MAILBOX})
