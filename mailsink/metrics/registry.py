"""`SinkMetrics`: one sink's Prometheus registry, with its collector and request counter."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import generate_latest

from mailsink.context import SinkContext
from mailsink.metrics.collector import SinkCollector

UNMATCHED_ROUTE = "unmatched"  # the label of requests no route answered


class SinkMetrics:
    def __init__(self, context: SinkContext) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(SinkCollector(context))
        self.http_requests = Counter(
            "mailsink_http_requests",
            "HTTP requests answered, by route (its path template) and status.",
            ["route", "status"],
            registry=self.registry,
        )

    def count_request(self, route: str | None, status: int) -> None:
        self.http_requests.labels(route or UNMATCHED_ROUTE, str(status)).inc()

    def render(self) -> bytes:
        """The text exposition format; reads the store, so call it off the event loop."""
        return generate_latest(self.registry)
