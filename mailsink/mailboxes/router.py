"""`MailboxRouter.route`: the mailboxes one received message is filed in.

With a rules file, each envelope recipient is routed through the rules (first match wins,
else the file's default mailbox), so a message to two teams lands in both of their mailboxes.
Without one, the client may choose: an `X-Mailsink-Mailbox: NAME` header, else AUTH as
`mailbox:NAME` (any password); `client_choice=False` (`--mailbox-from-client false`) turns
that off. A chosen or captured name that is not a valid mailbox name files the message in the
default mailbox and logs a warning: the message is never lost over its mailbox.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mailsink.mailboxes.names import DEFAULT_MAILBOX, is_mailbox_name
from mailsink.mailboxes.rules import (
    Condition,
    Looks,
    MailboxRules,
    Rule,
    load_mailbox_rules,
    render_mailbox,
)
from mailsink.message.envelope import Envelope
from mailsink.message.headers import HeaderMap
from mailsink.message.spool import MessageBytes

if TYPE_CHECKING:
    from mailsink.config import Config
    from mailsink.context import ListenAddress

log = logging.getLogger(__name__)

MAILBOX_HEADER = "X-Mailsink-Mailbox"
AUTH_PREFIX = "mailbox:"
# Most messages carry no mailbox header: this finds out without parsing the header block.
_MAILBOX_HEADER_LINE = re.compile(rb"(?:\A|\n)X-Mailsink-Mailbox[ \t]*:", re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\n\r?\n")


class MailboxRouter:
    def __init__(self, rules: MailboxRules | None = None, *, client_choice: bool = True) -> None:
        self.rules = rules
        self.client_choice = client_choice and rules is None
        self._per_recipient = rules is not None and any(r.per_recipient for r in rules.rules)

    @classmethod
    def from_config(cls, config: Config) -> MailboxRouter:
        """The router of `--mailbox-rules` and `--mailbox-from-client`; `MailboxRulesError`
        for a rules file that cannot be used."""
        path = config.mailbox_rules
        rules = None if path is None else load_mailbox_rules(path)
        return cls(rules, client_choice=config.mailbox_from_client)

    @property
    def default(self) -> str:
        return self.rules.default if self.rules is not None else DEFAULT_MAILBOX

    def route(
        self, envelope: Envelope, raw: MessageBytes, listener: ListenAddress | None = None
    ) -> tuple[str, ...]:
        """The mailboxes to file this message in: one or more names, no repeats."""
        if self.rules is not None:
            facts = _Facts(envelope, raw, listener)
            recipients: list[str | None] = list(envelope.rcpt_tos) if self._per_recipient else []
            routed = [self._first_match(self.rules, facts, rcpt) for rcpt in recipients or [None]]
            return tuple(dict.fromkeys(routed))
        if self.client_choice:
            return (self._client_choice(envelope, raw),)
        return (DEFAULT_MAILBOX,)

    def _first_match(self, rules: MailboxRules, facts: _Facts, rcpt: str | None) -> str:
        for rule in rules.rules:
            captures = _rule_captures(rule, facts, rcpt)
            if captures is not None:
                return self._checked(render_mailbox(rule.mailbox, captures), f"rule {rule.number}")
        return rules.default

    def _client_choice(self, envelope: Envelope, raw: MessageBytes) -> str:
        if _MAILBOX_HEADER_LINE.search(raw, 0, _header_block_end(raw)):
            chosen = HeaderMap.from_bytes(raw).get(MAILBOX_HEADER)
            if chosen is not None:
                return self._checked(chosen.strip(), f"the {MAILBOX_HEADER} header")
        user = envelope.auth_user or ""
        if user.lower().startswith(AUTH_PREFIX):
            return self._checked(user[len(AUTH_PREFIX) :], f"the AUTH user {user!r}")
        return DEFAULT_MAILBOX

    def _checked(self, name: str, chosen_by: str) -> str:
        if is_mailbox_name(name):
            return name
        log.warning(
            "%s names the mailbox %r, which is not 1 to 64 letters, digits, '.', '_' or '-':"
            " filed in %r instead",
            chosen_by,
            name,
            self.default,
        )
        return self.default


class _Facts:
    """What rules look at in one message; the header block is parsed only if a rule asks."""

    def __init__(
        self, envelope: Envelope, raw: MessageBytes, listener: ListenAddress | None
    ) -> None:
        self.envelope = envelope
        self.listener = listener
        self._raw = raw
        self._headers: HeaderMap | None = None

    @property
    def headers(self) -> HeaderMap:
        if self._headers is None:
            self._headers = HeaderMap.from_bytes(self._raw)
        return self._headers

    def candidates(self, condition: Condition, rcpt: str | None) -> Iterator[str]:
        """The texts `condition` is tried on (it matches if it matches any of them)."""
        envelope = self.envelope
        match condition.looks:
            case Looks.RCPT:
                yield from () if rcpt is None else (rcpt,)
            case Looks.MAIL_FROM:
                yield envelope.mail_from
            case Looks.RCPT_DOMAIN:
                yield from () if rcpt is None else (_domain(rcpt),)
            case Looks.SENDER_DOMAIN:
                yield _domain(envelope.mail_from)
            case Looks.DOMAIN:
                yield from () if rcpt is None else (_domain(rcpt),)
                yield _domain(envelope.mail_from)
            case Looks.AUTH_USER:
                yield from () if envelope.auth_user is None else (envelope.auth_user,)
            case Looks.LISTENER:
                if self.listener is not None:
                    host = self.listener.host
                    port = self.listener.port
                    yield self.listener.kind.lower()
                    yield f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
                    yield f":{port}"
            case Looks.HEADER:
                yield from self.headers.get_all(condition.header)


def _rule_captures(rule: Rule, facts: _Facts, rcpt: str | None) -> dict[str, str] | None:
    """The captures by name (`1`, `2`…, named groups, `user`) if every condition matches."""
    numbered: list[str] = []
    captures = {"user": facts.envelope.auth_user or ""}
    for condition in rule.conditions:
        for text in facts.candidates(condition, rcpt):
            found = condition.pattern.search(text)
            if found is not None:
                numbered += [group or "" for group in found.groups()]
                captures.update({k: v or "" for k, v in found.groupdict().items()})
                break
        else:
            return None
    captures.update({str(number): text for number, text in enumerate(numbered, 1)})
    return captures


def _header_block_end(raw: MessageBytes) -> int:
    """Where the first empty line is (the end of `raw` when there is none). One search that
    stops there: looking for each line-break shape on its own read a CRLF message's whole body
    for the `LF LF` it never has, on the SMTP path of every message."""
    found = _BLANK_LINE.search(raw)
    return len(raw) if found is None else found.start()


def _domain(address: str) -> str:
    return address.rpartition("@")[2] if "@" in address else ""
