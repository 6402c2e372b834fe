"""Hostile mail runs nothing: no script, no handler, no javascript: link, no refresh, no remote
load, whether shown in the UI's sandboxed iframe or opened directly; message data is only text."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Route, expect

from mailsink import MailSink

from .conftest import Ui, send, simple_message

pytestmark = pytest.mark.browser

MARKER = "http://marker.test"
HOSTILE_HTML = f"""<html><head>
<meta http-equiv="refresh" content="0;url={MARKER}/meta-refresh">
<base href="{MARKER}/base/">
<script>fetch('{MARKER}/script'); parent.document.title = 'PWNED';
top.location = '{MARKER}/top';</script>
<style>@import url({MARKER}/css-import);</style>
</head>
<body onload="fetch('{MARKER}/onload')">
<h1>Hostile</h1>
<img src="broken.png" onerror="fetch('{MARKER}/onerror')" alt="broken">
<a href="javascript:fetch('{MARKER}/javascript-link')">Click me</a>
<svg width="20" height="20"><script>fetch('{MARKER}/svg-script')</script>
<image href="broken.svg" onerror="fetch('{MARKER}/svg-onerror')"/></svg>
<iframe srcdoc="&lt;script&gt;fetch('{MARKER}/srcdoc')&lt;/script&gt;"></iframe>
<form action="{MARKER}/form"><button>Submit form</button></form>
<object data="{MARKER}/object"></object>
<div style="background: url({MARKER}/css-background)">background</div>
</body></html>"""
HOSTILE_SUBJECT = "<img src=x onerror=alert(1)> & <b>bold</b>"


class Tripwire:
    """Everything the hostile mail would do if any of it ran or loaded."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.navigations: list[str] = []
        page.context.route(f"{MARKER}/**", self.record)
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        page.on(
            "framenavigated",
            lambda frame: frame == page.main_frame and self.navigations.append(frame.url),
        )

    def record(self, route: Route) -> None:
        self.requests.append(route.request.url)
        route.abort()

    def assert_untouched(self) -> None:
        assert self.requests == []
        assert self.dialogs == []


def hostile_message() -> bytes:
    message = simple_message(
        HOSTILE_SUBJECT,
        sender='"<script>alert(2)</script>" <evil@example.com>',
        text="<script>alert(3)</script> plain text",
        html=HOSTILE_HTML,
    )
    message.add_attachment(
        b"payload", maintype="text", subtype="html", filename='"><img src=x onerror=alert(4)>.html'
    )
    return message.as_bytes()


def test_hostile_html_runs_nothing_in_the_ui(
    ui: Ui, sink: MailSink, mail: Callable[..., None]
) -> None:
    tripwire = Tripwire(ui.page)
    send(sink, hostile_message())
    page = ui.open()
    ui.row("bold").click()
    ui_url = page.url
    expect(ui.html_body().get_by_role("heading", name="Hostile")).to_be_visible()
    expect(ui.html_body().get_by_role("img", name="broken")).to_be_visible()
    ui.html_body().get_by_role("link", name="Click me").click()
    ui.html_body().get_by_role("button", name="Submit form").click()

    # A round trip through SMTP, the server and the WebSocket: whatever the hostile page set in
    # motion on load has had its chance by the time this row shows.
    mail("Sync point")
    expect(ui.row("Sync point")).to_be_visible()

    tripwire.assert_untouched()
    assert "PWNED" not in page.title()
    assert page.url == ui_url
    assert all(url.startswith(sink.url or "") for url in tripwire.navigations)
    view_frames = [frame for frame in page.frames if "/view/" in frame.url]
    assert len(view_frames) == 1
    assert re.search(r"/view/\w+\.html", view_frames[0].url)


def test_message_data_is_shown_as_text(ui: Ui, sink: MailSink) -> None:
    Tripwire(ui.page)
    send(sink, hostile_message())
    page = ui.open()
    row = ui.row(HOSTILE_SUBJECT)
    expect(row).to_contain_text(HOSTILE_SUBJECT)
    expect(row).to_contain_text("<script>alert(2)</script>")
    row.click()
    expect(page.get_by_role("heading", name=HOSTILE_SUBJECT)).to_have_text(HOSTILE_SUBJECT)
    page.get_by_role("tab", name="Text").click()
    expect(page.get_by_role("tabpanel")).to_contain_text("<script>alert(3)</script> plain text")
    page.get_by_role("tab", name="Attachments").click()
    expect(page.get_by_role("tabpanel")).to_contain_text('"><img src=x onerror=alert(4)>.html')
    # Nothing from the message became markup in the UI's own document.
    assert page.locator("body script").count() == 0
    assert page.locator("img[src='x'], b").count() == 0


def test_view_opened_directly_runs_nothing(ui: Ui, sink: MailSink) -> None:
    """The view's own CSP sandboxes it, so a link to it opened in a tab is as inert as the iframe
    (a sandboxed document gets no scripts and no automatic features such as meta refresh)."""
    tripwire = Tripwire(ui.page)
    send(sink, hostile_message())
    assert sink.url is not None
    page = ui.page
    response = page.goto(f"{sink.url}view/{sink.messages[0].id}.html")
    assert response is not None
    policy = response.headers.get("content-security-policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert "sandbox" in directives
    assert "allow-scripts" not in directives["sandbox"]
    assert "allow-same-origin" not in directives["sandbox"]
    assert directives.get("script-src", ["'none'"]) == ["'none'"]
    assert directives.get("default-src") == ["'none'"]
    expect(page.get_by_role("heading", name="Hostile")).to_be_visible()
    page.get_by_role("link", name="Click me").click()
    page.wait_for_load_state("load")
    tripwire.assert_untouched()
