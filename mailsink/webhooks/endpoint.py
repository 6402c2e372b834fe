"""One webhook URL: rate-limited, coalescing, retrying POSTs of message summaries.

At most `limit` POSTs a second go to one URL (0: no limit). Mail that arrives faster is
coalesced: while a POST waits for its turn, a newer message replaces the one waiting, so a
burst of a thousand messages costs the receiver two requests (the first message at once, the
last when the rate allows), not a thousand. A webhook says "new mail, e.g. this one"; a receiver
that needs every message reads the API from there.

A POST that fails (no connection, a timeout, a 5xx, 408 or 429) is retried after
`RETRY_DELAYS` seconds; a newer message, if one arrived meanwhile, is sent instead of the
stale one. Other 4xx answers are not retried. Every failure is logged, none is raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from mailsink.version import __version__

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 5.0  # Mailpit's
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # then the message is given up
RETRIED_STATUSES = frozenset({408, 429})


class WebhookFailed(Exception):
    """A POST that did not get a 2xx; `retry` says whether trying again may help."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.retry = retry


def post_json(url: str, body: bytes) -> None:
    """One POST, blocking (run it in a thread); raises `WebhookFailed`."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"mailsink/{__version__}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as error:
        retry = error.code >= 500 or error.code in RETRIED_STATUSES
        raise WebhookFailed(f"HTTP {error.code} {error.reason}", retry=retry) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise WebhookFailed(str(reason) or type(error).__name__, retry=True) from None


class Endpoint:
    """Sends summaries to one URL from one task on the event loop; `offer` from that loop."""

    def __init__(self, url: str, limit: float) -> None:
        self.url = url
        self.interval = 1.0 / limit if limit > 0 else 0.0
        self.sent = 0
        self.coalesced = 0
        self.failed = 0
        self._waiting: dict[str, Any] | None = None
        self._arrived = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run())

    def offer(self, summary: dict[str, Any]) -> None:
        """Queue `summary`, replacing one that still waits for its turn."""
        if self._waiting is not None:
            self.coalesced += 1
        self._waiting = summary
        self._arrived.set()

    def _take(self) -> dict[str, Any] | None:
        summary, self._waiting = self._waiting, None
        self._arrived.clear()
        return summary

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._arrived.wait()
            started = loop.time()
            summary = self._take()
            if summary is not None:
                await self._deliver(summary)
            await asyncio.sleep(self.interval - (loop.time() - started))

    async def _deliver(self, summary: dict[str, Any]) -> None:
        for attempt, delay in enumerate((*RETRY_DELAYS, None), 1):
            body = json.dumps(summary, ensure_ascii=False, separators=(",", ":")).encode()
            try:
                await asyncio.to_thread(post_json, self.url, body)
            except WebhookFailed as error:
                if not error.retry or delay is None:
                    self.failed += 1
                    log.warning(
                        "webhook %s: gave up on message %s after %d attempt(s): %s",
                        self.url, summary.get("ID"), attempt, error,
                    )  # fmt: skip
                    return
                log.info("webhook %s: %s; retrying in %.1f s", self.url, error, delay)
                await asyncio.sleep(delay)
                newer = self._take()
                if newer is not None:
                    self.coalesced += 1
                    summary = newer
            else:
                self.sent += 1
                return

    async def close(self) -> None:
        """Stop; a summary still waiting is dropped (the sink is stopping)."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
