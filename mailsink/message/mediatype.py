"""`Content-Type` and `Content-Disposition` values: a token and its parameters.

Parameters are read forgivingly: quoted or not, unquoted values with spaces, RFC 2231
continuations (`name*0`, `name*1`) and charset-encoded values (`name*=utf-8''%E2%82%AC.pdf`),
and the RFC 2047 encoded words many mailers put in quoted file names.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from mailsink.message.charsets import decode_text
from mailsink.message.headers import decode_words

_PARAM = re.compile(r';\s*([^\s=;]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"?|[^;]*))?', re.S)
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)


def parse_media_type(value: str | None) -> tuple[str, dict[str, str]]:
    """`("text/plain", {"charset": "utf-8"})` from `text/plain; charset="utf-8"`.

    The token is lower-cased and stripped ("" when the value is empty); parameter names are
    lower-cased; values are decoded to text.
    """
    if not value:
        return "", {}
    semicolon = value.find(";")
    if semicolon < 0:
        return value.strip().lower(), {}
    token = value[:semicolon].strip().lower()
    return token, _parse_params(value[semicolon:])


def _parse_params(text: str) -> dict[str, str]:
    plain: dict[str, str] = {}
    sections: dict[str, list[tuple[int, bool, str]]] = {}
    for name, raw in _PARAM.findall(text):
        name = name.lower()
        value = _unquote(raw.strip())
        if "*" not in name:
            plain.setdefault(name, decode_words(value))
            continue
        encoded = name.endswith("*")
        base, _, number = name.removesuffix("*").rpartition("*")
        if not (base and number.isascii() and number.isdigit()):
            base, number = name.removesuffix("*"), "0"
        sections.setdefault(base, []).append((int(number[:6]), encoded, value))
    for name, pieces in sections.items():
        plain[name] = _join_rfc2231(pieces)
    return plain


def _unquote(value: str) -> str:
    if value.startswith('"'):
        inner = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return _QUOTED_PAIR.sub(r"\1", inner) if "\\" in inner else inner
    return value


def _join_rfc2231(pieces: list[tuple[int, bool, str]]) -> str:
    """Join `name*0*=utf-8''a%20b; name*1=c` into one decoded value."""
    pieces.sort(key=lambda piece: piece[0])
    charset: str | None = None
    data = bytearray()
    for number, encoded, value in pieces:
        if encoded and number == 0 and value.count("'") >= 2:
            charset, _language, value = value.split("'", 2)
        data += unquote_to_bytes(value) if encoded else value.encode("utf-8", "replace")
    return decode_text(bytes(data), charset or "utf-8")
