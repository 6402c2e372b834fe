"""A progress bar for long commands, drawn on standard error only when that is a terminal (a
log file or a pipe gets the final summary line alone)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_SECONDS = 0.1


class ProgressBar:
    """`advance(done)` as work is done (in the unit of `total`, e.g. bytes read); `finish()`
    clears the bar so that the summary line that follows stands alone."""

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = max(total, 1)
        self.shown = self.stream.isatty()
        self._drawn_at = 0.0

    def advance(self, done: int, count: int) -> None:
        now = time.monotonic()
        if not self.shown or now - self._drawn_at < REDRAW_SECONDS:
            return
        self._drawn_at = now
        share = min(done / self.total, 1.0)
        filled = int(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {share:4.0%}  {count} messages")
        self.stream.flush()

    def finish(self) -> None:
        if self.shown and self._drawn_at:
            self.stream.write("\r" + " " * (BAR_WIDTH + 30) + "\r")
            self.stream.flush()
