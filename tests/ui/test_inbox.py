"""The message list: live arrival, unread counts, keyboard, search, delete, read state, tags."""

from __future__ import annotations

import json
import re
import smtplib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Request, Route, WebSocketRoute, expect

from mailsink import MailSink

from .conftest import Ui, send, simple_message

pytestmark = pytest.mark.browser


def test_message_sent_by_smtp_appears_without_reload(ui: Ui, mail: Callable[..., None]) -> None:
    page = ui.open()
    expect(page.get_by_text("No messages yet")).to_be_visible()
    page.evaluate("window.__notReloaded = true")

    mail("Your order has shipped", sender="Shop <shop@example.com>")

    row = ui.row("Your order has shipped")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Shop")
    expect(row).to_contain_text("To User")
    assert page.evaluate("window.__notReloaded") is True
    expect(page.get_by_role("status").filter(has_text="1 message")).to_be_visible()


def test_unread_count_shows_in_title_and_drops_when_read(ui: Ui, mail: Callable[..., None]) -> None:
    page = ui.open()
    mail("First")
    mail("Second")
    expect(page).to_have_title(re.compile(r"^\(2\) mailsink"))

    ui.row("First").click()
    expect(page.get_by_role("heading", name="First")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^\(1\) mailsink"))
    expect(ui.row("Unread, App: Second")).to_be_visible()
    expect(page.get_by_role("row", name="Unread, App: First")).to_have_count(0)


def test_a_list_answer_older_than_live_frames_keeps_them(
    ui: Ui, sink: MailSink, mail: Callable[..., None]
) -> None:
    """A page answered before a message arrived (and another was read), but read by the page
    after their frames, must undo neither: it is a snapshot older than what is shown live."""
    mail("Keep me")
    mail("Remove me")
    answered: list[str] = []

    def count_list_answers(request: Request) -> None:
        if "/api/v1/messages?" in request.url:
            answered.append(request.url)

    ui.page.on("requestfinished", count_list_answers)
    page = ui.open()
    expect(ui.row("Remove me")).to_be_visible()
    # The first page and the reload when the live feed opened have both been answered (the
    # page's CSP allows no string evaluation, so this waits here rather than in the page).
    while len(answered) < 2:
        page.wait_for_event("requestfinished", timeout=30_000)
    assert sink.url is not None
    api = sink.url + "api/v1/messages"
    keep = next(m for m in sink.messages if m.subject == "Keep me")
    answered_late: list[str] = []

    def answer_before_the_frames(route: Route) -> None:
        if answered_late:
            route.continue_()
            return
        answered_late.append(route.request.url)
        older = route.fetch()  # the server's answer, taken before the changes below
        mail("Arrived meanwhile")
        assert httpx.put(api, json={"IDs": [keep.id], "Read": True}).status_code == 200
        expect(ui.row("Arrived meanwhile")).to_be_visible()  # the frames were applied
        expect(ui.row("Unread, App: Keep me")).to_have_count(0)
        route.fulfill(response=older)

    page.route(re.compile(r"/api/v1/messages\?"), answer_before_the_frames)
    remove = next(m for m in sink.messages if m.subject == "Remove me")
    response = httpx.request("DELETE", api, json={"IDs": [remove.id]})
    assert response.status_code == 200  # its `delete` frame makes the inbox refetch its rows

    status = page.get_by_role("status").filter(has_text="2 messages · 1 unread")
    expect(status).to_be_visible()
    assert answered_late, "the inbox never refetched its first page"
    expect(page).to_have_title(re.compile(r"^\(1\) mailsink"))
    expect(ui.row("Unread, App: Arrived meanwhile")).to_be_visible()
    expect(ui.row("App: Keep me")).to_be_visible()
    expect(ui.row("Unread, App: Keep me")).to_have_count(0)
    expect(ui.row("Remove me")).to_have_count(0)


def test_a_message_sent_before_the_live_feed_opens_is_listed(
    ui: Ui, mail: Callable[..., None]
) -> None:
    """The first page can be answered before the WebSocket is up; a message stored in between
    has no `new` frame for this page, so opening the feed must reload the list."""
    page = ui.page

    def open_late(socket: WebSocketRoute) -> None:
        expect(page.get_by_text("No messages yet")).to_be_visible()  # the first page is shown
        mail("Sent before the feed")
        socket.connect_to_server()

    page.route_web_socket(re.compile(r"/api/events$"), open_late)
    ui.open()
    expect(ui.row("Sent before the feed")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="1 message")).to_be_visible()


def test_keyboard_moves_selection_and_opens(ui: Ui, mail: Callable[..., None]) -> None:
    for subject in ("Oldest", "Middle", "Newest"):
        mail(subject)
    page = ui.open()
    newest, middle, oldest = ui.row("Newest"), ui.row("Middle"), ui.row("Oldest")
    expect(newest).to_have_attribute("aria-selected", "true")

    page.keyboard.press("j")
    expect(middle).to_have_attribute("aria-selected", "true")
    expect(newest).to_have_attribute("aria-selected", "false")
    page.keyboard.press("ArrowDown")
    expect(oldest).to_have_attribute("aria-selected", "true")
    page.keyboard.press("k")
    expect(middle).to_have_attribute("aria-selected", "true")

    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Middle")).to_be_visible()
    assert "#/message/" in page.url

    page.keyboard.press("j")  # with a message open, j opens the next one
    expect(page.get_by_role("heading", name="Oldest")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_text("Select a message to read it.")).to_be_visible()

    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search messages")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def test_search_filters_live_and_keeps_the_query_in_the_url(
    ui: Ui, mail: Callable[..., None]
) -> None:
    mail("Invoice 1001", text="Amount due: 12 EUR")
    mail("Welcome aboard")
    page = ui.open()
    expect(ui.row("Welcome aboard")).to_be_visible()

    page.get_by_role("searchbox", name="Search messages").fill("invoice")
    page.keyboard.press("Enter")
    expect(ui.row("Welcome aboard")).to_have_count(0)
    expect(ui.row("Invoice 1001")).to_be_visible()
    assert "q=invoice" in page.url

    mail("Invoice 1002")  # results update live
    mail("Newsletter")
    expect(ui.row("Invoice 1002")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="2 matches")).to_be_visible()
    expect(ui.row("Newsletter")).to_have_count(0)

    page.reload()  # the URL alone brings the search back
    expect(page.get_by_role("searchbox", name="Search messages")).to_have_value("invoice")
    expect(ui.row("Invoice 1002")).to_be_visible()
    expect(ui.row("Welcome aboard")).to_have_count(0)

    page.get_by_role("button", name="Search help").click()
    expect(page.get_by_role("dialog", name="Search syntax")).to_contain_text("has:attachment")


def test_delete_one_selected_and_all(ui: Ui, mail: Callable[..., None]) -> None:
    for subject in ("Alpha", "Bravo", "Charlie", "Delta"):
        mail(subject)
    page = ui.open()

    ui.row("Delta").click()
    page.get_by_role("button", name="Delete message").click()
    expect(ui.row("Delta")).to_have_count(0)
    expect(page.get_by_role("heading", name="Charlie")).to_be_visible()  # the next one opens

    page.get_by_role("checkbox", name="Select message: Alpha").check()
    page.get_by_role("checkbox", name="Select message: Bravo").check()
    page.get_by_role("button", name="Delete selected").click()
    dialog = page.get_by_role("dialog", name="Delete messages")
    expect(dialog).to_contain_text("Delete 2 messages?")
    ui.answer_dialog("Delete messages", "Delete")
    expect(ui.row("Alpha")).to_have_count(0)
    expect(ui.row("Bravo")).to_have_count(0)
    expect(ui.row("Charlie")).to_be_visible()

    page.get_by_role("button", name="Delete all").click()
    ui.answer_dialog("Delete all messages", "Cancel")
    expect(ui.row("Charlie")).to_be_visible()
    page.get_by_role("button", name="Delete all").click()
    ui.answer_dialog("Delete all messages", "Delete")
    expect(page.get_by_text("No messages yet")).to_be_visible()
    assert ui.sink.messages == []


def test_deletion_through_the_api_disappears_live(
    ui: Ui, sink: MailSink, mail: Callable[..., None]
) -> None:
    mail("Keep me")
    mail("Remove me")
    page = ui.open()
    expect(ui.row("Remove me")).to_be_visible()
    target = next(m for m in sink.messages if m.subject == "Remove me")
    assert sink.url is not None
    response = httpx.request("DELETE", sink.url + "api/v1/messages", json={"IDs": [target.id]})
    assert response.status_code == 200
    expect(ui.row("Remove me")).to_have_count(0)
    expect(ui.row("Keep me")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="1 message")).to_be_visible()


def test_mark_unread_and_edit_tags(ui: Ui, mail: Callable[..., None]) -> None:
    mail("Tag me")
    page = ui.open()
    ui.row("Tag me").click()
    expect(ui.row("App: Tag me")).not_to_have_accessible_name(re.compile("^Unread"))

    page.get_by_role("button", name="Mark unread").click()
    expect(ui.row("Unread, App: Tag me")).to_be_visible()
    expect(page.get_by_role("button", name="Mark read")).to_be_visible()

    tag_input = page.get_by_role("textbox", name="Add tag")
    tag_input.fill("signup")
    tag_input.press("Enter")
    expect(page.get_by_role("button", name="Remove tag signup")).to_be_visible()
    expect(ui.row("Tag me")).to_contain_text("signup")
    page.get_by_role("button", name="Show messages tagged signup").click()
    expect(page.get_by_role("searchbox", name="Search messages")).to_have_value('tag:"signup"')
    ui.row("Tag me").click()
    page.get_by_role("button", name="Remove tag signup").click()
    expect(page.get_by_role("button", name="Remove tag signup")).to_have_count(0)


def test_a_large_mailbox_renders_only_visible_rows(ui: Ui, sink: MailSink) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        for n in range(400):
            raw = simple_message(f"Bulk {n:03d}", text=f"message {n}").as_bytes()
            client.sendmail("app@example.com", ["user@example.com"], raw)
    page = ui.open()
    grid = page.get_by_role("grid", name="Messages")
    expect(grid).to_have_attribute("aria-rowcount", "400")
    expect(ui.row("Bulk 399")).to_be_visible()
    assert page.get_by_role("row").count() < 60  # virtualised: not 400 rows in the DOM

    grid.evaluate("g => g.scrollTo(0, g.scrollHeight)")
    expect(ui.row("Bulk 000")).to_be_visible()
    assert page.get_by_role("row").count() < 60

    send(sink, simple_message("Arrived while scrolled"))  # the rows in view stay in view
    expect(grid).to_have_attribute("aria-rowcount", "401")
    expect(ui.row("Bulk 000")).to_be_in_viewport()
    expect(ui.row("Bulk 000")).to_have_attribute("aria-rowindex", "401")
    grid.evaluate("g => g.scrollTo(0, 0)")
    expect(ui.row("Arrived while scrolled")).to_have_attribute("aria-rowindex", "1")
    expect(ui.row("Bulk 399")).to_have_attribute("aria-rowindex", "2")


def test_search_results_that_grow_keep_the_rows_in_view(ui: Ui, sink: MailSink) -> None:
    """A search's new matches come in through a list answer, not a frame (the page asks again
    when mail arrives): the rows the user scrolled to must stay in view all the same."""
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        for n in range(200):
            raw = simple_message(f"Bulk {n:03d}", text=f"message {n}").as_bytes()
            client.sendmail("app@example.com", ["user@example.com"], raw)
    page = ui.open()
    page.get_by_role("searchbox", name="Search messages").fill("bulk")
    page.keyboard.press("Enter")
    grid = page.get_by_role("grid", name="Messages")
    expect(page.get_by_role("status").filter(has_text="200 matches")).to_be_visible()
    grid.evaluate("g => g.scrollTo(0, g.scrollHeight)")
    expect(ui.row("Bulk 000")).to_be_in_viewport()

    send(sink, simple_message("Bulk arrived", text="a new match"))
    expect(page.get_by_role("status").filter(has_text="201 matches")).to_be_visible()
    expect(ui.row("Bulk 000")).to_have_attribute("aria-rowindex", "201")
    expect(ui.row("Bulk 000")).to_be_in_viewport()


def test_phone_width_shows_one_pane_at_a_time(
    make_ui: Callable[..., Ui], sink: MailSink, mail: Callable[..., None]
) -> None:
    mail("Small screen")
    ui = make_ui(sink, viewport=(390, 844))
    page = ui.open()
    ui.row("Small screen").click()
    expect(page.get_by_role("heading", name="Small screen")).to_be_visible()
    expect(page.get_by_role("grid", name="Messages")).to_be_hidden()
    page.get_by_role("button", name="Back to inbox").click()
    expect(ui.row("Small screen")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_smtp_errors_are_listed(make_ui: Callable[..., Ui]) -> None:
    with MailSink(store="memory", http=True, smtp_auth_required=True) as strict:
        ui = make_ui(strict)
        page = ui.open()
        with pytest.raises(smtplib.SMTPException):
            send(strict, simple_message("Refused"))
        errors_button = page.get_by_role("button", name=re.compile(r"SMTP errors \(1 new\)"))
        expect(errors_button).to_be_visible()
        errors_button.click()
        dialog = page.get_by_role("dialog", name="Recent SMTP errors")
        expect(dialog.get_by_role("row")).to_have_count(2)  # header + one error
        expect(dialog).to_contain_text("127.0.0.1")


def test_works_under_a_webroot(make_ui: Callable[..., Ui]) -> None:
    with MailSink(store="memory", http=True, webroot="/mail/") as rooted:
        assert rooted.url is not None
        assert rooted.url.endswith("/mail/")
        ui = make_ui(rooted)
        page = ui.open()
        send(rooted, simple_message("Under a prefix", html="<p>Prefixed <b>HTML</b></p>"))
        ui.row("Under a prefix").click()
        frame = page.get_by_title("HTML body")
        expect(frame).to_have_attribute("src", re.compile(r"/mail/view/\w+\.html"))
        expect(ui.html_body().get_by_text("Prefixed")).to_be_visible()
        expect(page.get_by_role("link", name="Download .eml")).to_have_attribute(
            "href", re.compile(r"/mail/api/v1/message/\w+/raw\?dl=1$")
        )


def test_reconnects_after_the_server_restarts(make_ui: Callable[..., Ui]) -> None:
    first = MailSink(store="memory", http=True).start()
    try:
        assert first.url is not None
        port = urlsplit(first.url).port
        ui = make_ui(first)
        page = ui.open()
        send(first, simple_message("Before restart"))
        expect(ui.row("Before restart")).to_be_visible()
    finally:
        first.stop()
    reconnecting = page.get_by_role("status").filter(has_text="Reconnecting")
    expect(reconnecting).to_be_visible()
    with MailSink(store="memory", http=True, listen=f"127.0.0.1:{port}") as second:
        send(second, simple_message("After restart"))
        expect(ui.row("After restart")).to_be_visible()
        expect(ui.row("Before restart")).to_have_count(0)  # the list was reloaded
        expect(reconnecting).to_have_count(0)


def test_release_relays_the_message_upstream(make_ui: Callable[..., Ui], tmp_path: Path) -> None:
    with MailSink(store="memory") as upstream:
        relay_config = tmp_path / "relay.json"
        relay_config.write_text(json.dumps({"host": upstream.host, "port": upstream.port}))
        with MailSink(store="memory", http=True, smtp_relay_config=relay_config) as relaying:
            send(relaying, simple_message("Please release"))
            ui = make_ui(relaying)
            page = ui.open()
            ui.row("Please release").click()
            page.get_by_role("button", name="Release", exact=True).click()
            dialog = page.get_by_role("dialog", name="Release message")
            expect(dialog.get_by_role("textbox")).to_have_value("user@example.com")
            dialog.get_by_role("textbox").fill("qa@example.com")
            dialog.get_by_role("button", name="Release").click()
            released_note = page.get_by_role("status").filter(has_text="Released to qa@example.com")
            expect(released_note).to_be_visible()
            expect(dialog).to_be_hidden()
            released = upstream.wait_for_one(to="qa@example.com", timeout=30)
            assert released.subject == "Please release"


def test_mark_selected_and_all_read(ui: Ui, mail: Callable[..., None]) -> None:
    for subject in ("One", "Two", "Three"):
        mail(subject)
    page = ui.open()
    expect(page).to_have_title(re.compile(r"^\(3\) mailsink"))
    page.get_by_role("checkbox", name="Select message: One").check()
    page.get_by_role("checkbox", name="Select message: Two").check()
    page.get_by_role("button", name="Mark read", exact=True).click()
    expect(ui.row("Unread, App: Three")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("^Unread"))).to_have_count(1)
    expect(page).to_have_title(re.compile(r"^\(1\) mailsink"))
    expect(page.get_by_role("checkbox", name="Select message: One")).not_to_be_checked()

    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_role("row", name=re.compile("^Unread"))).to_have_count(0)
    expect(page).to_have_title("mailsink")


def test_copy_link_opens_the_message(ui: Ui, mail: Callable[..., None]) -> None:
    ui.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    mail("Share me")
    page = ui.open()
    ui.row("Share me").click()
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("status").filter(has_text="Link copied")).to_be_visible()
    link = page.evaluate("navigator.clipboard.readText()")
    assert re.search(r"#/message/\w+$", link)

    fresh = ui.page.context.new_page()
    fresh.goto(link)
    expect(fresh.get_by_role("heading", name="Share me")).to_be_visible()
