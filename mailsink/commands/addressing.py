"""The envelope a command makes for a message that came without one (`sendmail -t`, `ingest`):
recipients and sender read from the message's own header fields."""

from __future__ import annotations

import getpass
import socket

from mailsink.message.address import parse_address_list
from mailsink.message.headers import HeaderMap, unfold

RECIPIENT_FIELDS = ("To", "Cc", "Bcc")


def _addresses(headers: HeaderMap, name: str) -> list[str]:
    return [
        address.address
        for raw in headers.get_all_raw(name)
        for address in parse_address_list(unfold(raw))
        if address.address
    ]


def header_recipients(raw: bytes) -> list[str]:
    """Every address in To, Cc and Bcc, in that order, each once (compared case-insensitively)."""
    headers = HeaderMap.from_bytes(raw)
    seen: set[str] = set()
    found = []
    for name in RECIPIENT_FIELDS:
        for address in _addresses(headers, name):
            if address.lower() not in seen:
                seen.add(address.lower())
                found.append(address)
    return found


def header_sender(raw: bytes) -> str | None:
    """The first address of Sender, else of From; None when neither has one."""
    headers = HeaderMap.from_bytes(raw)
    for name in ("Sender", "From"):
        addresses = _addresses(headers, name)
        if addresses:
            return addresses[0]
    return None


def local_sender() -> str:
    """`user@host` of whoever runs the command: sendmail's sender when nothing names one."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = "nobody"
    return f"{user}@{socket.gethostname() or 'localhost'}"
