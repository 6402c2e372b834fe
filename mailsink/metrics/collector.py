"""`SinkCollector`: the sink's counters, store size and ingest latency as Prometheus metrics,
read at scrape time (nothing is updated in the background)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from mailsink.context import SinkContext
from mailsink.stats import LATENCY_BUCKETS, Refusal


class SinkCollector(Collector):
    def __init__(self, context: SinkContext) -> None:
        self._context = context

    def collect(self) -> Iterator[Metric]:
        stats = self._context.stats
        yield CounterMetricFamily(
            "mailsink_messages_received",
            "Messages accepted and stored (SMTP and the send API).",
            value=stats.smtp_accepted,
        )
        yield CounterMetricFamily(
            "mailsink_messages_received_bytes",
            "Bytes of the messages accepted and stored.",
            value=stats.smtp_accepted_size,
        )
        rejected = CounterMetricFamily(
            "mailsink_smtp_rejections",
            "SMTP clients refused, by reason (a refused command, message or connection).",
            labels=["reason"],
        )
        for reason in Refusal:
            rejected.add_metric([reason.value], stats.smtp_refusals[reason])
        yield rejected
        yield CounterMetricFamily(
            "mailsink_smtp_sessions", "SMTP connections accepted.", value=stats.smtp_sessions
        )
        yield CounterMetricFamily(
            "mailsink_smtp_tls_sessions",
            "SMTP sessions encrypted by STARTTLS or on the implicit-TLS listener.",
            value=stats.smtp_tls_sessions,
        )
        auth = CounterMetricFamily(
            "mailsink_smtp_auth", "SMTP AUTH attempts, by result.", labels=["result"]
        )
        auth.add_metric(["success"], stats.smtp_auth_succeeded)
        auth.add_metric(["failure"], stats.smtp_auth_failed)
        yield auth
        yield CounterMetricFamily(
            "mailsink_messages_deleted",
            "Messages deleted (by the API and by retention).",
            value=stats.messages_deleted,
        )
        yield from self._store_metrics()
        yield GaugeMetricFamily(
            "mailsink_websocket_clients",
            "WebSocket clients connected now.",
            value=stats.websocket_clients,
        )
        yield self._ingest_latency()

    def _store_metrics(self) -> Iterator[Metric]:
        store = self._context.store
        counts = store.count()
        yield GaugeMetricFamily(
            "mailsink_store_messages", "Messages in the store.", value=counts.total
        )
        yield GaugeMetricFamily(
            "mailsink_store_unread_messages", "Unread messages in the store.", value=counts.unread
        )
        yield GaugeMetricFamily(
            "mailsink_store_size_bytes",
            "Bytes the store occupies on disk (0 for the memory store).",
            value=store.size_on_disk(),
        )

    def _ingest_latency(self) -> Metric:
        histogram = self._context.stats.ingest_latency
        buckets: list[tuple[str, float]] = []
        cumulative = 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), histogram.counts, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
        return HistogramMetricFamily(
            "mailsink_ingest_duration_seconds",
            "From the end of DATA to the message being stored, indexed and announced.",
            buckets=buckets,
            sum_value=histogram.total_seconds,
        )
