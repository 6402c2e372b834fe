"""Undo a part's Content-Transfer-Encoding (base64, quoted-printable), forgivingly.

Broken base64 (stray characters, missing padding, a truncated last group) still yields the
bytes that can be read; an unknown encoding leaves the bytes as they are.
"""

from __future__ import annotations

import binascii
import re

_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]+")


def decode_transfer_encoding(body: bytes, encoding: str) -> bytes:
    """The part's content bytes; `encoding` is the lower-cased Content-Transfer-Encoding."""
    if encoding == "base64":
        return _decode_base64(body)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(body)
    return body


def _decode_base64(body: bytes) -> bytes:
    try:
        return binascii.a2b_base64(body)
    except binascii.Error:
        pass
    # Keep only alphabet characters up to the first padding, drop a lone trailing character.
    data = _NOT_BASE64.sub(b"", body.split(b"=", 1)[0])
    data = data[: len(data) - (len(data) % 4 == 1)]
    return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
