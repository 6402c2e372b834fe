"""A mailbox address as shown in headers: display name and addr-spec (Mailpit's `Address`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailsink.message.headers import decode_words


@dataclass(frozen=True, slots=True)
class Address:
    """`name` is the RFC 2047-decoded display name ("" if none); `address` the addr-spec.

    When a header cannot be parsed, `address` is "" and `name` holds the raw text, as Mailpit does.
    """

    name: str
    address: str


# Tokens of an address list: quoted strings, comments, <angle addresses>, separators, words.
# Unterminated quotes, comments and brackets run to the end rather than failing.
_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"?|\((?:[^()\\]|\\.)*\)?|<[^<>]*>?|[,:;]|[^",:;<(]+|[^,]', re.S
)
_ADDR_SPEC = re.compile(r'(?:[^\s@"<>(),;:]+|"(?:[^"\\]|\\.)*")@[^\s@"<>(),;:]+')
# The shapes nearly every field has, read without the tokenizer (a large share of a small
# message's summary): `a@x`, `<a@x>` and `Plain Name <a@x>`, where the name has nothing to decode or
# unquote. Anything else takes the general path, which gives the same result for these.
_ATOM_ADDRESS = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+"
_SIMPLE_FIELD = re.compile(
    rf"\s*(?:(?P<bare>{_ATOM_ADDRESS})"
    rf"|(?P<name>[A-Za-z0-9 \t.'_-]*?)\s*<(?P<angle>{_ATOM_ADDRESS})>)\s*"
)


def parse_address_list(value: str) -> list[Address]:
    """Addresses of a To/Cc/From-style field (already unfolded, encoded words not yet decoded).

    Forgiving: groups (`team: a@x, b@y;`) give their members, a comment names a bare address
    (`a@x (Alice)`), and a piece that holds no usable address becomes `Address(name=<the
    piece, decoded>, address="")` instead of failing the whole field.
    """
    if not value or value.isspace():
        return []
    simple = _SIMPLE_FIELD.fullmatch(value)
    if simple is not None:
        if simple["bare"] is not None:
            return [Address("", simple["bare"])]
        return [Address(" ".join(simple["name"].split()), simple["angle"])]
    return _parse_tokens(value)


def _parse_tokens(value: str) -> list[Address]:
    addresses: list[Address] = []
    piece: list[str] = []
    for token in _TOKEN.findall(value):
        if token == ",":
            _add_piece(piece, addresses)
            piece = []
        elif token == ":" and not any(t.startswith("<") for t in piece):
            piece = []  # a group's display name: its members follow
        elif token == ";":
            _add_piece(piece, addresses)
            piece = []
        else:
            piece.append(token)
    _add_piece(piece, addresses)
    return addresses


def _add_piece(tokens: list[str], addresses: list[Address]) -> None:
    text = "".join(tokens).strip()
    if not text:
        return
    angle = next((t for t in reversed(tokens) if t.startswith("<")), None)
    if angle is not None:
        spec = angle[1:-1] if angle.endswith(">") else angle[1:]
        spec = spec.rsplit(":", 1)[-1].strip()  # drop an obsolete source route
        name_tokens = [t for t in tokens if t is not angle and not t.startswith("(")]
        name = _display_name(name_tokens)
        if not name:
            name = _display_name([t[1:-1] for t in tokens if t.startswith("(")])
    else:
        words = [t for t in tokens if not t.startswith("(")]
        spec = "".join(words).strip()
        name = _display_name([t[1:-1] for t in tokens if t.startswith("(")])
    if _ADDR_SPEC.fullmatch(spec):
        addresses.append(Address(name=name, address=_unquote_local_part(spec)))
    else:
        addresses.append(Address(name=decode_words(text), address=""))


def _display_name(tokens: list[str]) -> str:
    parts = []
    for token in tokens:
        if token.startswith('"'):
            token = token[1:-1] if len(token) > 1 and token.endswith('"') else token[1:]
            token = re.sub(r"\\(.)", r"\1", token)
        parts.append(token)
    return " ".join(decode_words(" ".join(parts)).split())


def _unquote_local_part(spec: str) -> str:
    if not spec.startswith('"'):
        return spec
    local, _, domain = spec.rpartition("@")
    inner = re.sub(r"\\(.)", r"\1", local[1:-1])
    # A quoted local part that needs no quotes is written without them, as Go does.
    return f"{inner}@{domain}" if _ADDR_SPEC.fullmatch(f"{inner}@{domain}") else spec
