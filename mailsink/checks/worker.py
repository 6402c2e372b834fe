"""Where the HTTP API runs checks: one worker process at low CPU priority.

A check can be CPU work (HTML of hundreds of kilobytes, DKIM over a large body) or minutes of
waiting (link timeouts, spamd). In the server's own process, CPU work would hold the GIL that
the event loop needs to serve SMTP; in a separate process at a lower priority (`nice`), the
operating system gives SMTP the CPU first, and checks queue behind each other instead of
multiplying. The process is started on the first check and stopped with the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from mailsink.checks.settings import CheckSettings
from mailsink.message.envelope import Envelope

WORKER_NICENESS = 10


def _lower_priority() -> None:
    # Where that is not allowed, the process still keeps checks off the event loop.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def run_check(
    check: str, raw: bytes, envelope: Envelope, settings: CheckSettings, follow: bool
) -> Any:
    """In the worker: the result of `message.checks.<check>` (`links` with `follow`)."""
    from mailsink.message.captured import CapturedMessage

    message = CapturedMessage("", 0, raw, envelope, check_settings=settings)
    if check == "links":
        return message.checks.check_links(follow=follow)
    return getattr(message.checks, check)


class CheckWorker:
    """Runs checks in the worker process; `close()` stops it."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    async def run(
        self,
        check: str,
        raw: bytes,
        envelope: Envelope,
        settings: CheckSettings,
        *,
        follow: bool = False,
    ) -> Any:
        if self._pool is None:
            # spawn, not fork: the server has threads (store writer, HTTP) a fork would copy
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(1, context, initializer=_lower_priority)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, run_check, check, raw, envelope, settings, follow
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
