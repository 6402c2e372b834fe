"""A page of ours that loads hostile message parts as a script, a style sheet or a frame runs
nothing: on the UI page its CSP runs only the nonce'd entry script, and on a page of ours without
that policy the parts' own headers (`text/plain` + nosniff for scripts and styles, CSP `sandbox`
for documents) keep them inert."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from mailsink import MailSink
from tests.builders import HOSTILE_PARTS, hostile_message

from .conftest import Ui, send

pytestmark = pytest.mark.browser

# Adds a <script>, a <link rel=stylesheet> and (for inline parts) an <iframe> per URL, waits for
# each to load or fail, then removes them and reports what ran.
LOAD_EVERYWHERE = """
async ({ urls, framed }) => {
  const loads = [];
  const added = [];
  const add = (tag, props) => {
    const element = Object.assign(document.createElement(tag), props);
    added.push(element);
    loads.push(new Promise((resolve) => {
      element.onload = () => resolve(`${tag} loaded`);
      element.onerror = () => resolve(`${tag} refused`);
    }));
    document.body.append(element);
  };
  for (const url of urls) {
    add("script", { src: url });
    add("link", { rel: "stylesheet", href: url });
    if (framed) add("iframe", { src: url });
  }
  const events = await Promise.all(loads);
  const style = getComputedStyle(document.documentElement).getPropertyValue("--pwned");
  added.forEach((element) => element.remove());
  return { events, pwned: window.pwned ?? null, style };
}
"""


def part_urls(sink: MailSink) -> tuple[list[str], list[str]]:
    """The Mailpit (inline) and the MailHog (attachment) URL of every hostile part."""
    message_id = sink.messages[-1].id
    count = len(HOSTILE_PARTS)
    mailpit = [f"api/v1/message/{message_id}/part/{n + 2}" for n in range(count)]
    mailhog = [
        f"mailhog/api/v1/messages/{message_id}/mime/part/{n + 1}/download" for n in range(count)
    ]
    return mailpit, mailhog


def load_everywhere(ui: Ui, sink: MailSink) -> list[dict[str, Any]]:
    assert sink.url is not None
    mailpit, mailhog = part_urls(sink)
    return [
        ui.page.evaluate(
            LOAD_EVERYWHERE, {"urls": [sink.url + u for u in mailpit], "framed": True}
        ),
        ui.page.evaluate(
            LOAD_EVERYWHERE, {"urls": [sink.url + u for u in mailhog], "framed": False}
        ),
    ]


def test_hostile_parts_run_nothing_on_the_ui_page(ui: Ui, sink: MailSink) -> None:
    send(sink, hostile_message())
    page = ui.open()
    row = ui.row("Sender Name: hostile parts")
    expect(row).to_be_visible()  # the UI's own script runs
    for report in load_everywhere(ui, sink):
        assert report["pwned"] is None, report
        assert report["style"] == "", report
    row.click()  # and still works
    expect(page.get_by_role("heading", name="hostile parts")).to_be_visible()


def test_hostile_parts_run_nothing_on_a_page_without_the_ui_policy(ui: Ui, sink: MailSink) -> None:
    """The parts' own headers are enough: /api/v1/info is ours and carries no script policy."""
    send(sink, hostile_message())
    assert sink.url is not None
    response = ui.page.goto(sink.url + "api/v1/info")
    assert response is not None
    assert "content-security-policy" not in response.headers
    reports = load_everywhere(ui, sink)
    for report in reports:
        assert report["pwned"] is None, report
        assert report["style"] == "", report
    # The same script, served as JavaScript, would have run here: the page does run scripts.
    ui.page.evaluate("document.body.append(Object.assign(document.createElement('script'),"
                     " {textContent: 'window.ran = true'}))")  # fmt: skip
    assert ui.page.evaluate("window.ran") is True
