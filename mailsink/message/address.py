"""A mailbox address as shown in headers: display name and addr-spec (Mailpit's `Address`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Address:
    """`name` is the RFC 2047-decoded display name ("" if none); `address` the addr-spec.

    When a header cannot be parsed, `address` is "" and `name` holds the raw text, as Mailpit does.
    """

    name: str
    address: str
