"""A deliverability summary: the header facts that mailbox providers weigh before content —
a working unsubscribe (RFC 2369 `List-Unsubscribe`, RFC 8058 one-click), a Date and a
Message-ID — plus the standards warnings the message already carries, in one score out of 100.

Each finding costs points by how likely it is to hurt delivery; the score never goes below 0.
Bulk senders must offer one-click unsubscribe at the large providers, but a password reset
needs none, so a missing List-Unsubscribe is only a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mailsink.message.headers import HeaderMap
from mailsink.message.list_unsubscribe import parse_list_unsubscribe

ONE_CLICK_VALUE = "List-Unsubscribe=One-Click"
PENALTIES = {"error": 20, "warning": 10, "notice": 0}


@dataclass(frozen=True, slots=True)
class Finding:
    """`code` is stable for tests to assert on (e.g. "missing-date"); `severity` is error,
    warning or notice; `text` says what is wrong and how to fix it."""

    code: str
    severity: str
    text: str

    @property
    def penalty(self) -> int:
        return PENALTIES[self.severity]


@dataclass(frozen=True, slots=True)
class Deliverability:
    score: int
    findings: list[Finding] = field(default_factory=list)
    unsubscribe_links: list[str] = field(default_factory=list)
    one_click: bool = False

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


def check_deliverability(headers: HeaderMap, warnings: list[str]) -> Deliverability:
    findings = _unsubscribe_findings(headers)
    if not headers.get("Date"):
        findings.append(
            Finding("missing-date", "error", "no Date header: many providers reject or junk it")
        )
    if not headers.get("Message-ID"):
        findings.append(
            Finding(
                "missing-message-id",
                "error",
                "no Message-ID header: Gmail rejects such mail; let your mail library add one",
            )
        )
    covered = ("missing Date", "missing Message-ID")
    findings += [
        Finding("standards-warning", "warning", text)
        for text in warnings
        if not text.startswith(covered)
    ]
    unsubscribe = parse_list_unsubscribe(headers)
    score = max(0, 100 - sum(f.penalty for f in findings))
    return Deliverability(
        score, findings, list(unsubscribe.links), _one_click_ok(headers, unsubscribe.links)
    )


def _one_click_ok(headers: HeaderMap, links: list[str]) -> bool:
    post = (headers.get("List-Unsubscribe-Post") or "").strip()
    return post == ONE_CLICK_VALUE and any(link.lower().startswith("https://") for link in links)


def _unsubscribe_findings(headers: HeaderMap) -> list[Finding]:
    unsubscribe = parse_list_unsubscribe(headers)
    post = headers.get("List-Unsubscribe-Post")
    if not unsubscribe.header:
        findings = [
            Finding(
                "no-list-unsubscribe",
                "notice",
                "no List-Unsubscribe header: bulk and marketing mail needs one (RFC 2369)",
            )
        ]
        if post is not None:
            findings.append(
                Finding(
                    "post-without-list-unsubscribe",
                    "error",
                    "List-Unsubscribe-Post without List-Unsubscribe does nothing (RFC 8058)",
                )
            )
        return findings
    findings = []
    if unsubscribe.errors:
        findings.append(Finding("list-unsubscribe-invalid", "error", unsubscribe.errors))
    https = [link for link in unsubscribe.links if link.lower().startswith("https://")]
    if post is None:
        findings.append(
            Finding(
                "no-one-click",
                "warning",
                f"no List-Unsubscribe-Post: {ONE_CLICK_VALUE}; Gmail and Yahoo require "
                "one-click unsubscribe from bulk senders (RFC 8058)",
            )
        )
    elif post.strip() != ONE_CLICK_VALUE:
        findings.append(
            Finding(
                "one-click-invalid",
                "error",
                f"List-Unsubscribe-Post must be exactly {ONE_CLICK_VALUE!r}, got {post!r}",
            )
        )
    if post is not None and not https:
        findings.append(
            Finding(
                "one-click-without-https",
                "error",
                "one-click unsubscribe needs an https:// link in List-Unsubscribe (RFC 8058)",
            )
        )
    return findings
