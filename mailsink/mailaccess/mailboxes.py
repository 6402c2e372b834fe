"""Which messages a login sees, and which other mailboxes it can look into.

Every message carries the name of its mailbox (`envelope.mailbox`, "default" unless routed
elsewhere). A login's own mailbox is what POP3 serves and what IMAP calls INBOX.
"""

from __future__ import annotations

from mailsink.store.base import Store, StoredMessage

DEFAULT_MAILBOX = "default"


def login_mailbox(username: str) -> str:
    """The mailbox a login sees: "default" for every username until mailboxes can be named
    by login (then the mailbox named like the username, when it exists)."""
    return DEFAULT_MAILBOX


def mailbox_messages(store: Store, mailbox: str) -> list[StoredMessage]:
    """The messages of `mailbox`, oldest first: POP3's message numbers and IMAP's sequence
    numbers follow this order. A blocking read: call it off the event loop."""
    return [m for m in store.search(limit=None, oldest_first=True) if m.envelope.mailbox == mailbox]


def mailbox_names(store: Store) -> list[str]:
    """Every mailbox that holds mail, and the default one even when empty, sorted."""
    names = {m.envelope.mailbox for m in store.search(limit=None)}
    return sorted(names | {DEFAULT_MAILBOX})
