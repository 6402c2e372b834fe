"""SPF (RFC 7208): may this client address send mail for the envelope sender's domain?

A small evaluator over `CheckResolver`, so that `--dns-override` records are used as readily as
real ones. It follows the RFC's mechanisms (all, include, a, mx, ptr, ip4, ip6, exists), the
`redirect` modifier, the common macros (%{s} %{l} %{o} %{d} %{i} %{h}) and the limits of 10
DNS-querying terms and 2 void lookups. `ptr` (discouraged by the RFC) never matches.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from mailsink.checks.resolver import CheckResolver, DnsFailure

MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2
_QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_MACRO = re.compile(r"%\{([slodih])(\d*)(r?)([.\-+,/_=]*)\}|%%|%_|%-")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class SpfResult:
    """`result` is one of pass, fail, softfail, neutral, none, temperror, permerror."""

    result: str
    domain: str
    reason: str


class _PermError(Exception):
    pass


class _SpfEvaluation:
    def __init__(self, resolver: CheckResolver, ip: IpAddress, sender: str, helo: str) -> None:
        self.resolver = resolver
        self.ip = ip
        self.sender = sender
        self.helo = helo
        self.dns_terms = 0
        self.void_lookups = 0

    def count_dns_term(self) -> None:
        self.dns_terms += 1
        if self.dns_terms > MAX_DNS_TERMS:
            raise _PermError(f"more than {MAX_DNS_TERMS} DNS-querying terms")

    def lookup(self, name: str, kind: str) -> list[str]:
        values = self.resolver.lookup(name, kind)
        if not values:
            self.void_lookups += 1
            if self.void_lookups > MAX_VOID_LOOKUPS:
                raise _PermError(f"more than {MAX_VOID_LOOKUPS} lookups found nothing")
        return values

    def record(self, domain: str) -> str | None:
        found = [
            t
            for t in self.resolver.txt(domain)
            if t.lower() == "v=spf1" or t.lower().startswith("v=spf1 ")
        ]
        if len(found) > 1:
            raise _PermError(f"{domain} has {len(found)} SPF records")
        return found[0] if found else None

    def expand(self, spec: str, domain: str) -> str:
        local, _, sender_domain = self.sender.rpartition("@")
        values = {
            "s": self.sender,
            "l": local or "postmaster",
            "o": sender_domain,
            "d": domain,
            "i": self._dotted_ip(),
            "h": self.helo,
        }

        def one(found: re.Match[str]) -> str:
            text = found.group(0)
            if text in ("%%", "%_", "%-"):
                return {"%%": "%", "%_": " ", "%-": "%20"}[text]
            letter, digits, reverse, delimiters = found.groups()
            parts = re.split("[" + re.escape(delimiters or ".") + "]", values[letter])
            if reverse:
                parts.reverse()
            if digits:
                parts = parts[-int(digits) :]
            return ".".join(parts)

        return _MACRO.sub(one, spec)

    def _dotted_ip(self) -> str:
        if self.ip.version == 4:
            return str(self.ip)
        return ".".join(self.ip.exploded.replace(":", ""))

    def addresses(self, name: str) -> list[IpAddress]:
        kind = "A" if self.ip.version == 4 else "AAAA"
        return [ipaddress.ip_address(a) for a in self.lookup(name, kind)]

    def matches_network(self, addresses: list[IpAddress], cidr4: int, cidr6: int) -> bool:
        prefix = cidr4 if self.ip.version == 4 else cidr6
        return any(
            self.ip in ipaddress.ip_network(f"{a}/{prefix}", strict=False)
            for a in addresses
            if a.version == self.ip.version
        )

    def check(self, domain: str, depth: int = 0) -> tuple[str, str]:
        record = self.record(domain)
        if record is None:
            return "none", f"{domain} publishes no SPF record"
        redirect = None
        for term in record.split()[1:]:
            name, eq, value = term.partition("=")
            if eq and re.fullmatch(r"[A-Za-z][\w.\-]*", name):
                if name.lower() == "redirect":
                    redirect = value
                continue
            qualifier = _QUALIFIERS.get(term[0])
            mechanism = term[1:] if qualifier else term
            if self.mechanism_matches(mechanism, domain, depth):
                result = qualifier or "pass"
                return result, f"{domain} matched '{term}'"
        if redirect is not None:
            self.count_dns_term()
            target = self.expand(redirect, domain)
            if self.record(target) is None:
                raise _PermError(f"redirect to {target}, which has no SPF record")
            return self.check(target, depth + 1)
        return "neutral", f"no mechanism of {domain} matched"

    def mechanism_matches(self, mechanism: str, domain: str, depth: int) -> bool:
        found = re.fullmatch(
            r"(?i)(all|include|a|mx|ptr|ip4|ip6|exists)(?::([^/]*))?(?:/(\d+))?(?://(\d+))?",
            mechanism,
        )
        if found is None:
            raise _PermError(f"unknown mechanism '{mechanism}'")
        kind, argument, cidr, cidr6 = found.groups()
        kind = kind.lower()
        if kind == "all":
            return True
        if kind in ("ip4", "ip6"):
            network = ipaddress.ip_network(
                f"{argument}/{cidr}" if cidr else argument or "", strict=False
            )
            return network.version == self.ip.version and self.ip in network
        self.count_dns_term()
        target = self.expand(argument, domain) if argument else domain
        if kind == "include":
            if depth > MAX_DNS_TERMS:
                raise _PermError("include loop")
            result, _ = self.check(target, depth + 1)
            if result == "none":
                raise _PermError(f"include:{target} has no SPF record")
            return result == "pass"
        ip4_prefix, ip6_prefix = int(cidr or 32), int(cidr6 or 128)
        if kind == "a":
            return self.matches_network(self.addresses(target), ip4_prefix, ip6_prefix)
        if kind == "mx":
            hosts = [mx.split()[-1] for mx in self.lookup(target, "MX")][:MAX_DNS_TERMS]
            found_addresses = [a for host in hosts for a in self.addresses(host)]
            return self.matches_network(found_addresses, ip4_prefix, ip6_prefix)
        if kind == "exists":
            return bool(self.lookup(target, "A"))
        return False  # ptr


def check_spf(resolver: CheckResolver, client_ip: str, mail_from: str, helo: str) -> SpfResult:
    """The SPF result for the envelope sender (or `postmaster@HELO` for a null sender, as the
    RFC says) sending from `client_ip`."""
    sender = mail_from if "@" in mail_from else f"postmaster@{helo}"
    domain = sender.rpartition("@")[2].strip().rstrip(".").lower()
    if not domain:
        return SpfResult("none", "", "no envelope sender or HELO domain to check")
    try:
        ip = ipaddress.ip_address(client_ip)
    except ValueError:
        return SpfResult("none", domain, f"no client address to check ({client_ip!r})")
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    evaluation = _SpfEvaluation(resolver, ip, sender, helo)
    try:
        result, reason = evaluation.check(domain)
    except _PermError as exc:
        return SpfResult("permerror", domain, str(exc))
    except DnsFailure as exc:
        return SpfResult("temperror", domain, str(exc))
    except ValueError as exc:  # a malformed ip4/ip6 network in the record
        return SpfResult("permerror", domain, str(exc))
    return SpfResult(result, domain, f"{reason} (client {ip})")
