"""Authentication results for a captured message, as a receiving MTA would find them: every
DKIM signature, SPF for the envelope sender and client address, DMARC alignment, the ARC chain.

DKIM and ARC verification is dkimpy's (no cryptography here); SPF is `mailsink.checks.spf`;
DNS is the check resolver, so `--dns-override` records stand in for ones not yet published.
The report reads like an `Authentication-Results` header (RFC 8601), with a reason per result.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import dkim  # type: ignore[import-untyped]  # dkimpy ships no type hints
from publicsuffixlist import PublicSuffixList

from mailsink.checks.resolver import CheckResolver, DnsFailure
from mailsink.checks.spf import check_spf
from mailsink.message.envelope import Envelope

AUTHSERV_ID = "mailsink"
MIN_RSA_KEY_BITS = 1024
DNS_TIMEOUT_SECONDS = 5


@dataclass(frozen=True, slots=True)
class AuthResult:
    """One method's verdict, e.g. `dkim` `pass` with `{"header.d": "app.test"}`."""

    method: str
    result: str
    reason: str = ""
    properties: dict[str, str] = field(default_factory=dict)

    def header_part(self) -> str:
        words = [f"{self.method}={self.result}"]
        if self.reason:
            reason = self.reason.replace("\\", "\\\\").replace('"', '\\"')
            words.append(f'reason="{reason}"')
        words += [f"{name}={value}" for name, value in self.properties.items() if value]
        return " ".join(words)


@dataclass(frozen=True, slots=True)
class AuthReport:
    """All results; `dkim` has one entry per DKIM-Signature, topmost first (`dkim=none` when
    the message is not signed)."""

    dkim: list[AuthResult]
    spf: AuthResult
    dmarc: AuthResult
    arc: AuthResult

    @property
    def results(self) -> list[AuthResult]:
        return [*self.dkim, self.spf, self.dmarc, self.arc]

    @property
    def authentication_results(self) -> str:
        """The report as an Authentication-Results header value."""
        return "; ".join([AUTHSERV_ID, *(r.header_part() for r in self.results)])


class _ReasonLog:
    """A stand-in logger for dkimpy, which logs why a verification failed instead of saying."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def debug(self, *args: object, **kwargs: object) -> None:
        pass

    info = debug

    def error(self, message: object, *args: object, **kwargs: object) -> None:
        self.errors.append(str(message))

    warning = error


class _DkimDns:
    """dkimpy's `dnsfunc` over the check resolver, remembering whether DNS failed (temperror)
    or the key simply is not there."""

    def __init__(self, resolver: CheckResolver) -> None:
        self.resolver = resolver
        self.failed: str | None = None

    def __call__(self, name: bytes, timeout: int = DNS_TIMEOUT_SECONDS) -> bytes | None:
        try:
            records = self.resolver.txt(name.decode("ascii", "replace"))
        except DnsFailure as exc:
            self.failed = str(exc)
            raise dkim.DnsTimeoutError(str(exc)) from None
        return records[0].encode() if records else None


def check_authentication(
    raw: bytes, envelope: Envelope, from_address: str, resolver: CheckResolver
) -> AuthReport:
    """Verify `raw` as received in `envelope`; `from_address` is the From header's address,
    which DMARC aligns the others with."""
    from_domain = from_address.rpartition("@")[2].lower()
    signatures = _check_dkim(raw, resolver)
    client_ip = _host_of(envelope.peer)
    spf = check_spf(resolver, client_ip, envelope.mail_from, envelope.helo)
    spf_result = AuthResult(
        "spf", spf.result, spf.reason, {"smtp.mailfrom": spf.domain, "client-ip": client_ip}
    )
    dmarc = _check_dmarc(from_domain, signatures, spf_result, resolver)
    return AuthReport(signatures, spf_result, dmarc, _check_arc(raw, resolver))


def _check_dkim(raw: bytes, resolver: CheckResolver) -> list[AuthResult]:
    log = _ReasonLog()
    verifier = dkim.DKIM(raw, logger=log, minkey=MIN_RSA_KEY_BITS, timeout=DNS_TIMEOUT_SECONDS)
    count = sum(1 for name, _ in verifier.headers if name.lower() == b"dkim-signature")
    if count == 0:
        return [AuthResult("dkim", "none", "the message has no DKIM-Signature")]
    results = []
    for index in range(count):
        dns = _DkimDns(resolver)
        log.errors.clear()
        verifier.domain = verifier.selector = None
        try:
            valid = verifier.verify(idx=index, dnsfunc=dns)
        except dkim.DKIMException as exc:
            # dkimpy raises for a changed body as for a malformed signature: only the
            # first is a verification failure, the other a permanent error (RFC 8601).
            result = "fail" if "mismatch" in str(exc) else "permerror"
            results.append(AuthResult("dkim", result, str(exc), _signature_properties(verifier)))
            continue
        properties = _signature_properties(verifier)
        if valid:
            results.append(AuthResult("dkim", "pass", "", properties))
        elif dns.failed is not None:
            results.append(AuthResult("dkim", "temperror", dns.failed, properties))
        else:
            reason = "; ".join(log.errors) or "the signature does not verify"
            results.append(AuthResult("dkim", "fail", reason, properties))
    return results


def _signature_properties(verifier: dkim.DKIM | None) -> dict[str, str]:
    if verifier is None or verifier.domain is None:
        return {}
    fields = verifier.signature_fields
    return {
        "header.d": verifier.domain.decode("ascii", "replace"),
        "header.s": (verifier.selector or b"").decode("ascii", "replace"),
        "header.a": fields.get(b"a", b"").decode("ascii", "replace"),
        "header.b": fields.get(b"b", b"")[:8].decode("ascii", "replace"),
    }


def _check_arc(raw: bytes, resolver: CheckResolver) -> AuthResult:
    dns = _DkimDns(resolver)
    try:
        verdict, _, reason = dkim.ARC(raw, logger=_ReasonLog()).verify(dnsfunc=dns)
    except dkim.DKIMException as exc:
        return AuthResult("arc", "fail", str(exc))
    result = (verdict or b"fail").decode("ascii")
    if result == "none":
        return AuthResult("arc", "none", "the message has no ARC headers")
    if result == "fail" and dns.failed is not None:
        return AuthResult("arc", "temperror", dns.failed)
    return AuthResult("arc", result, "" if result == "pass" else reason)


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list shipped with the package: nothing is fetched


def organizational_domain(domain: str) -> str:
    """The registrable domain ("mail.shop.example.co.uk" → "example.co.uk"), which relaxed
    DMARC alignment compares."""
    return _public_suffixes().privatesuffix(domain) or domain


def _aligned(domain: str, from_domain: str, mode: str) -> bool:
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if mode == "s":
        return domain == from_domain
    return organizational_domain(domain) == organizational_domain(from_domain)


def _dmarc_record(domain: str, resolver: CheckResolver) -> tuple[dict[str, str] | None, str]:
    """The policy for `domain` (its own record, else its organizational domain's) and where
    it came from."""
    for candidate in dict.fromkeys((domain, organizational_domain(domain))):
        records = [
            t for t in resolver.txt(f"_dmarc.{candidate}") if t.strip().startswith("v=DMARC1")
        ]
        if len(records) == 1:
            tags = {}
            for part in records[0].split(";"):
                name, _, value = part.partition("=")
                tags[name.strip().lower()] = value.strip()
            return tags, candidate
    return None, ""


def _check_dmarc(
    from_domain: str, signatures: list[AuthResult], spf: AuthResult, resolver: CheckResolver
) -> AuthResult:
    if not from_domain:
        return AuthResult("dmarc", "none", "no single From address to align with")
    properties = {"header.from": from_domain}
    try:
        policy, policy_domain = _dmarc_record(from_domain, resolver)
    except DnsFailure as exc:
        return AuthResult("dmarc", "temperror", str(exc), properties)
    if policy is None:
        return AuthResult("dmarc", "none", f"{from_domain} publishes no DMARC policy", properties)
    is_subdomain = policy_domain != from_domain
    requested = policy.get("sp" if is_subdomain and "sp" in policy else "p", "none")
    properties["policy.published-domain-policy"] = requested
    dkim_aligned = [
        s.properties["header.d"]
        for s in signatures
        if s.result == "pass"
        and _aligned(s.properties["header.d"], from_domain, policy.get("adkim", "r"))
    ]
    spf_aligned = spf.result == "pass" and _aligned(
        spf.properties["smtp.mailfrom"], from_domain, policy.get("aspf", "r")
    )
    if dkim_aligned:
        return AuthResult("dmarc", "pass", f"DKIM of {dkim_aligned[0]} is aligned", properties)
    if spf_aligned:
        return AuthResult("dmarc", "pass", "SPF of the envelope sender is aligned", properties)
    reason = (
        f"neither a DKIM pass nor an SPF pass aligned with {from_domain}; "
        f"the policy asks receivers to {_POLICY_WORDS.get(requested, requested)}"
    )
    return AuthResult("dmarc", "fail", reason, properties)


_POLICY_WORDS = {"none": "deliver it anyway", "quarantine": "quarantine it", "reject": "reject it"}


def _host_of(peer: str) -> str:
    """ "203.0.113.5:50412" → "203.0.113.5", "[2001:db8::1]:50412" → "2001:db8::1"."""
    host, _, port = peer.rpartition(":")
    return host.strip("[]") if port.isdigit() and host else peer
