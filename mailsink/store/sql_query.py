"""What compiling a `SearchQuery` to SQL means in every SQL store (SQLite, PostgreSQL).

Each store keeps the same tables for what search filters on: `messages m` (Seq, read flag,
received time in Unix milliseconds, size, attachment and inline counts), `tags` and
`message_tags`, and a text table with one lower-cased column per `TextField` (`TEXT_COLUMN`).
Everything but text terms (tags, flags, dates, sizes, mailboxes) compiles the same on both
(`compile_filter_term`); how a text term finds its substring is each store's own: FTS5
trigrams on SQLite, `pg_trgm` on PostgreSQL.

Conditions are written with `?` placeholders; `ConditionList.mark` turns them into the
driver's (`%s` for psycopg), so the SQL text never needs a literal `?` or `%`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mailsink.store.search import (
    Flag,
    FlagTerm,
    MailboxTerm,
    ReceivedTerm,
    SizeTerm,
    TagTerm,
    Term,
    TextField,
    TextTerm,
)

# The column of the text table that holds each field's text.
TEXT_COLUMN = {
    TextField.TEXT: "search_text",
    TextField.SUBJECT: "subject",
    TextField.MESSAGE_ID: "message_id",
    TextField.FROM: "from_text",
    TextField.TO: "to_text",
    TextField.CC: "cc_text",
    TextField.BCC: "bcc_text",
    TextField.REPLY_TO: "reply_to_text",
}

# The text table's columns, in insert order: the short fields first, then the body text, so
# that a scan of the short fields stops before a long body (SQLite's overflow pages).
TEXT_COLUMNS = (
    "subject",
    "message_id",
    "from_text",
    "to_text",
    "cc_text",
    "bcc_text",
    "reply_to_text",
    "search_text",
)

# (set, not set) for each flag. TRUE/FALSE: a boolean in PostgreSQL, 1/0 in SQLite (whose
# index on `read` serves both). The attachment and inline indexes hold only the messages with
# the flag, so "not set" (most messages) is a scan.
FLAG_CONDITIONS = {
    Flag.READ: ("m.read = TRUE", "m.read = FALSE"),
    Flag.TAGGED: (
        "m.seq IN (SELECT seq FROM message_tags)",
        "m.seq NOT IN (SELECT seq FROM message_tags)",
    ),
    Flag.ATTACHMENT: ("m.attachments > 0", "m.attachments = 0"),
    Flag.INLINE: ("m.inlines > 0", "m.inlines = 0"),
}

_TAG_LOOKUP = (
    "SELECT mt.seq FROM message_tags mt JOIN tags tg ON tg.tag_id = mt.tag_id"
    " WHERE tg.name_lower = ?"
)


@dataclass(slots=True)
class ConditionList:
    """The AND-ed conditions of a query being compiled, and their parameters in order."""

    mark: str = "?"  # the driver's placeholder
    conditions: list[str] = field(default_factory=list)
    params: list[object] = field(default_factory=list)

    def add(self, condition: str, *params: object) -> None:
        self.conditions.append(self.placeholders(condition))
        self.params.extend(params)

    def placeholders(self, sql: str) -> str:
        return sql if self.mark == "?" else sql.replace("?", self.mark)

    def joined(self, nothing: str) -> str:
        """The conditions AND-ed, or `nothing` (the dialect's "true") when there are none."""
        return " AND ".join(self.conditions) or nothing


def compile_filter_term(term: Term, built: ConditionList) -> None:
    """Add the condition of any term but a `TextTerm` (each store compiles those itself)."""
    match term:
        case TagTerm(name, negated):
            built.add(f"m.seq {'NOT IN' if negated else 'IN'} ({_TAG_LOOKUP})", name)
        case FlagTerm(flag, negated):
            built.add(FLAG_CONDITIONS[flag][negated])
        case ReceivedTerm(bound_ms, on_or_after):
            built.add(f"m.received_ms {'>=' if on_or_after else '<='} ?", bound_ms)
        case SizeTerm(bound, larger):
            built.add(f"m.size {'>' if larger else '<'} ?", bound)
        case MailboxTerm(name, negated):  # the mailbox index, which also orders by Seq
            built.add(f"m.mailbox {'!=' if negated else '='} ?", name)
        case TextTerm():
            raise AssertionError(f"a text term is the store's own to compile: {term!r}")
        case _:
            raise AssertionError(f"unknown search term {term!r}")
