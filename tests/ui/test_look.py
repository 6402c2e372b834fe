"""Themes, and the screenshots in docs/screenshots (taken from a realistic mailbox; see the
`screenshot_dir` fixture for where they go)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from mailsink import MailSink

from .conftest import Ui, send, simple_message

pytestmark = pytest.mark.browser


def background_luminance(page: Page) -> float:
    """Relative luminance (0 black … 1 white) of the page background."""
    rgb = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(v) / 255 for v in re.findall(r"\d+", rgb)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_dark_theme_follows_the_system_and_the_toggle(
    make_ui: Callable[..., Ui], sink: MailSink
) -> None:
    page = make_ui(sink, color_scheme="dark").open()
    assert background_luminance(page) < 0.2

    toggle = page.get_by_role("button", name=re.compile("^Theme"))
    expect(toggle).to_have_accessible_name("Theme: system (switch)")
    toggle.click()
    expect(toggle).to_have_accessible_name("Theme: light (switch)")
    assert background_luminance(page) > 0.9
    toggle.click()
    expect(toggle).to_have_accessible_name("Theme: dark (switch)")
    assert background_luminance(page) < 0.2

    page.emulate_media(color_scheme="light")  # an explicit choice wins over the system's
    page.reload()
    expect(page.get_by_role("button", name="Theme: dark (switch)")).to_be_visible()
    assert background_luminance(page) < 0.2


WELCOME_HTML = """<!doctype html><html><body style="margin:0;background:#f1f4f8;
font-family:Helvetica,Arial,sans-serif;color:#1f2933">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center"
style="padding:32px 12px">
<table role="presentation" width="100%" style="max-width:560px;background:#fff;border-radius:10px;
overflow:hidden;box-shadow:0 2px 8px rgba(0,0,0,.06)">
<tr><td style="background:#4f46e5;padding:22px 32px;color:#fff;font-size:20px;font-weight:bold">
Acme</td></tr>
<tr><td style="padding:32px">
<h1 style="margin:0 0 12px;font-size:24px">Welcome aboard, Dana!</h1>
<p style="font-size:15px;line-height:1.6;margin:0 0 20px">Thanks for signing up. Confirm your
email address to activate your account and start your 14-day trial.</p>
<p style="margin:0 0 24px"><a href="https://acme.example/confirm?token=8f2c1d"
style="display:inline-block;background:#4f46e5;color:#fff;text-decoration:none;padding:12px 22px;
border-radius:6px;font-weight:bold">Confirm my email</a></p>
<p style="font-size:13px;color:#66788a;line-height:1.5;margin:0">If the button does not work, paste
this link into your browser: https://acme.example/confirm?token=8f2c1d</p>
</td></tr>
<tr><td style="padding:18px 32px;background:#f8fafc;font-size:12px;color:#8a9bab">
Acme Inc. · 1 Example Street · You receive this because you signed up at acme.example.
</td></tr></table></td></tr></table></body></html>"""

MAILBOX = [
    # (subject, sender, recipient, tags, read)
    ("[CI] Build #2381 failed on main", "CI <ci@builds.example>", "dev@example.com", [], True),
    ("Meeting notes — Q3 planning", "Sam Patel <sam@example.com>", "team@example.com", [], True),
    ("Weekly digest: 12 new comments", "Forum <digest@forum.example>", "dana@example.com",
     ["newsletter"], True),
    ("Your order #10443 has shipped", "Shop <orders@shop.example>", "dana@example.com", [], True),
    ("Invoice INV-2024-0612", "Acme Billing <billing@acme.example>", "dana@example.com",
     ["billing"], False),
    ("Reset your password", "Acme Security <security@acme.example>", "dana@example.com", [], False),
    ("Your verification code is 482913", "Acme <no-reply@acme.example>", "dana@example.com",
     ["otp"], False),
    ("Welcome to Acme, Dana!", "Acme <hello@acme.example>", "Dana Lee <dana@example.com>",
     ["signup"], False),
]  # fmt: skip


def fill_mailbox(sink: MailSink) -> None:
    for subject, sender, recipient, tags, _ in MAILBOX:
        html = WELCOME_HTML if subject.startswith("Welcome") else None
        text = (
            "Thanks for signing up. Confirm your email address: "
            "https://acme.example/confirm?token=8f2c1d"
            if html
            else f"{subject}.\n\nThis is an example message for the mailsink screenshots."
        )
        message = simple_message(subject, sender=sender, to=recipient, text=text, html=html)
        if tags:
            message["X-Tags"] = ", ".join(tags)
        if subject.startswith("Invoice"):
            message.add_attachment(
                b"%PDF-1.4\n%%EOF\n", maintype="application", subtype="pdf", filename="invoice.pdf"
            )
        send(sink, message, to=(recipient.rpartition("<")[2].rstrip(">"),))
    read_ids = [m.id for m in sink.messages if any(s == m.subject and r for s, *_, r in MAILBOX)]
    assert sink.url is not None
    response = httpx.put(sink.url + "api/v1/messages", json={"IDs": read_ids, "Read": True})
    assert response.status_code == 200


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(
    make_ui: Callable[..., Ui], sink: MailSink, scheme: str, screenshot_dir: Path
) -> None:
    fill_mailbox(sink)
    ui = make_ui(sink, color_scheme=scheme, viewport=(1280, 800))
    page = ui.open()
    expect(ui.row("Welcome to Acme")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="8 messages · 4 unread")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"inbox-{scheme}.png")

    ui.row("Welcome to Acme").click()
    expect(ui.html_body().get_by_role("link", name="Confirm my email")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="3 unread")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"message-{scheme}.png")
