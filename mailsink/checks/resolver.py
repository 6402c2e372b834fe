"""DNS for the checks: real DNS through dnspython, with records from an override file first.

An override file lets a developer check their DKIM signing and SPF policy before the records
are published, and lets tests run without a network. One record a line, `#` starts a comment::

    sel._domainkey.app.test  TXT  "v=DKIM1; k=rsa; p=MIIBIjANBg..."
    app.test                 TXT  "v=spf1 ip4:127.0.0.1 -all"
    app.test                 MX   10 mail.app.test
    mail.app.test            A    127.0.0.1

A name that appears in the file is answered from the file alone (a type it does not list has no
records), so a test never leaks to real DNS. Names under the special-use domains `.test`,
`.example`, `.invalid` and `.localhost` never go to real DNS (RFC 6761): without an override they
do not exist.
"""

from __future__ import annotations

import ipaddress
import shlex
import socket
from collections import defaultdict
from pathlib import Path

import dns.exception
import dns.resolver

LOOKUP_TIMEOUT_SECONDS = 5.0
RECORD_TYPES = ("A", "AAAA", "MX", "TXT", "PTR", "CNAME")
SPECIAL_USE_SUFFIXES = (".test", ".example", ".invalid", ".localhost")


class DnsFailure(Exception):
    """A lookup that could not be answered (timeout, no reachable server): a temporary error
    in SPF/DKIM/DMARC terms, unlike a name that does not exist."""


class OverrideFileError(ValueError):
    """A line of the override file that is not `NAME TYPE VALUE`."""


def _normal(name: str) -> str:
    return name.strip().rstrip(".").lower()


def parse_overrides(text: str, source: str = "override file") -> dict[tuple[str, str], list[str]]:
    """`{(name, TYPE): [value, ...]}` from the override file's text. TXT values may be split
    into quoted strings, which are joined as DNS joins them."""
    records: dict[tuple[str, str], list[str]] = defaultdict(list)
    for number, line in enumerate(text.splitlines(), 1):
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if len(words) < 3 or words[1].upper() not in RECORD_TYPES:
            raise OverrideFileError(
                f"{source} line {number}: expected NAME TYPE VALUE with TYPE one of "
                f"{', '.join(RECORD_TYPES)}, got {line.strip()!r}"
            )
        name, kind = _normal(words[0]), words[1].upper()
        value = "".join(words[2:]) if kind == "TXT" else " ".join(words[2:])
        if kind in ("A", "AAAA"):
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise OverrideFileError(
                    f"{source} line {number}: {value!r} is not an IP address"
                ) from None
        records[(name, kind)].append(value)
    return dict(records)


class CheckResolver:
    """Answers TXT, A/AAAA, MX and PTR questions; safe to share between threads."""

    def __init__(self, overrides: dict[tuple[str, str], list[str]] | None = None) -> None:
        self._overrides = overrides or {}
        self._overridden_names = {name for name, _ in self._overrides}
        self._resolver: dns.resolver.Resolver | None = None

    @classmethod
    def from_file(cls, path: Path | None) -> CheckResolver:
        if path is None:
            return cls()
        return cls(parse_overrides(path.read_text(encoding="utf-8"), str(path)))

    def lookup(self, name: str, kind: str) -> list[str]:
        """The records' values as text (MX as "PREF HOST"); [] when there are none.

        Raises DnsFailure when DNS cannot answer."""
        name = _normal(name)
        if name in self._overridden_names:
            return list(self._overrides.get((name, kind), []))
        if not name or f".{name}".endswith(SPECIAL_USE_SUFFIXES):
            return []
        return self._real_lookup(name, kind)

    def _real_lookup(self, name: str, kind: str) -> list[str]:
        if self._resolver is None:
            try:
                self._resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration as exc:
                raise DnsFailure(f"no DNS server configured: {exc}") from None
        try:
            answer = self._resolver.resolve(name, kind, lifetime=LOOKUP_TIMEOUT_SECONDS)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as exc:
            raise DnsFailure(f"{kind} {name}: {exc}") from None
        if kind == "TXT":
            return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]
        if kind == "MX":
            return [f"{r.preference} {r.exchange.to_text(omit_final_dot=True)}" for r in answer]
        return [r.to_text().rstrip(".") for r in answer]

    def txt(self, name: str) -> list[str]:
        return self.lookup(name, "TXT")

    def addresses(self, host: str) -> list[str]:
        """The host's IPv4 and IPv6 addresses: from the overrides, or else the system's own
        resolver (so /etc/hosts and `localhost` count, as they would for an HTTP client)."""
        name = _normal(host)
        try:
            return [str(ipaddress.ip_address(name.strip("[]")))]
        except ValueError:
            pass
        if name in self._overridden_names:
            return self.lookup(name, "A") + self.lookup(name, "AAAA")
        if f".{name}".endswith(SPECIAL_USE_SUFFIXES) and not f".{name}".endswith(".localhost"):
            raise DnsFailure(f"{host}: no such host (a special-use name not in the overrides)")
        try:
            infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise DnsFailure(f"{host}: {exc.strerror}") from None
        return list(dict.fromkeys(str(info[4][0]) for info in infos))
