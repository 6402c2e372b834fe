"""What MAIL FROM and RCPT TO arguments are refused, the way Postfix refuses them.

An app whose envelope a production MTA would refuse must not pass against the sink, so the
argument after `FROM:`/`TO:` is held to RFC 5321 §4.1.2 and the ESMTP parameters to the RFCs that
define them (1652 BODY, 1870 SIZE, 3461 DSN, 4954 AUTH, 6531 SMTPUTF8):

- a bad path (control characters such as NUL or a bare CR, a `<` without its `>`, text glued to
  the `>`, a `<` or `>` inside an unbracketed path) is `501 5.1.7` for a sender and `501 5.1.3`
  for a recipient, as Postfix answers;
- a parameter that is not `KEYWORD[=VALUE]`, a known parameter with a bad value, or one given
  twice is `501 5.5.4`;
- a parameter this command does not define (`FOO=BAR`, or DSN's `NOTIFY` on MAIL) is
  `555 5.5.4` (RFC 5321 §4.1.1.11);
- a non-ASCII address in a transaction whose MAIL did not declare `SMTPUTF8` is
  `553 5.6.7` (RFC 6531 §3.4), Postfix's text word for word.

Exceptions: `EnvelopeSyntaxError` (a `ValueError`) carries the whole reply in `reply`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_KEYWORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
# RFC 3461 xtext: printable ASCII but "+" and "=", which are written "+HH".
_XTEXT = re.compile(r"(?:[!-*,-<>-~]|\+[0-9A-Fa-f]{2})+")
# RFC 6533's utf-8-addr-xtext for ORCPT=utf-8;...: xtext plus any non-ASCII character.
_UTF8_XTEXT = re.compile(r"(?:[!-*,-<>-~\x80-\U0010ffff]|\+[0-9A-Fa-f]{2})+")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_NOTIFY_EVENTS = frozenset({"SUCCESS", "FAILURE", "DELAY"})


class EnvelopeSyntaxError(ValueError):
    """A MAIL or RCPT argument that is refused; `reply` is the SMTP reply to send."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass(frozen=True, slots=True)
class PathKind:
    """Who the path names, for the reply text and its enhanced code."""

    role: str  # "sender" or "recipient"
    enhanced: str  # 5.1.7 bad sender mailbox syntax, 5.1.3 bad destination mailbox syntax


SENDER = PathKind("sender", "5.1.7")
RECIPIENT = PathKind("recipient", "5.1.3")


def shown(text: str) -> str:
    """`text` quoted for a reply line: control and non-ASCII characters escaped, so nothing a
    client sent can end or garble the reply."""
    return ascii(text)


def bad_path(kind: PathKind, reason: str) -> EnvelopeSyntaxError:
    return EnvelopeSyntaxError(f"501 {kind.enhanced} Bad {kind.role} address syntax: {reason}")


UNDECLARED_UNICODE = "553 5.6.7 Must declare SMTPUTF8 to send unicode address"


def unicode_refusal(address: str, smtputf8: bool) -> str | None:
    """The reply refusing `address`, or None: an address that is not ASCII may only be sent
    in a transaction whose MAIL declared SMTPUTF8, since an MTA without it cannot deliver it.

    Checked after the parameters, so that MAIL's own `SMTPUTF8` counts for its sender.

    >>> unicode_refusal("jörg@example.com", smtputf8=False)
    '553 5.6.7 Must declare SMTPUTF8 to send unicode address'
    >>> unicode_refusal("jörg@example.com", smtputf8=True) is None
    True
    """
    return None if smtputf8 or address.isascii() else UNDECLARED_UNICODE


def check_path(text: str, kind: PathKind) -> None:
    """Refuse the path at the start of `text` (a MAIL/RCPT argument) if no MTA would take it.

    Only what the address parser lets through is checked here: it forgives a missing `>`,
    swallows control characters and ignores text glued to the `>`.

    >>> check_path("<a@example.com> SIZE=10", SENDER)
    >>> check_path("<a@example.com", SENDER)
    Traceback (most recent call last):
    ...
    mailsink.smtp.envelope_syntax.EnvelopeSyntaxError: 501 5.1.7 Bad sender address syntax: ...
    """
    if text.startswith("<"):
        end = _closing_bracket(text)
        if end < 0:
            raise bad_path(kind, f"no closing '>' in {shown(text)}")
        after = text[end : end + 1]
        if after and not after.isspace() and after != "(":
            raise bad_path(kind, f"text after the closing '>' in {shown(text)}")
        path = text[:end]
    else:
        path = text.split(None, 1)[0]
        if "<" in path or ">" in path:
            raise bad_path(kind, f"unbalanced angle brackets in {shown(path)}")
    if _CONTROL.search(path):
        raise bad_path(kind, f"control character in {shown(path)}")


def _closing_bracket(text: str) -> int:
    """The index just past the `>` that closes the path opened at `text[0]`, or -1."""
    quoted = escaped = False
    for index in range(1, len(text)):
        char = text[index]
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ">" and not quoted:
            return index + 1
    return -1


# A parameter's check: given its value (None when sent without "="), what is wrong, or None.
ValueCheck = Callable[[str | None], str | None]


def _number(value: str | None) -> str | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 20:
        return "expected a number of bytes"
    return None


def _one_of(*choices: str) -> ValueCheck:
    def check(value: str | None) -> str | None:
        if value is None or value.upper() not in choices:
            return f"expected {' or '.join(choices)}"
        return None

    return check


def _no_value(value: str | None) -> str | None:
    return None if value is None else "takes no value"


def _xtext(limit: int) -> ValueCheck:
    def check(value: str | None) -> str | None:
        if value is None or len(value) > limit or not _XTEXT.fullmatch(value):
            return f"expected xtext of at most {limit} characters"
        return None

    return check


def _auth_mailbox(value: str | None) -> str | None:
    if value == "<>" or (value is not None and len(value) <= 500 and _XTEXT.fullmatch(value)):
        return None
    return "expected <> or an xtext mailbox"


def _notify(value: str | None) -> str | None:
    events = (value or "").upper().split(",")
    if events == ["NEVER"]:
        return None
    if not set(events) <= _NOTIFY_EVENTS or len(set(events)) != len(events):
        return "expected NEVER or a list of SUCCESS, FAILURE, DELAY"
    return None


def _original_recipient(value: str | None) -> str | None:
    address_type, semicolon, address = (value or "").partition(";")
    pattern = _UTF8_XTEXT if address_type.lower() == "utf-8" else _XTEXT
    if not semicolon or not _ATOM.fullmatch(address_type) or len(value or "") > 500:
        return "expected addr-type;address, such as rfc822;bob@example.com"
    if not pattern.fullmatch(address):
        return "expected an xtext address after the ';'"
    return None


MAIL_PARAMETERS: Mapping[str, ValueCheck] = {
    "SIZE": _number,
    "BODY": _one_of("7BIT", "8BITMIME"),
    "SMTPUTF8": _no_value,
    "RET": _one_of("FULL", "HDRS"),
    "ENVID": _xtext(100),
    "AUTH": _auth_mailbox,
}
RCPT_PARAMETERS: Mapping[str, ValueCheck] = {
    "NOTIFY": _notify,
    "ORCPT": _original_recipient,
}


def parse_parameters(text: str, known: Mapping[str, ValueCheck]) -> dict[str, str]:
    """ESMTP parameters as sent after the address: keys upper-cased, values kept as sent, ""
    for a parameter without a value (`SMTPUTF8`); raises `EnvelopeSyntaxError` for the first
    one refused.

    >>> parse_parameters("SIZE=1024 BODY=8BITMIME SMTPUTF8", MAIL_PARAMETERS)
    {'SIZE': '1024', 'BODY': '8BITMIME', 'SMTPUTF8': ''}
    """
    params: dict[str, str] = {}
    for item in text.split():
        keyword, equals, value = item.partition("=")
        if not _KEYWORD.fullmatch(keyword) or (equals and not value):
            raise EnvelopeSyntaxError(
                f"501 5.5.4 Syntax error: malformed parameter {shown(item)}, "
                "expected KEYWORD[=VALUE]"
            )
        name = keyword.upper()
        check = known.get(name)
        if check is None:
            raise EnvelopeSyntaxError(f"555 5.5.4 Unsupported option: {shown(item)}")
        if name in params:
            raise EnvelopeSyntaxError(f"501 5.5.4 Bad {name} parameter: given twice")
        if problem := check(value if equals else None):
            raise EnvelopeSyntaxError(f"501 5.5.4 Bad {name} parameter {shown(item)}: {problem}")
        params[name] = value
    return params
