"""Mailpit's search query language: parsed once, evaluated by each store.

The language is described in docs/mailpit-api.md, Search query syntax.

`parse_search_query` turns the user's text into a `SearchQuery`: a tuple of AND-ed terms, each
already normalised (values cleaned and lower-cased, dates resolved to Unix milliseconds, sizes to
bytes, negation folded into the term). Both stores evaluate exactly these terms: the memory store
with `matches`, the SQLite store by compiling them to SQL; the store tests check that the two
agree. Parsing is tolerant like Mailpit's: nothing raises, and a token Mailpit ignores (an invalid
date, an empty `to:`, a token of punctuation only) is dropped.

Example: `subject:invoice !from:admin@example.com is:tagged` →
`TextTerm(SUBJECT, "invoice")`, `TextTerm(FROM, "admin@example.com", negated=True)`,
`FlagTerm(TAGGED)`.

`mailbox:NAME` (ours, not Mailpit's) keeps the messages filed in mailbox NAME: the name is
compared exactly, case included, as mailbox names are; `mailbox_query(NAME)` is that query
ready-made, for code that shows one mailbox (the HTTP API's `?mailbox=`, POP3, IMAP).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailsink.message.address import Address
from mailsink.store.dates import parse_search_date, to_unix_ms

if TYPE_CHECKING:
    from mailsink.message.summary import MessageSummary
    from mailsink.store.base import StoredMessage

# Mailpit's cleanString: these characters become spaces, whitespace collapses, text lower-cases.
_CLEAN_CHARS = re.compile(r'\r?\n|\t|[<>",;()\ufeff]')
_SURROGATES = re.compile("[\ud800-\udfff]")
_SIZE = re.compile(r"^(\d+)(\.\d+)?\s?([a-z]{1,2})?$")
_SIZE_UNITS = {"": 1, "k": 1024, "kb": 1024, "m": 1024 * 1024, "mb": 1024 * 1024}
LARGEST_INTEGER = 2**63 - 1  # SQLite's: the cap of sizes and page offsets, past any mailbox


def clean_search_value(text: str) -> str:
    """Mailpit's `cleanString`, applied to stored search text and to search values alike."""
    return " ".join(_CLEAN_CHARS.sub(" ", text).split()).lower()


class TextField(enum.Enum):
    """Where a `TextTerm`'s value is looked for (always a case-insensitive substring)."""

    TEXT = "text"  # the message's search text (bare words)
    FROM = "from"
    TO = "to"
    CC = "cc"
    BCC = "bcc"
    REPLY_TO = "reply-to"
    ADDRESSED = "addressed"  # any of From, To, Cc, Bcc, Reply-To
    SUBJECT = "subject"
    MESSAGE_ID = "message-id"


ADDRESS_FIELDS = (TextField.FROM, TextField.TO, TextField.CC, TextField.BCC, TextField.REPLY_TO)


class Flag(enum.Enum):
    READ = "read"
    TAGGED = "tagged"
    ATTACHMENT = "attachment"
    INLINE = "inline"


@dataclass(frozen=True, slots=True)
class TextTerm:
    field: TextField
    value: str  # lower-cased; never empty
    negated: bool = False


@dataclass(frozen=True, slots=True)
class TagTerm:
    name: str  # lower-cased; compared case-insensitively for equality
    negated: bool = False


@dataclass(frozen=True, slots=True)
class FlagTerm:
    flag: Flag
    negated: bool = False


@dataclass(frozen=True, slots=True)
class ReceivedTerm:
    """Received time `>=` (`on_or_after`) or `<=` the bound, in Unix milliseconds.

    Mailpit includes the bound on both sides, so `after:X` and `-after:X` both match a message
    received exactly at X.
    """

    bound_ms: int
    on_or_after: bool


@dataclass(frozen=True, slots=True)
class SizeTerm:
    """Size strictly `>` (`larger`) or `<` the bound in bytes."""

    bound: int
    larger: bool


@dataclass(frozen=True, slots=True)
class MailboxTerm:
    """Filed in mailbox `name` (exact, case-sensitive; a name no mailbox has matches nothing)."""

    name: str
    negated: bool = False


Term = TextTerm | TagTerm | FlagTerm | ReceivedTerm | SizeTerm | MailboxTerm


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed query: every term must match. No terms = every message matches."""

    text: str  # what the user typed
    terms: tuple[Term, ...] = ()


def parse_search_query(text: str, tz: str | None = None) -> SearchQuery:
    """Parse Mailpit's query language; `tz` (an IANA name) is the zone for dates in `before:`
    and `after:` (server local time when None or unknown). Never raises."""
    terms: list[Term] = []
    for token in split_tokens(without_surrogates(text)):
        term = _parse_token(token, tz)
        if term is not None:
            terms.append(term)
    return SearchQuery(text, tuple(terms))


def mailbox_query(name: str) -> SearchQuery:
    """The query for every message in mailbox `name`; combine it with a user's query with
    `narrowed_to_mailbox`."""
    return SearchQuery(f"mailbox:{name}", (MailboxTerm(name),))


def narrowed_to_mailbox(query: SearchQuery | None, name: str | None) -> SearchQuery | None:
    """`query` limited to mailbox `name` (`query` itself when `name` is None)."""
    if name is None:
        return query
    if query is None:
        return mailbox_query(name)
    return SearchQuery(f"{query.text} mailbox:{name}", (*query.terms, MailboxTerm(name)))


def split_tokens(text: str) -> list[str]:
    """Split on spaces; a double-quoted stretch (quotes removed) stays inside its token."""
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char == " " and not quoted:
            tokens.append("".join(current))
            current = []
        else:
            current.append(char)
    tokens.append("".join(current))
    return [t for t in tokens if t]


_PREFIXED_TEXT_FIELDS = (
    ("to:", TextField.TO),
    ("from:", TextField.FROM),
    ("cc:", TextField.CC),
    ("bcc:", TextField.BCC),
    ("reply-to:", TextField.REPLY_TO),
    ("addressed:", TextField.ADDRESSED),
    ("subject:", TextField.SUBJECT),
    ("message-id:", TextField.MESSAGE_ID),
)

_FLAGS = {
    "is:read": (Flag.READ, False),
    "is:unread": (Flag.READ, True),
    "is:tagged": (Flag.TAGGED, False),
    "has:attachment": (Flag.ATTACHMENT, False),
    "has:attachments": (Flag.ATTACHMENT, False),
    "has:inline": (Flag.INLINE, False),
    "has:inlines": (Flag.INLINE, False),
}


def _parse_token(token: str, tz: str | None) -> Term | None:
    if not clean_search_value(token):
        return None
    negated = len(token) > 1 and token[0] in "-!"
    if negated:
        token = token[1:]
    if not any(c.isalnum() for c in token):
        return None
    lowered = token.lower()

    for prefix, field in _PREFIXED_TEXT_FIELDS:
        if lowered.startswith(prefix):
            raw_value = token[len(prefix) :]
            # Mailpit matches subjects with the value as typed (LIKE is case-insensitive).
            value = (
                raw_value.lower() if field is TextField.SUBJECT else clean_search_value(raw_value)
            )
            return TextTerm(field, value, negated) if value else None
    if lowered.startswith("mailbox:"):
        name = token[len("mailbox:") :].strip()
        return MailboxTerm(name, negated) if name else None
    if lowered.startswith("tag:"):
        name = clean_search_value(token[4:])
        return TagTerm(name, negated) if name else None
    if lowered in _FLAGS:
        flag, inverted = _FLAGS[lowered]
        return FlagTerm(flag, negated != inverted)
    for prefix, on_or_after in (("after:", True), ("before:", False)):
        if lowered.startswith(prefix):
            when = parse_search_date(clean_search_value(token[len(prefix) :]), tz)
            if when is None:
                return None
            return ReceivedTerm(to_unix_ms(when), on_or_after != negated)
    for prefix, larger in (("larger:", True), ("smaller:", False)):
        if lowered.startswith(prefix):
            size = parse_size(clean_search_value(token[len(prefix) :]))
            if size > 0:
                return SizeTerm(size, larger != negated)
    return TextTerm(TextField.TEXT, clean_search_value(token), negated)


def page_bounds(offset: int, limit: int | None) -> tuple[int, int | None]:
    """`(offset, limit)` as a SQL store can bind them: negatives as 0, both capped at
    `LARGEST_INTEGER` (a page that far holds nothing anyway); `None` stays "no limit"."""
    bounded_limit = None if limit is None else min(max(limit, 0), LARGEST_INTEGER)
    return min(max(offset, 0), LARGEST_INTEGER), bounded_limit


def parse_size(text: str) -> int:
    """`2kb` → 2048, `1.5m` → 1572864, `300` → 300; 0 when it is not a size (Mailpit's rule).
    A size past `LARGEST_INTEGER` is that: no message comes near it, and a store can hold it."""
    found = _SIZE.match(text.lower())
    unit = found and (found[3] or "")
    if found is None or unit not in _SIZE_UNITS:
        return 0
    size = float(found[1] + (found[2] or "")) * _SIZE_UNITS[unit]  # inf for 400 digits
    return int(min(size, LARGEST_INTEGER))


def address_search_text(addresses: tuple[Address, ...]) -> str:
    """The text an address filter (`to:` …) searches: names and addresses, lower-cased, one per
    line, so that a match never spans two of them (search values never contain a newline)."""
    return "\n".join(f"{a.name}\n{a.address}" for a in addresses).lower()


def matches(query: SearchQuery | None, stored: StoredMessage) -> bool:
    """Whether a stored message matches every term: the semantics that define search, which the
    memory store uses directly and the SQLite store's compiled SQL must reproduce."""
    return query is None or all(_term_matches(term, stored) for term in query.terms)


def _term_matches(term: Term, stored: StoredMessage) -> bool:
    match term:
        case TextTerm(TextField.ADDRESSED, value, negated):
            found = any(value in field_text(f, stored.summary) for f in ADDRESS_FIELDS)
            return found != negated
        case TextTerm(field, value, negated):
            return (value in field_text(field, stored.summary)) != negated
        case TagTerm(name, negated):
            return any(tag.lower() == name for tag in stored.tags) != negated
        case FlagTerm(flag, negated):
            return _flag_set(flag, stored) != negated
        case ReceivedTerm(bound_ms, on_or_after):
            received = to_unix_ms(stored.received)
            return received >= bound_ms if on_or_after else received <= bound_ms
        case SizeTerm(bound, larger):
            return stored.size > bound if larger else stored.size < bound
        case MailboxTerm(name, negated):
            return (stored.envelope.mailbox == name) != negated
    raise AssertionError(f"unknown search term {term!r}")


def field_text(field: TextField, summary: MessageSummary) -> str:
    """The lower-cased text a text term on `field` looks in (not ADDRESSED: that is any of
    the address fields). Stores that index text store exactly this."""
    match field:
        case TextField.TEXT:
            text = summary.search_text
        case TextField.SUBJECT:
            text = summary.subject.lower()
        case TextField.MESSAGE_ID:
            text = summary.message_id.lower()
        case _:
            text = address_search_text(address_list(field, summary))
    return without_surrogates(text)


def without_surrogates(text: str) -> str:
    """Lone surrogates (from undecodable bytes) replaced by U+FFFD: SQLite cannot store them."""
    return text if text.isascii() else _SURROGATES.sub("\ufffd", text)


def address_list(field: TextField, summary: MessageSummary) -> tuple[Address, ...]:
    """The addresses an address field (`from:`, `to:` …) looks at."""
    match field:
        case TextField.FROM:
            return () if summary.from_ is None else (summary.from_,)
        case TextField.TO:
            return summary.to
        case TextField.CC:
            return summary.cc
        case TextField.BCC:
            return summary.bcc
        case TextField.REPLY_TO:
            return summary.reply_to
    raise ValueError(f"{field} is not an address field")


def _flag_set(flag: Flag, stored: StoredMessage) -> bool:
    match flag:
        case Flag.READ:
            return stored.read
        case Flag.TAGGED:
            return bool(stored.tags)
        case Flag.ATTACHMENT:
            return stored.summary.attachments > 0
        case Flag.INLINE:
            return stored.summary.inlines > 0
