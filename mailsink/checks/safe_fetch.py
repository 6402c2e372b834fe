"""HTTP status of a URL without letting a message aim the sink at its own network (SSRF).

Every hop is resolved first, every resolved address is checked, and the connection goes to the
checked address (so DNS cannot answer differently between check and connect); redirects are
followed by hand, each one checked again. Loopback, private, link-local, shared, reserved and
multicast addresses are refused unless private targets are allowed; cloud metadata addresses
are refused always. Requests are HEAD (GET when a server refuses HEAD, reading at most a small
cap), with timeouts, no cookies and no credentials.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urljoin, urlsplit

from mailsink.checks.resolver import CheckResolver, DnsFailure

REQUEST_TIMEOUT_SECONDS = 10.0
TOTAL_TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 10
MAX_BODY_BYTES = 64 * 1024
REDIRECT_CODES = (301, 302, 303, 307, 308)
# Instance metadata services (AWS, GCP, Azure, Alibaba, Oracle): credentials live there.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "168.63.129.16", "100.100.100.200", "192.0.0.192")
)
USER_AGENT = "mailsink-link-check"

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """`status_code` 0 means no HTTP answer; `status` then says why (refused, DNS, timeout)."""

    url: str
    status_code: int
    status: str

    @property
    def ok(self) -> bool:
        return 0 < self.status_code < 400


class RefusedTarget(Exception):
    pass


def refusal(address: IpAddress, allow_private: bool) -> str | None:
    """Why a request to `address` is refused, or None when it may go out."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if address.is_global or allow_private:
        return None
    kind = (
        "loopback"
        if address.is_loopback
        else "link-local"
        if address.is_link_local
        else "private"
        if address.is_private
        else "non-public"
    )
    return f"{address} is a {kind} address (allowed only with --link-check-allow-private)"


class SafeFetcher:
    def __init__(
        self,
        resolver: CheckResolver,
        *,
        allow_private: bool = False,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        total_timeout: float = TOTAL_TIMEOUT_SECONDS,
    ) -> None:
        self.resolver = resolver
        self.allow_private = allow_private
        self.request_timeout = request_timeout
        self.total_timeout = total_timeout

    def status(self, url: str, *, follow: bool = False) -> LinkStatus:
        deadline = time.monotonic() + self.total_timeout
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                code, reason, location = self._request(target, deadline)
            except RefusedTarget as exc:
                return LinkStatus(url, 0, f"refused: {exc}")
            except DnsFailure as exc:
                return LinkStatus(url, 0, f"DNS: {exc}")
            except (OSError, http.client.HTTPException, ValueError) as exc:
                return LinkStatus(url, 0, _error_text(exc))
            if not (follow and code in REDIRECT_CODES and location):
                return LinkStatus(url, code, reason)
            target = urljoin(target, location)
        return LinkStatus(url, 0, f"more than {MAX_REDIRECTS} redirects")

    def _pinned_address(self, host: str) -> str:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolver.addresses(host)]
        if not addresses:
            raise DnsFailure(f"{host} has no address")
        for address in addresses:
            reason = refusal(address, self.allow_private)
            if reason is not None:
                raise RefusedTarget(f"{host} resolves to {reason}")
        return str(addresses[0])

    def _request(self, url: str, deadline: float) -> tuple[int, str, str]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url[:200]!r}")
        if parts.username or parts.password:
            raise RefusedTarget("URLs with credentials are not requested")
        address = self._pinned_address(parts.hostname)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        code, reason, location = self._send("HEAD", parts, address, path, deadline)
        if code in (405, 501):
            code, reason, location = self._send("GET", parts, address, path, deadline)
        return code, reason, location

    def _send(
        self, method: str, parts: SplitResult, address: str, path: str, deadline: float
    ) -> tuple[int, str, str]:
        timeout = max(0.1, min(self.request_timeout, deadline - time.monotonic()))
        port = parts.port or (443 if parts.scheme == "https" else 80)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname or "", port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(parts.hostname or "", port, timeout=timeout)
        connection._create_connection = _connect_to(address)  # type: ignore[attr-defined]
        try:
            connection.request(method, path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
            response = connection.getresponse()
            if method == "GET":
                response.read(MAX_BODY_BYTES)
            return response.status, response.reason, response.getheader("Location") or ""
        finally:
            connection.close()


def _connect_to(address: str) -> Callable[..., socket.socket]:
    """http.client's connection factory, pointed at the checked address instead of the name
    (TLS still verifies the certificate against the name)."""

    def connect(
        host_port: tuple[str, int], timeout: float | None = None, source: object = None
    ) -> socket.socket:
        return socket.create_connection((address, host_port[1]), timeout=timeout)

    return connect


def _error_text(exc: Exception) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS: {exc.verify_message}"
    return str(exc) or type(exc).__name__
