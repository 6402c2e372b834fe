"""Which messages a login sees, and which other mailboxes it can look into.

Every message carries the name of its mailbox (`envelope.mailbox`, "default" unless routed
elsewhere). A login's own mailbox is what POP3 serves and what IMAP calls INBOX.
"""

from __future__ import annotations

from mailsink.mailboxes.names import DEFAULT_MAILBOX
from mailsink.store.base import Store, StoredMessage
from mailsink.store.search import mailbox_query


def login_mailbox(username: str) -> str:
    """The mailbox a login sees: "default" for every username until mailboxes can be named
    by login (then the mailbox named like the username, when it exists)."""
    return DEFAULT_MAILBOX


def mailbox_messages(store: Store, mailbox: str) -> list[StoredMessage]:
    """The messages of `mailbox`, oldest first: POP3's message numbers and IMAP's sequence
    numbers follow this order. A blocking read: call it off the event loop."""
    return store.search(mailbox_query(mailbox), limit=None, oldest_first=True)


def mailbox_names(store: Store) -> list[str]:
    """Every mailbox that holds mail, and the default one even when empty, sorted."""
    return sorted({status.name for status in store.mailboxes()} | {DEFAULT_MAILBOX})
