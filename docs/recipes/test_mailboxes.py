"""Recipe: mailboxes. One sink shared by two teams, each reading only its own mail; and a test
that keeps its mail apart with its own mailbox, which is what makes parallel CI jobs safe on one
shared remote sink (`pytest -n 4 --mailsink-url http://sink:8025/ --mailsink-port 1025`).

Without a rules file, a client picks its mailbox: SMTP AUTH as `mailbox:NAME` (any password),
or an `X-Mailsink-Mailbox: NAME` header. With `mailsink --mailbox-rules rules.toml`, the rules
decide (first match wins), e.g. by recipient domain as below.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from mailsink import MailSink
from pytest_mailsink import SinkView

TWO_TEAMS = """
[[rule]]
rcpt = "*@team-a.test"
mailbox = "team-a"

[[rule]]
domain = "team-b.test"      # recipient or sender domain
mailbox = "team-b"

[mailbox.team-b]
max = 500                   # team B keeps its newest 500 messages
"""


def notify(smtp: tuple[str, int], to: str, subject: str, *, login: str | None = None) -> None:
    """The application under test: sends one notification, logging in if configured to."""
    message = EmailMessage()
    message["From"] = "notifications@app.test"
    message["To"] = to
    message["Subject"] = subject
    message.set_content("Something happened.")
    with smtplib.SMTP(*smtp, timeout=30) as client:
        if login is not None:
            client.login(login, "any password")
        client.send_message(message)


def test_two_teams_share_one_sink(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(TWO_TEAMS)
    with MailSink(mailbox_rules=rules) as sink:  # as `mailsink --mailbox-rules rules.toml`
        smtp = (sink.host, sink.port)
        notify(smtp, "ann@team-a.test", "Build 41 passed")
        notify(smtp, "bob@team-b.test", "Invoice ready")
        team_a, team_b = sink.mailbox("team-a"), sink.mailbox("team-b")
        assert team_a.wait_for_one().subject == "Build 41 passed"
        assert [m.subject for m in team_b.wait_for(1)] == ["Invoice ready"]
        assert [m.subject for m in team_a.messages] == ["Build 41 passed"]


def test_a_test_with_its_own_mailbox(mailsink: SinkView, mailsink_mailbox: str) -> None:
    # Asking for `mailsink_mailbox` limits `mailsink` to that mailbox: mail that other tests
    # (or other CI jobs on a shared remote sink) send, even to the same address, is not seen.
    smtp = (mailsink.host, mailsink.port)
    notify(smtp, "ops@example.com", "Someone else's")
    notify(smtp, "ops@example.com", "Disk almost full", login=mailsink.smtp_user)
    assert mailsink.smtp_user == f"mailbox:{mailsink_mailbox}"
    assert mailsink.wait_for_one().subject == "Disk almost full"
    assert [m.subject for m in mailsink.messages] == ["Disk almost full"]
