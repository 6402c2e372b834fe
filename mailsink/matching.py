"""The filters of `filter`, `wait_for` and `assert_sent`, and why a message did not match.

Strings match exactly (case-insensitively for addresses); compiled regular expressions match
by `search`; `where` is any predicate. `to` matches the envelope recipients, so a Bcc recipient
can be asserted; `mail_from` matches the envelope sender or the From header address.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, Union

if TYPE_CHECKING:
    from mailsink.message.captured import CapturedMessage

Pattern = Union[str, "re.Pattern[str]"]


def _matches(pattern: Pattern, value: str, *, fold_case: bool) -> bool:
    if isinstance(pattern, re.Pattern):
        return pattern.search(value) is not None
    return value.casefold() == pattern.casefold() if fold_case else value == pattern


def _show(pattern: Pattern) -> str:
    return f"/{pattern.pattern}/" if isinstance(pattern, re.Pattern) else repr(pattern)


class FilterArgs(TypedDict, total=False):
    """The filter keywords that `filter`, `wait_for` and `assert_sent` take (as `MessageFilter`)."""

    to: Pattern | None
    mail_from: Pattern | None
    subject: Pattern | None
    header: tuple[str, Pattern] | None
    where: Callable[[CapturedMessage], bool] | None


@dataclass(frozen=True, slots=True)
class MessageFilter:
    to: Pattern | None = None
    mail_from: Pattern | None = None
    subject: Pattern | None = None
    header: tuple[str, Pattern] | None = None
    where: Callable[[CapturedMessage], bool] | None = None

    def mismatches(self, message: CapturedMessage) -> list[str]:
        """Why `message` does not match: one short reason per failed criterion."""
        reasons = []
        if self.to is not None:
            rcpts = message.envelope.rcpt_tos
            if not any(_matches(self.to, r, fold_case=True) for r in rcpts):
                reasons.append(f"to {_show(self.to)} not among recipients {rcpts}")
        if self.mail_from is not None:
            senders = {message.envelope.mail_from, message.from_}
            if not any(_matches(self.mail_from, s, fold_case=True) for s in senders):
                reasons.append(
                    f"mail_from {_show(self.mail_from)} ≠ {message.envelope.mail_from!r}"
                )
        if self.subject is not None and not _matches(
            self.subject, message.subject, fold_case=False
        ):
            reasons.append(f"subject {_show(self.subject)} ≠ {message.subject!r}")
        if self.header is not None:
            name, pattern = self.header
            values = message.headers.get_all(name)
            if not any(_matches(pattern, v, fold_case=False) for v in values):
                reasons.append(f"header {name}: {_show(pattern)} not in {values}")
        if self.where is not None and not self.where(message):
            reasons.append(f"where={getattr(self.where, '__name__', 'predicate')} is false")
        return reasons

    def matches(self, message: CapturedMessage) -> bool:
        return not self.mismatches(message)

    def describe(self) -> str:
        parts = [
            f"{name}={_show(value)}"
            for name, value in (
                ("to", self.to),
                ("mail_from", self.mail_from),
                ("subject", self.subject),
            )
            if value is not None
        ]
        if self.header is not None:
            parts.append(f"header=({self.header[0]!r}, {_show(self.header[1])})")
        if self.where is not None:
            parts.append(f"where={getattr(self.where, '__name__', 'predicate')}")
        return ", ".join(parts) or "any message"


def explain_arrivals(flt: MessageFilter, arrived: Iterable[CapturedMessage]) -> str:
    """A readable list of what did arrive and why each did not match, for timeout errors."""
    lines = []
    for n, message in enumerate(arrived, 1):
        when = message.envelope.received.astimezone().strftime("%H:%M:%S.%f")[:-3]
        lines.append(
            f"  {n}. {when} from {message.envelope.mail_from or '<>'} to "
            f"{', '.join(message.envelope.rcpt_tos)}: {message.subject!r}"
        )
        lines.extend(f"       - {reason}" for reason in flt.mismatches(message))
    return "\n".join(lines) if lines else "  (no mail arrived)"
