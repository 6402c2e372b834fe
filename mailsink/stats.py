"""Runtime counters: shown by `/api/v1/info` (Mailpit's `RuntimeStats`) and, with `--metrics`,
read by the Prometheus collector at each scrape.

Plain numbers, always kept (an increment costs nothing next to an SMTP command), so the core
needs no metrics library; `mailsink.metrics` turns them into Prometheus metrics when asked.
They are changed on the event loop only.
"""

from __future__ import annotations

import bisect
import enum
import time
from collections import Counter
from dataclasses import dataclass, field

# Upper bounds, in seconds, of the ingest latency histogram's buckets: a small message is
# stored in well under a millisecond, a large one or a busy disk takes longer.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Refusal(enum.StrEnum):
    """Why an SMTP client was refused, as a metric label (the event text says more)."""

    AUTH_REQUIRED = "auth_required"
    AUTH_FAILED = "auth_failed"
    STARTTLS_REQUIRED = "starttls_required"
    TOO_LARGE = "too_large"
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    STRICT = "strict"
    CHAOS = "chaos"
    IDLE_TIMEOUT = "idle_timeout"
    STORE_FAILED = "store_failed"


@dataclass(slots=True)
class LatencyHistogram:
    """Counts of observations per bucket of `LATENCY_BUCKETS` (the last: above them all)."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total_seconds: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total_seconds += seconds


@dataclass(slots=True)
class RuntimeStats:
    started: float = field(default_factory=time.monotonic)
    smtp_accepted: int = 0
    smtp_accepted_size: int = 0
    smtp_rejected: int = 0
    smtp_ignored: int = 0
    messages_deleted: int = 0
    smtp_sessions: int = 0
    smtp_tls_sessions: int = 0  # STARTTLS done, or on the implicit-TLS listener
    smtp_auth_succeeded: int = 0
    smtp_auth_failed: int = 0
    smtp_refusals: Counter[Refusal] = field(default_factory=Counter)
    websocket_clients: int = 0
    ingest_latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    @property
    def uptime_seconds(self) -> int:
        return int(time.monotonic() - self.started)
