"""The running sink's parts, handed to every view (HTTP API, WebSocket, pytest view)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailsink.checks.worker import CheckWorker
from mailsink.config import Config
from mailsink.events import ChangeHub
from mailsink.ingest import Ingest
from mailsink.stats import RuntimeStats
from mailsink.store.base import Store
from mailsink.store.epoch import seq_epoch

if TYPE_CHECKING:
    from mailsink.chaos import ChaosTriggers
    from mailsink.metrics import SinkMetrics
    from mailsink.relay.client import Relay


@dataclass(frozen=True, slots=True)
class ListenAddress:
    """A bound listener: kind is "SMTP", "SMTPS", "POP3", "POP3S", "IMAP", "IMAPS", "HTTP" or
    "Metrics"."""

    kind: str
    host: str
    port: int


@dataclass(slots=True)
class SinkContext:
    config: Config
    store: Store
    hub: ChangeHub
    ingest: Ingest
    stats: RuntimeStats
    chaos: ChaosTriggers | None = None  # None unless --enable-chaos
    relay: Relay | None = None  # None unless --smtp-relay-config
    metrics: SinkMetrics | None = None  # None unless --metrics or --metrics-listen
    listeners: list[ListenAddress] = field(default_factory=list)
    # Changes whenever Seqs may start again (a new database): IMAP's UIDVALIDITY.
    seq_epoch: int = field(default_factory=lambda: seq_epoch(None))
    checks: CheckWorker = field(default_factory=CheckWorker)  # started on the first check
