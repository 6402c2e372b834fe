"""The spam score of a message from a SpamAssassin `spamd`, over its own protocol (SPAMC/1.5):
one REPORT request per check, answered with the score, the threshold and the rules that fired.

The message goes to spamd exactly as received. A spamd that is down, slow or answers nonsense
gives a result whose `error` says so (Mailpit's `Error` field), never an exception.
"""

from __future__ import annotations

import math
import re
import socket
from dataclasses import dataclass, field

from mailsink.config import HostPort

SPAMD_TIMEOUT_SECONDS = 30.0
MAX_REPLY_BYTES = 4 * 1024 * 1024
_STATUS = re.compile(rb"^SPAMD/\d+\.\d+ (\d+) (.*)$")
_SPAM = re.compile(r"^(True|False|Yes|No) ; (-?[\d.]+) / (-?[\d.]+)$", re.I)
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")


@dataclass(frozen=True, slots=True)
class SpamRule:
    name: str
    score: float
    description: str


@dataclass(frozen=True, slots=True)
class SpamResult:
    """spamd's verdict: `score` against `threshold` (5.0 by default), the `rules` that fired,
    and `error` (empty when spamd answered)."""

    is_spam: bool = False
    score: float = 0.0
    threshold: float = 0.0
    rules: list[SpamRule] = field(default_factory=list)
    error: str = ""


class SpamdError(Exception):
    pass


def check_spam(raw: bytes, spamd: HostPort, timeout: float = SPAMD_TIMEOUT_SECONDS) -> SpamResult:
    try:
        headers, body = _exchange(raw, spamd, timeout)
        return _parse_report(headers, body)
    except (OSError, SpamdError) as exc:
        return SpamResult(error=f"spamd at {spamd}: {exc}")


def _exchange(raw: bytes, spamd: HostPort, timeout: float) -> tuple[dict[str, str], str]:
    request = b"REPORT SPAMC/1.5\r\nContent-length: %d\r\n\r\n" % len(raw) + raw
    with socket.create_connection((spamd.host, spamd.port), timeout=timeout) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        reply = bytearray()
        while chunk := connection.recv(65536):
            reply += chunk
            if len(reply) > MAX_REPLY_BYTES:
                raise SpamdError(f"the reply is larger than {MAX_REPLY_BYTES} bytes")
    head, _, body = bytes(reply).partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = _STATUS.match(lines[0])
    if status is None:
        raise SpamdError(f"unexpected reply {lines[0][:80]!r}")
    if status.group(1) != b"0":
        raise SpamdError(status.group(2).decode("utf-8", "replace"))
    headers = {}
    for line in lines[1:]:
        name, _, value = line.decode("utf-8", "replace").partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers, body.decode("utf-8", "replace")


def _parse_report(headers: dict[str, str], report: str) -> SpamResult:
    verdict = _SPAM.match(headers.get("spam", ""))
    if verdict is None:
        raise SpamdError(f"no score in the reply (Spam: {headers.get('spam', '')!r})")
    rules: list[SpamRule] = []
    in_table = False
    for line in report.splitlines():
        if line.startswith("----"):
            in_table = True
            continue
        if not in_table or not line.strip():
            continue
        rule = _RULE.match(line)
        if rule is not None:
            rules.append(SpamRule(rule.group(2), _one_decimal(rule.group(1)), rule.group(3)))
        elif rules:  # a description continued on the next line
            last = rules[-1]
            rules[-1] = SpamRule(last.name, last.score, f"{last.description} {line.strip()}")
    return SpamResult(
        is_spam=verdict.group(1).lower() in ("true", "yes"),
        score=_one_decimal(verdict.group(2)),
        threshold=float(verdict.group(3)),
        rules=rules,
    )


def _one_decimal(text: str) -> float:
    """Scores to one decimal, rounded down, as Mailpit shows them."""
    return math.floor(float(text) * 10) / 10
