"""SMTP reply texts: ESMTP parameters of MAIL and RCPT, and enhanced status codes.

Once ENHANCEDSTATUSCODES is advertised, RFC 2034 wants an enhanced code on every reply but the
greeting, EHLO/HELO and intermediate (3xx) replies. mailsink's own replies carry one; the replies
aiosmtpd composes itself ("503 Error: send HELO first") get the usual code for their basic code.
"""

from __future__ import annotations

import re

# The default enhanced code for a basic reply code (RFC 3463).
_DEFAULT_ENHANCED = {
    "221": "2.0.0",
    "250": "2.0.0",
    "252": "2.0.0",
    "421": "4.7.0",
    "451": "4.3.0",
    "454": "4.7.0",
    "500": "5.5.2",
    "501": "5.5.4",
    "502": "5.5.1",
    "503": "5.5.1",
    "504": "5.5.4",
    "530": "5.7.0",
    "535": "5.7.8",
    "550": "5.0.0",
    "552": "5.3.4",
    "553": "5.1.3",
    "554": "5.0.0",
}
_HAS_ENHANCED = re.compile(r"\d{3}[ -][245]\.\d{1,3}\.\d{1,3}(?: |$)")
_KEYWORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


class ParameterError(ValueError):
    """A MAIL/RCPT parameter that is not `KEYWORD[=VALUE]`."""


def with_enhanced_code(reply: str) -> str:
    """`reply` with an enhanced status code after its basic code, unless it has one or needs none.

    >>> with_enhanced_code("503 Error: send HELO first")
    '503 5.5.1 Error: send HELO first'
    """
    enhanced = _DEFAULT_ENHANCED.get(reply[:3])
    if enhanced is None or _HAS_ENHANCED.match(reply):
        return reply
    code = reply[:3]
    return f"{code} {enhanced} {reply[4:]}" if len(reply) > 4 else f"{code} {enhanced}"


def parse_parameters(text: str) -> dict[str, str]:
    """ESMTP parameters as sent after the address: keys upper-cased, values kept as sent, ""
    for a parameter without a value (`SMTPUTF8`). Every keyword is accepted, known or not.

    >>> parse_parameters("SIZE=1024 NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@example.com SMTPUTF8")
    {'SIZE': '1024', 'NOTIFY': 'SUCCESS,FAILURE', 'ORCPT': 'rfc822;Bob@example.com', 'SMTPUTF8': ''}
    """
    params: dict[str, str] = {}
    for item in text.split():
        keyword, equals, value = item.partition("=")
        if not _KEYWORD.fullmatch(keyword) or (equals and not value):
            raise ParameterError(f"malformed parameter {item!r}, expected KEYWORD[=VALUE]")
        params[keyword.upper()] = value
    return params
