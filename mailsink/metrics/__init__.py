"""Prometheus metrics at `/metrics`: off unless `--metrics` (on the HTTP listener) or
`--metrics-listen HOST:PORT` (a listener of its own).

Each sink has its own `CollectorRegistry` (`SinkMetrics`), so several sinks in one process (a
test suite) never mix their numbers. The numbers themselves are the core's `RuntimeStats`,
read at each scrape by `SinkCollector`, plus the HTTP request counter that `RequestMetrics`
(middleware) keeps.
"""

from mailsink.metrics.collector import SinkCollector
from mailsink.metrics.http import RequestMetrics, metrics_app, metrics_route
from mailsink.metrics.registry import SinkMetrics

__all__ = ["RequestMetrics", "SinkCollector", "SinkMetrics", "metrics_app", "metrics_route"]
