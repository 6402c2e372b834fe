"""The mailbox switcher: live counts and unread badges, the mailbox in the URL, a list and a
"delete all" limited to the mailbox shown."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mailsink import MailSink

from .conftest import Ui, send, simple_message

pytestmark = pytest.mark.browser

RULES = """
[[rule]]
rcpt = "*@a.test"
mailbox = "team-a"

[[rule]]
rcpt = "*@b.test"
mailbox = "team-b"
"""


@pytest.fixture
def teams(tmp_path: Path) -> Iterator[MailSink]:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    with MailSink(store="memory", http=True, mailbox_rules=rules) as running:
        yield running


def mail_to(sink: MailSink, subject: str, rcpt: str) -> None:
    send(sink, simple_message(subject, to=rcpt), to=(rcpt,))


def test_the_switcher_shows_one_mailbox_live_and_deletes_only_it(
    make_ui: Callable[..., Ui], teams: MailSink, screenshot_dir: Path
) -> None:
    mail_to(teams, "A one", "x@a.test")
    mail_to(teams, "B one", "y@b.test")
    ui = make_ui(teams)
    page = ui.open()
    switcher = page.get_by_role("navigation", name="Mailboxes")
    expect(
        switcher.get_by_role("button", name="All mailboxes: 2 messages, 2 unread")
    ).to_be_visible()

    switcher.get_by_role("button", name=re.compile(r"^team-a: ")).click()
    expect(page).to_have_url(re.compile(r"#/\?mb=team-a$"))
    expect(ui.row("A one")).to_be_visible()
    expect(ui.row("B one")).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^\(1\) mailsink"))

    mail_to(teams, "A two", "z@a.test")
    mail_to(teams, "B two", "w@b.test")
    expect(ui.row("A two")).to_be_visible()
    expect(switcher.get_by_role("button", name="team-a: 2 messages, 2 unread")).to_be_visible()
    expect(switcher.get_by_role("button", name="team-b: 2 messages, 2 unread")).to_be_visible()
    expect(ui.row("B two")).to_have_count(0)
    page.screenshot(path=screenshot_dir / "mailboxes-light.png")  # shown in the README

    ui.row("A two").click()
    expect(page.get_by_role("heading", name="A two")).to_be_visible()
    expect(switcher.get_by_role("button", name="team-a: 2 messages, 1 unread")).to_be_visible()
    expect(page).to_have_url(re.compile(r"mb=team-a"))

    page.keyboard.press("Escape")  # back to the list, in the same mailbox
    expect(page).to_have_url(re.compile(r"#/\?mb=team-a$"))
    page.get_by_role("button", name="Delete all").click()
    dialog = page.get_by_role("dialog", name="Delete all messages")
    expect(dialog).to_contain_text("in mailbox “team-a”")
    ui.answer_dialog("Delete all messages", "Delete")
    expect(ui.row("A one")).to_have_count(0)
    expect(switcher.get_by_role("button", name="team-b: 2 messages, 2 unread")).to_be_visible()

    page.goto(teams.url + "#/?mb=team-b")  # type: ignore[operator]
    expect(ui.row("B one")).to_be_visible()
    expect(ui.row("B two")).to_be_visible()
    switcher.get_by_role("button", name=re.compile(r"^All mailboxes")).click()
    expect(page).to_have_url(re.compile(r"#/$"))
    expect(ui.row("B one")).to_be_visible()
    assert [m.subject for m in teams.messages] == ["B one", "B two"]


def test_a_sink_with_one_mailbox_shows_no_switcher(ui: Ui, mail: Callable[..., None]) -> None:
    mail("Only one")
    page = ui.open()
    expect(ui.row("Only one")).to_be_visible()
    expect(page.get_by_role("navigation", name="Mailboxes")).to_be_hidden()
