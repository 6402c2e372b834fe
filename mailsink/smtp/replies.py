"""SMTP reply texts: enhanced status codes.

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
