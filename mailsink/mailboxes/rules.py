"""The `--mailbox-rules` file: ordered rules that file mail into mailboxes, and per-mailbox
retention. Read once at start; a mistake stops the program with the rule and line at fault.

    default = "default"            # where mail that no rule matches goes (this is the default)

    [[rule]]                       # rules are tried in order; the first that matches wins
    rcpt = "*@team-a.test"         # envelope recipient, exact or glob (* and ?)
    mailbox = "team-a"

    [[rule]]
    auth_user = "*"                # every AUTH user gets their own mailbox
    mailbox = "{user}"

    [[rule]]
    rcpt_regex = '^[^+@]+\\+([^@+]+)@'   # every +tag its own mailbox: {1} is the first capture
    mailbox = "tag-{1}"

    [mailbox.team-a]               # retention for one mailbox (besides --max/--max-age)
    max = 500
    max_age = "7d"

A rule's keys (all it names must match; patterns ignore case; globs match the whole text,
regexes anywhere): `rcpt`/`rcpt_regex` (each envelope recipient), `mail_from`/`mail_from_regex`
(MAIL FROM), `rcpt_domain`, `sender_domain`, `domain` (either), `auth_user`/`auth_user_regex`,
`listener` (`smtp`, `smtps`, `HOST:PORT` or `:PORT` of the listener the mail came in on),
`header` with `value` (glob) or `regex` on that header's decoded value (neither: any value).
Captures: `{1}`, `{2}`… are the groups of the rule's patterns in the order they are written
(each glob `*` or `?` is a group), `{name}` a regex's named group, `{user}` the AUTH user.
Recipients are routed one by one, so a message to two teams is filed in both mailboxes.
"""

from __future__ import annotations

import enum
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailsink.config import parse_duration
from mailsink.mailboxes.names import DEFAULT_MAILBOX, check_mailbox_name

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_RULE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*\"?rule\"?[ \t]*\]\]", re.MULTILINE)


class MailboxRulesError(ValueError):
    """The rules file cannot be used; the text names the file, the rule and its line."""


class Looks(enum.Enum):
    """What a rule condition looks at."""

    RCPT = "rcpt"
    MAIL_FROM = "mail_from"
    RCPT_DOMAIN = "rcpt_domain"
    SENDER_DOMAIN = "sender_domain"
    DOMAIN = "domain"  # the recipient's or the sender's
    AUTH_USER = "auth_user"
    LISTENER = "listener"
    HEADER = "header"


# Keys that take a glob, and keys that take a regex, with what they look at.
_GLOB_KEYS = {looks.value: looks for looks in Looks if looks is not Looks.HEADER}
_REGEX_KEYS = {
    "rcpt_regex": Looks.RCPT,
    "mail_from_regex": Looks.MAIL_FROM,
    "auth_user_regex": Looks.AUTH_USER,
}
RECIPIENT_LOOKS = frozenset({Looks.RCPT, Looks.RCPT_DOMAIN, Looks.DOMAIN})
_MAILBOX_KEYS = {"max", "max_age"}


@dataclass(frozen=True, slots=True)
class Condition:
    looks: Looks
    pattern: re.Pattern[str]
    header: str = ""  # the header's name, for Looks.HEADER


@dataclass(frozen=True, slots=True)
class Rule:
    number: int  # 1-based position in the file, for messages
    conditions: tuple[Condition, ...]
    mailbox: str  # a name, or a template with {1}, {name}, {user}

    @property
    def per_recipient(self) -> bool:
        """Whether the rule can answer differently for each recipient of one message."""
        return any(c.looks in RECIPIENT_LOOKS for c in self.conditions)


@dataclass(frozen=True, slots=True)
class MailboxLimits:
    """Retention for one mailbox; 0 = no limit."""

    max_messages: int = 0
    max_age_seconds: float = 0


@dataclass(frozen=True, slots=True)
class MailboxRules:
    rules: tuple[Rule, ...] = ()
    default: str = DEFAULT_MAILBOX
    limits: dict[str, MailboxLimits] = field(default_factory=dict)

    def named_mailboxes(self) -> list[str]:
        """Mailboxes the file names outright (listed even while empty)."""
        names = [self.default, *(r.mailbox for r in self.rules), *self.limits]
        return list(dict.fromkeys(n for n in names if not _PLACEHOLDER.search(n)))


def glob_pattern(glob: str) -> re.Pattern[str]:
    """A glob (`*` any text, `?` one character) as a case-insensitive regex anchored at both
    ends, with one group per wildcard: `*+*@x.test` captures what each `*` stood for."""
    parts = ["(.*)" if char == "*" else "(.)" if char == "?" else re.escape(char) for char in glob]
    return re.compile(r"\A" + "".join(parts) + r"\Z", re.IGNORECASE | re.DOTALL)


def load_mailbox_rules(path: Path) -> MailboxRules:
    """Read and check a rules file; raises `MailboxRulesError` naming what is wrong and where."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise MailboxRulesError(f"cannot read mailbox rules {path}: {error}") from None
    return parse_mailbox_rules(text, str(path))


def parse_mailbox_rules(text: str, source: str = "mailbox rules") -> MailboxRules:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MailboxRulesError(f"{source}: not valid TOML: {error}") from None
    unknown = sorted(set(document) - {"default", "rule", "mailbox"})
    if unknown:
        raise MailboxRulesError(
            f"{source}: unknown top-level key {unknown[0]!r}; expected default, [[rule]] or"
            " [mailbox.NAME]"
        )
    try:
        default = check_mailbox_name(_string(document.get("default", DEFAULT_MAILBOX), "default"))
    except ValueError as error:
        raise MailboxRulesError(f"{source}: default: {error}") from None
    tables = document.get("rule", [])
    if not isinstance(tables, list):
        raise MailboxRulesError(f"{source}: rules are written [[rule]] tables")
    lines = [text.count("\n", 0, found.start()) + 1 for found in _RULE_HEADER.finditer(text)]
    rules = []
    for index, table in enumerate(tables):
        where = f"rule {index + 1}"
        if len(lines) == len(tables):
            where += f" (line {lines[index]})"
        try:
            rules.append(_rule(index + 1, table))
        except ValueError as error:
            raise MailboxRulesError(f"{source}: {where}: {error}") from None
    limits = {}
    mailboxes = document.get("mailbox", {})
    for name, table in mailboxes.items() if isinstance(mailboxes, dict) else ():
        try:
            limits[check_mailbox_name(name)] = _limits(table)
        except ValueError as error:
            raise MailboxRulesError(f"{source}: [mailbox.{name}]: {error}") from None
    return MailboxRules(tuple(rules), default, limits)


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, got {value!r}")
    return value


def _rule(number: int, table: Any) -> Rule:
    if not isinstance(table, dict):
        raise ValueError("expected a table of conditions and a mailbox")
    conditions: list[Condition] = []
    header = table.get("header")
    for key, value in table.items():
        if key in _GLOB_KEYS:
            conditions.append(Condition(_GLOB_KEYS[key], glob_pattern(_string(value, key))))
        elif key in _REGEX_KEYS:
            conditions.append(Condition(_REGEX_KEYS[key], _regex(key, value)))
        elif key == "header":
            name = _string(value, key).strip()
            if not name or ":" in name:
                raise ValueError(f"header: expected a header name such as X-Mailbox, got {value!r}")
            if "value" in table and "regex" in table:
                raise ValueError("header: give value (a glob) or regex, not both")
            if "regex" in table:
                pattern = _regex("regex", table["regex"])
            else:
                pattern = glob_pattern(_string(table.get("value", "*"), "value"))
            conditions.append(Condition(Looks.HEADER, pattern, name))
        elif key in ("value", "regex"):
            if header is None:
                raise ValueError(f"{key} needs a header = NAME in the same rule")
        elif key != "mailbox":
            known = sorted([*_GLOB_KEYS, *_REGEX_KEYS, "header", "value", "regex", "mailbox"])
            raise ValueError(f"unknown key {key!r}; expected one of {', '.join(known)}")
    if not conditions:
        raise ValueError("a rule needs at least one condition (rcpt, domain, header, …)")
    if "mailbox" not in table:
        raise ValueError("a rule needs mailbox = NAME")
    mailbox = _string(table["mailbox"], "mailbox")
    _check_template(mailbox, conditions)
    return Rule(number, tuple(conditions), mailbox)


def _regex(key: str, value: Any) -> re.Pattern[str]:
    try:
        return re.compile(_string(value, key), re.IGNORECASE)
    except re.error as error:
        raise ValueError(f"{key}: not a valid regular expression: {error}") from None


def _check_template(template: str, conditions: list[Condition]) -> None:
    """A mailbox template may name only captures the rule has, around valid literal text."""
    groups = sum(c.pattern.groups for c in conditions)
    named = {name for c in conditions for name in c.pattern.groupindex}
    for found in _PLACEHOLDER.finditer(template):
        name = found[1]
        numbered = name.isascii() and name.isdigit() and 1 <= int(name) <= groups
        if name == "user" or name in named or numbered:
            continue
        captures = f"{{1}} to {{{groups}}}" if groups else "no numbered captures"
        raise ValueError(
            f"mailbox {template!r}: unknown capture {found[0]}; this rule has {captures},"
            f" {', '.join('{' + n + '}' for n in sorted(named)) or 'no named groups'} and {{user}}"
        )
    literal = _PLACEHOLDER.sub("x", template)
    try:
        check_mailbox_name(literal)
    except ValueError:
        raise ValueError(
            f"mailbox {template!r}: a mailbox name is 1 to 64 letters, digits, '.', '_' or '-'"
            " (captures included)"
        ) from None


def _limits(table: Any) -> MailboxLimits:
    if not isinstance(table, dict):
        raise ValueError("expected a table with max and/or max_age")
    unknown = sorted(set(table) - _MAILBOX_KEYS)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; expected max or max_age")
    max_messages = table.get("max", 0)
    if not isinstance(max_messages, int) or isinstance(max_messages, bool) or max_messages < 0:
        raise ValueError(f"max: expected a count of 0 or more, got {max_messages!r}")
    age = table.get("max_age", 0)
    if isinstance(age, bool) or not isinstance(age, int | float | str):
        raise ValueError(f"max_age: expected a duration such as 7d or 12h, got {age!r}")
    return MailboxLimits(max_messages, parse_duration(str(age)))


def render_mailbox(template: str, captures: dict[str, str]) -> str:
    """The template with its captures filled in (unknown ones are empty)."""
    return _PLACEHOLDER.sub(lambda found: captures.get(found[1], ""), template)
