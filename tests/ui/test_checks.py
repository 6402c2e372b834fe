"""The check tabs in a real browser: each shows its score and findings for a real message
(DKIM-signed with a key made here, unsupported CSS, links to a local server, a real spamd),
message text stays text, and each tab is photographed (see `screenshot_dir`)."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Page, expect

from mailsink import MailSink
from mailsink.config import HostPort

from .conftest import Ui, send, simple_message

pytestmark = pytest.mark.browser

NEWSLETTER_HTML = """<!doctype html><html><head><style>
@media (prefers-color-scheme: dark) {{ .card {{ background: #111; }} }}
.card:hover {{ box-shadow: 0 2px 8px rgba(0,0,0,.2); }}
</style></head><body>
<div class="card" style="display:flex;gap:12px;padding:16px;border-radius:8px">
<img src="{base}/logo.webp" width="48" height="48" alt="Acme">
<div><h1 style="font-size:20px">Acme weekly</h1>
<p>Three new features this week. <a href="{base}/features">Read more</a>
or see <a href="{base}/gone">the archive</a>.</p></div></div></body></html>"""


@pytest.fixture
def web_server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            self.send_response(404 if self.path == "/gone" else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://news.acme.test:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def dkim_records() -> tuple[bytes, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    records = (
        f'mail._domainkey.acme.test TXT "v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"\n'
        'acme.test TXT "v=spf1 ip4:127.0.0.1 -all"\n'
        '_dmarc.acme.test TXT "v=DMARC1; p=quarantine"\n'
        "news.acme.test A 127.0.0.1\n"
    )
    return private, records


@pytest.fixture
def checked_sink(tmp_path: Path, spamd: HostPort) -> Iterator[MailSink]:
    private, records = dkim_records()
    overrides = tmp_path / "dns.txt"
    overrides.write_text(records, encoding="utf-8")
    with MailSink(
        store="memory",
        http=True,
        dns_override=overrides,
        enable_link_check=True,
        link_check_allow_private=True,
        spamassassin=spamd,
    ) as sink:
        sink.dkim_private_key = private  # type: ignore[attr-defined]
        yield sink


def send_newsletter(sink: MailSink, base: str, list_unsubscribe: str) -> None:
    message = simple_message(
        "Acme weekly: three new features",
        sender="Acme <news@acme.test>",
        to="Dana <dana@example.com>",
        text=f"Three new features this week: {base}/features",
        html=NEWSLETTER_HTML.format(base=base),
    )
    message["List-Unsubscribe"] = list_unsubscribe
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    raw = message.as_bytes()
    raw = raw.replace(b"\n", b"\r\n") if b"\r\n" not in raw else raw
    headers = [b"from", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe"]
    private = sink.dkim_private_key  # type: ignore[attr-defined]
    signed = dkim.sign(raw, b"mail", b"acme.test", private, include_headers=headers) + raw
    send(sink, signed, mail_from="bounce@acme.test", to=("dana@example.com",))


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tabpanel")).not_to_contain_text("Loading…")


@pytest.mark.slow
def test_every_check_has_a_tab_with_its_score(
    make_ui: Callable[..., Ui], checked_sink: MailSink, web_server: str, screenshot_dir: Path
) -> None:
    send_newsletter(checked_sink, web_server, "<https://acme.test/unsubscribe/d4n4>")
    ui = make_ui(checked_sink, viewport=(1280, 860))
    page = ui.open()
    ui.row("Acme weekly").click()
    panel = page.get_by_role("tabpanel")

    open_tab(page, "Compatibility")
    expect(panel.get_by_label("supported")).to_be_visible()
    expect(panel.get_by_role("table", name="HTML compatibility")).to_contain_text("display:flex")
    page.screenshot(path=screenshot_dir / "check-compatibility.png")

    open_tab(page, "Links")
    panel.get_by_role("button", name="Check links").click()
    table = panel.get_by_role("table", name="Links")
    expect(table).to_contain_text("200 OK")
    expect(table).to_contain_text("404 Not Found")
    expect(panel.get_by_label("links answer")).to_have_text("2/3")
    page.screenshot(path=screenshot_dir / "check-links.png")

    open_tab(page, "Spam")
    expect(panel.get_by_role("table", name="SpamAssassin rules")).to_be_visible()
    page.screenshot(path=screenshot_dir / "check-spam.png")

    open_tab(page, "Auth")
    results = panel.get_by_role("table", name="Authentication results")
    expect(results).to_contain_text("header.d=acme.test")
    expect(panel.get_by_label("passed")).to_have_text("3/3")  # ARC "none" does not count
    expect(panel).to_contain_text("mailsink; dkim=pass")
    page.screenshot(path=screenshot_dir / "check-auth.png")

    open_tab(page, "Deliverability")
    expect(panel.get_by_label("deliverability")).to_have_text("100")
    expect(panel).to_contain_text("https://acme.test/unsubscribe/d4n4")
    page.screenshot(path=screenshot_dir / "check-deliverability.png")


def test_check_results_stay_text(make_ui: Callable[..., Ui], sink: MailSink) -> None:
    message = simple_message("Odd unsubscribe", html="<p>hi</p>")
    message["List-Unsubscribe"] = "<b id='injected'>stop</b>"
    send(sink, message)
    ui = make_ui(sink)
    page = ui.open()
    ui.row("Odd unsubscribe").click()
    open_tab(page, "Deliverability")
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_role("list", name="Findings")).to_contain_text("<b id='injected'>")
    assert page.locator("#injected").count() == 0
    open_tab(page, "Links")
    panel.get_by_role("button", name="Check links").click()
    expect(panel).to_contain_text("--enable-link-check")  # off on this sink: the reason shows
    open_tab(page, "Spam")
    expect(panel).to_contain_text("--spamassassin")
