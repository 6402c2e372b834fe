"""What the plugin knows about one test's mail, kept in the test item's stash.

`mailsink_address`, `mailsink_mailbox` and the `mailsink` view share the test's address domain
and mailbox through it, and the failure report reads the test's mail from it after the test
has run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mailsink.message.captured import CapturedMessage

ADDRESS_DOMAIN_SUFFIX = ".mailsink.test"  # RFC 2606 reserves .test: mail there goes nowhere real
_NOT_IN_LABEL = re.compile(r"[^a-z0-9]+")
_LABEL_PREFIX_LENGTH = 40  # + "-" + 8 hex digits stays well under DNS's 63 per label


def new_test_label(test_name: str) -> str:
    """A name no other test (in this run or any other) uses, readable in the web UI; a DNS
    label and a mailbox name alike.

    >>> new_test_label("test_reset[de]")  # doctest: +SKIP
    'test-reset-de-3f9c0a7e'
    """
    import secrets  # here, not at the top: a run that uses no fixture imports nothing extra

    label = _NOT_IN_LABEL.sub("-", test_name.lower())[:_LABEL_PREFIX_LENGTH].strip("-") or "test"
    return f"{label}-{secrets.token_hex(4)}"


def new_address_domain(test_name: str) -> str:
    """A domain no other test uses: `test-reset-de-3f9c0a7e.mailsink.test`."""
    return new_test_label(test_name) + ADDRESS_DOMAIN_SUFFIX


@dataclass
class MailCapture:
    """One test's address domain and the readers of the mail it captured."""

    test_name: str
    _domain: str | None = None
    _mailbox: str | None = None
    # Called when the report needs the test's mail; each returns the mail of one view.
    readers: list[Callable[[], Sequence[CapturedMessage]]] = field(default_factory=list)
    reported: bool = False  # the failure report has shown the mail

    @property
    def domain(self) -> str:
        if self._domain is None:
            self._domain = new_address_domain(self.test_name)
        return self._domain

    @property
    def mailbox(self) -> str:
        if self._mailbox is None:
            self._mailbox = new_test_label(self.test_name)
        return self._mailbox

    def messages(self) -> list[CapturedMessage]:
        found: dict[str, CapturedMessage] = {}
        for read in self.readers:
            for message in read():
                found.setdefault(message.id, message)
        return list(found.values())


CAPTURE_KEY = pytest.StashKey[MailCapture]()


def capture_of(item: pytest.Item) -> MailCapture:
    capture = item.stash.get(CAPTURE_KEY, None)
    if capture is None:
        capture = item.stash[CAPTURE_KEY] = MailCapture(item.name)
    return capture
