"""Time from opening the web UI to a usable inbox, in headless Debian Chromium (Playwright).

"Usable" means the first message row is visible. Each sample uses a new browser context (an
empty cache, like a first visit); the browser's own start is not counted.
"""

from __future__ import annotations

import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FIRST_ROW = "#message-grid [role=row]"
TIMEOUT_MS = 60_000


def why_unavailable() -> str | None:
    """Why the UI cannot be timed here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian package chromium)"
    return None


def time_to_usable_inbox(url: str, samples: int) -> list[float]:
    """Milliseconds from `page.goto(url)` until the first message row is visible, per sample."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            for _ in range(samples):
                context = browser.new_context()
                try:
                    page = context.new_page()
                    started = time.perf_counter()
                    page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
                    page.locator(FIRST_ROW).first.wait_for(state="visible", timeout=TIMEOUT_MS)
                    times.append((time.perf_counter() - started) * 1000)
                finally:
                    context.close()
        finally:
            browser.close()
    return times
