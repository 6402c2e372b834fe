"""Fixtures for the web UI tests: a real sink (SMTP + HTTP), Debian's chromium driven by
Playwright, and a sender that goes through real SMTP.

The browser is never downloaded: Playwright launches /usr/bin/chromium (scripts/install-test-deps
installs it). Every page fails its test if the UI throws an uncaught JavaScript error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect, sync_playwright

from mailsink import MailSink
from tests.builders import compose, send_over_smtp

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

expect.set_options(timeout=20_000)  # a shared 2-core machine: generous, never a sleep


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what they deselect
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a run that mixes browser tests with the others, with the reason and the fix.

    Playwright's sync API leaves an asyncio loop marked as running in the thread that drives it,
    so every later test in that process that calls asyncio.run() would fail confusingly.
    """
    kinds = {item.get_closest_marker("browser") is not None for item in items}
    if kinds == {True, False}:
        raise pytest.UsageError(
            "browser tests run in their own pytest process (Playwright's sync API leaves an "
            "event loop running in its thread): use scripts/test, or select with "
            "-m browser / -m 'not browser'"
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install-test-deps (it installs chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(store="memory", http=True) as running:
        yield running


@dataclass
class Ui:
    """A browser page on a sink's UI, and the JavaScript errors it raised."""

    page: Page
    sink: MailSink
    errors: list[str] = field(default_factory=list)

    def open(self, fragment: str = "") -> Page:
        assert self.sink.url is not None
        self.page.goto(self.sink.url + fragment)
        expect(self.page.get_by_role("grid", name="Messages")).to_be_visible()
        return self.page

    def row(self, subject: str) -> Locator:
        return self.page.get_by_role("row", name=subject)

    def html_body(self) -> FrameLocator:
        """The sandboxed iframe showing the open message's HTML."""
        return self.page.frame_locator("iframe[title='HTML body']")

    def answer_dialog(self, dialog: str, button: str) -> None:
        self.page.get_by_role("dialog", name=dialog).get_by_role("button", name=button).click()


@pytest.fixture
def make_ui(browser: Browser) -> Iterator[Callable[..., Ui]]:
    """`make_ui(sink, color_scheme="dark", viewport=(390, 844))` → a `Ui` on a fresh context."""
    opened: list[Ui] = []

    def make(
        sink: MailSink, *, color_scheme: str = "light", viewport: tuple[int, int] = (1280, 800)
    ) -> Ui:
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            color_scheme=color_scheme,  # type: ignore[arg-type]
            accept_downloads=True,
            locale="en-GB",
        )
        ui = Ui(context.new_page(), sink)
        ui.page.on("pageerror", lambda error: ui.errors.append(str(error)))
        opened.append(ui)
        return ui

    yield make
    for ui in opened:
        ui.page.context.close()
    errors = [error for ui in opened for error in ui.errors]
    assert not errors, f"the UI raised JavaScript errors: {errors}"


@pytest.fixture
def ui(make_ui: Callable[..., Ui], sink: MailSink) -> Ui:
    return make_ui(sink)


def send(
    sink: MailSink,
    message: EmailMessage | bytes,
    *,
    mail_from: str = "app@example.com",
    to: tuple[str, ...] = ("user@example.com",),
) -> None:
    """Send one message over a real SMTP connection, from the app to the user by default."""
    send_over_smtp(sink, message, mail_from=mail_from, to=to)


def simple_message(
    subject: str,
    *,
    sender: str = "App <app@example.com>",
    to: str = "User <user@example.com>",
    text: str = "Hello from mailsink.",
    html: str | None = None,
) -> EmailMessage:
    """A message from "App" (its rows read "App: <subject>"), each with its own Message-ID."""
    return compose(
        subject,
        mail_from=sender,
        to=to,
        text=text,
        html=html,
        date="Tue, 04 Jun 2024 10:31:02 +0000",
        message_id=make_msgid(domain="example.com"),
    )


@pytest.fixture
def mail(sink: MailSink) -> Callable[..., None]:
    """`mail("Subject", html=..., text=...)` sends a simple message to the sink."""

    def send_simple(subject: str, **options: Any) -> None:
        send(sink, simple_message(subject, **options))

    return send_simple


DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REFRESH_SCREENSHOTS = "MAILSINK_REFRESH_SCREENSHOTS"


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: the run leaves the working tree as it was unless asked.

    docs/screenshots when `MAILSINK_REFRESH_SCREENSHOTS` is 1, true or yes; else a temporary
    folder (the screenshots are still taken, so the test still runs every step)."""
    if os.environ.get(REFRESH_SCREENSHOTS, "").strip().lower() in ("1", "true", "yes"):
        return DOCS_SCREENSHOTS
    return tmp_path
