"""The message view: every panel shows the message faithfully; downloads give the exact bytes."""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from mailsink import MailSink

from .conftest import Ui, send, simple_message

pytestmark = pytest.mark.browser

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEklEQVR4nGP4z8CAFWEXHbQSACj/P8Fu7N9hAAAAAElFTkSuQmCC"
)
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def rich_message() -> EmailMessage:
    """multipart/mixed[alternative[text, related[html, png]], pdf], no Date header."""
    message = EmailMessage()
    message["From"] = "Ünïcode Sender <sender@example.com>"
    message["To"] = "Reader <reader@example.com>"
    message["Cc"] = "copy@example.com"
    message["Subject"] = "Grüße — your résumé"
    message["Message-ID"] = "<rich-1@example.com>"
    message["X-Repeated"] = "one"
    message["X-Repeated"] = "two"
    message.set_content("Hello text part.\nSee https://example.com/docs for more.\n")
    message.add_alternative(
        '<html><body><h1>Hello HTML</h1><img src="cid:logo@example" alt="logo">'
        '<p><a href="https://example.com/next">Next step</a></p></body></html>',
        subtype="html",
    )
    message.get_payload()[1].add_related(
        PNG, "image", "png", cid="<logo@example>", filename="logo.png"
    )
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="report.pdf")
    return message


@pytest.fixture
def opened(ui: Ui, sink: MailSink) -> Page:
    """The UI with the rich message open."""
    send(
        sink,
        rich_message(),
        mail_from="bounce@example.com",
        to=("reader@example.com", "hidden@example.com"),
    )
    page = ui.open()
    ui.row("Grüße").click()
    expect(page.get_by_role("heading", name="Grüße — your résumé")).to_be_visible()
    return page


def test_html_is_shown_in_a_sandboxed_iframe_with_cid_images(ui: Ui, opened: Page) -> None:
    page = opened
    expect(page.get_by_role("tab", name="HTML")).to_have_attribute("aria-selected", "true")
    frame = page.get_by_title("HTML body")
    sandbox = frame.get_attribute("sandbox")
    assert sandbox is not None
    assert "allow-scripts" not in sandbox
    assert "allow-same-origin" not in sandbox
    assert re.search(r"/view/\w+\.html", frame.get_attribute("src") or "")
    expect(ui.html_body().get_by_role("heading", name="Hello HTML")).to_be_visible()
    logo = ui.html_body().get_by_role("img", name="logo")
    expect(logo).to_have_js_property("naturalWidth", 8)  # the cid: image was resolved

    page.get_by_role("button", name="Phone width").click()
    expect(frame).to_have_css("width", "375px")
    page.get_by_role("button", name="Desktop width").click()
    expect(frame).not_to_have_css("width", "375px")


def test_text_headers_and_raw_panels(ui: Ui, opened: Page, sink: MailSink) -> None:
    page = opened
    page.get_by_role("tab", name="Text").click()
    panel = page.get_by_role("tabpanel")
    expect(panel).to_contain_text("Hello text part.")
    expect(panel.get_by_role("link", name="https://example.com/docs")).to_have_attribute(
        "rel", "noopener noreferrer"
    )

    page.get_by_role("tab", name="Headers").click()
    headers = page.get_by_role("table", name="Headers")
    repeated = headers.get_by_role("row", name=re.compile("^X-Repeated"))
    expect(repeated).to_have_count(2)
    expect(repeated.nth(0)).to_contain_text("one")
    expect(repeated.nth(1)).to_contain_text("two")
    subject = headers.get_by_role("row", name=re.compile("^Subject"))
    expect(subject).to_contain_text("Grüße — your résumé")  # decoded …
    expect(subject).to_contain_text("=?utf-8?")  # … and raw

    page.get_by_role("tab", name="Raw").click()
    raw = sink.messages[0].raw.decode("ascii")
    expect(page.get_by_label("Raw source")).to_have_text(raw)


def test_mime_tree_lists_every_part(opened: Page) -> None:
    page = opened
    page.get_by_role("tab", name="MIME").click()
    tree = page.get_by_role("table", name="MIME structure")
    # (PartID, type) in tree order; containers' PartIDs are the API's business, leaves' are
    # the ones /part/{PartID} serves.
    expected = [
        ("0", "multipart/mixed"),
        (None, "multipart/alternative"),
        ("1.1", "text/plain"),
        (None, "multipart/related"),
        ("1.2.1", "text/html"),
        ("1.2.2", "image/png"),
        ("2", "application/pdf"),
    ]
    rows = tree.get_by_role("row")
    expect(rows).to_have_count(len(expected) + 1)
    for index, (part_id, content_type) in enumerate(expected, start=1):
        cells = rows.nth(index).get_by_role("cell")
        if part_id is not None:
            expect(cells.nth(0)).to_have_text(part_id)
        expect(cells.nth(1)).to_have_text(content_type)
    pdf_row = tree.get_by_role("row", name=re.compile(r"^2 application\/pdf"))
    expect(pdf_row).to_contain_text("report.pdf")
    expect(pdf_row.get_by_role("link", name="Download report.pdf")).to_have_attribute(
        "href", re.compile(r"/api/v1/message/\w+/part/2$")
    )


def test_attachment_downloads_with_the_right_bytes(opened: Page, tmp_path: Path) -> None:
    page = opened
    attachments = page.get_by_role("tab", name="Attachments")
    expect(attachments).to_contain_text("2")  # the PDF and the inline logo
    attachments.click()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download report.pdf").click()
    download = info.value
    assert download.suggested_filename == "report.pdf"
    assert Path(download.path()).read_bytes() == PDF

    with page.expect_download() as info:
        page.get_by_role("link", name="Download logo.png").click()
    assert Path(info.value.path()).read_bytes() == PNG


def test_raw_message_downloads_as_eml(opened: Page, sink: MailSink) -> None:
    with opened.expect_download() as info:
        opened.get_by_role("link", name="Download .eml").click()
    assert info.value.suggested_filename.endswith(".eml")
    assert Path(info.value.path()).read_bytes() == sink.messages[0].raw


def test_envelope_and_warnings(opened: Page) -> None:
    page = opened
    page.get_by_role("tab", name="Envelope").click()
    envelope = page.get_by_role("table", name="Envelope")
    expect(envelope.get_by_role("row", name=re.compile("^MAIL FROM"))).to_contain_text(
        "bounce@example.com"
    )
    rcpt = envelope.get_by_role("row", name=re.compile("^RCPT TO"))
    expect(rcpt).to_contain_text("reader@example.com")
    expect(rcpt).to_contain_text("hidden@example.com")
    expect(envelope.get_by_role("row", name=re.compile("^Client"))).to_contain_text("127.0.0.1")

    page.get_by_role("tab", name="Warnings").click()
    expect(page.get_by_role("list", name="Warnings")).to_contain_text(re.compile("Date", re.I))


def test_remote_images_load_only_when_asked(ui: Ui, sink: MailSink) -> None:
    requested: list[str] = []

    def serve_pixel(route: Route) -> None:
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=PNG)

    ui.page.context.route("http://images.example.test/**", serve_pixel)
    html = '<p>Newsletter</p><img src="http://images.example.test/pixel.png" alt="tracker">'
    send(sink, simple_message("With remote image", html=html))
    page = ui.open()
    ui.row("With remote image").click()
    expect(ui.html_body().get_by_text("Newsletter")).to_be_visible()
    expect(page.get_by_text("Remote images are blocked.")).to_be_visible()
    expect(ui.html_body().get_by_role("img", name="tracker")).to_have_js_property("naturalWidth", 0)
    assert requested == []

    with page.expect_request("http://images.example.test/pixel.png"):
        page.get_by_role("button", name="Load remote images").click()
    expect(ui.html_body().get_by_role("img", name="tracker")).to_have_js_property("naturalWidth", 8)


def test_links_open_in_a_new_tab_without_opener(ui: Ui, sink: MailSink) -> None:
    ui.page.context.route(
        "https://example.com/**", lambda route: route.fulfill(body="<title>landing</title>ok")
    )
    send(sink, rich_message())
    page = ui.open()
    ui.row("Grüße").click()
    ui_url = page.url
    with page.context.expect_page() as popup_info:
        ui.html_body().get_by_role("link", name="Next step").click()
    popup = popup_info.value
    expect(popup).to_have_url("https://example.com/next")
    assert popup.evaluate("window.opener") is None
    assert page.url == ui_url
    expect(ui.html_body().get_by_role("heading", name="Hello HTML")).to_be_visible()
