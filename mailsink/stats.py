"""Runtime counters shown by `/api/v1/info` (Mailpit's `RuntimeStats`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class RuntimeStats:
    started: float = field(default_factory=time.monotonic)
    smtp_accepted: int = 0
    smtp_accepted_size: int = 0
    smtp_rejected: int = 0
    smtp_ignored: int = 0
    messages_deleted: int = 0

    @property
    def uptime_seconds(self) -> int:
        return int(time.monotonic() - self.started)
