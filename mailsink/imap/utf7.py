"""Mailbox names on the IMAP wire: modified UTF-7 (RFC 3501 §5.1.3).

IMAP4rev1 sends mailbox names in 7-bit ASCII. Printable ASCII stands for itself, but `&`,
which is written `&-`; any other run of characters is `&`, their UTF-16 in base64 with `,`
for `/` and no `=` padding, then `-`: `été` is `&AOk-t&AOk-`.

Names are compared exactly, so a name has one spelling on the wire: `decode_mailbox_name`
refuses what `encode_mailbox_name` would not have written (ASCII sent in base64, two runs side
by side, stray bits at the end of a run) as well as what is no modified UTF-7 at all (8-bit or
control characters, an `&` without its `-`, bad base64, broken UTF-16). mailsink's own names are
ASCII without `&` (`mailsink.mailboxes.names`), so today encoding changes nothing; decoding is
what turns a client's encoded name into a clear answer instead of a wrong lookup.

    >>> encode_mailbox_name("été & co")
    '&AOk-t&AOk- &- co'
    >>> decode_mailbox_name("&AOk-t&AOk- &- co")
    'été & co'

Exceptions: `MailboxNameError` (a `ValueError`) says what is wrong with the name.
"""

from __future__ import annotations

import base64
import binascii
import re

_PRINTABLE = re.compile(r"[\x20-\x7e]")
_RUN = re.compile(r"[\x20-\x7e]+|[^\x20-\x7e]+")
_BASE64 = re.compile(r"[A-Za-z0-9+,]*")


class MailboxNameError(ValueError):
    """A mailbox name as sent by a client that is not valid modified UTF-7."""


def encode_mailbox_name(name: str) -> str:
    """`name` as an IMAP4rev1 client must see it."""
    return "".join(_encode_run(run) for run in _RUN.findall(name))


def _encode_run(run: str) -> str:
    if _PRINTABLE.match(run):
        return run.replace("&", "&-")
    encoded = base64.b64encode(run.encode("utf-16-be")).rstrip(b"=").replace(b"/", b",")
    return f"&{encoded.decode('ascii')}-"


def decode_mailbox_name(wire: str) -> str:
    """The name a client means by `wire`; `MailboxNameError` when `wire` is not the modified
    UTF-7 spelling of any name."""
    parts = []
    position = 0
    while position < len(wire):
        char = wire[position]
        if char != "&":
            if not _PRINTABLE.match(char):
                raise MailboxNameError(f"{char!a} must be written in modified UTF-7 (&...-)")
            parts.append(char)
            position += 1
            continue
        end = wire.find("-", position + 1)
        if end < 0:
            raise MailboxNameError("an '&' without the '-' that ends it")
        parts.append(_decode_run(wire[position + 1 : end]) if end > position + 1 else "&")
        position = end + 1
    name = "".join(parts)
    if (spelling := encode_mailbox_name(name)) != wire:
        raise MailboxNameError(f"not the one spelling of its name, which is {_shown(spelling)}")
    return name


def _decode_run(run: str) -> str:
    if not _BASE64.fullmatch(run):
        raise MailboxNameError(f"{_shown(run)} is not modified base64")
    try:
        data = base64.b64decode(run.replace(",", "/") + "=" * (-len(run) % 4), validate=True)
        return data.decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError):
        raise MailboxNameError(f"{_shown(run)} is not base64 of UTF-16") from None


def _shown(text: str) -> str:
    """`text` for an answer: ASCII only, and not too long to read."""
    return ascii(text[:60]) + ("..." if len(text) > 60 else "")
