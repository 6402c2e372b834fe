"""Mail filed into mailboxes end to end: real SMTP clients into a running sink, read back
through the Python API; the rules file at start, per-mailbox retention, the CLI's flags."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from mailsink import MailSink
from mailsink.config import HostPort
from mailsink.events import Change, ChangeKind
from mailsink.mailboxes.rules import MailboxRulesError
from tests.builders import send_over_smtp as send
from tests.conftest import run_cli
from tests.smtp.harness import client_tls_context

RAW = b"From: app@shop.test\r\nSubject: hi\r\n\r\nbody\r\n"


def rules_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def test_a_message_to_two_teams_is_stored_once_per_mailbox_with_exact_bytes(
    tmp_path: Path,
) -> None:
    rules = rules_file(
        tmp_path,
        '[[rule]]\nrcpt = "*@a.test"\nmailbox = "team-a"\n'
        '[[rule]]\nrcpt = "*@b.test"\nmailbox = "team-b"\n',
    )
    raw = b"Subject: both\r\nX-Odd:  kept   as is \r\n\r\nbare\nLF and . dots\r\n"
    with MailSink(mailbox_rules=str(rules)) as sink:
        send(sink, raw, to=["x@a.test", "y@b.test", "z@a.test"])
        team_a, team_b = sink.mailbox("team-a"), sink.mailbox("team-b")
        [in_a] = team_a.wait_for(1)
        [in_b] = team_b.wait_for(1)
        assert in_a.id != in_b.id
        assert in_a.raw == in_b.raw == raw
        assert (in_a.mailbox, in_b.mailbox) == ("team-a", "team-b")
        assert in_a.envelope.rcpt_tos == ["x@a.test", "y@b.test", "z@a.test"]
        assert len(sink.messages) == 2
        assert sink.mailbox("default").messages == []


def test_auth_user_and_listener_rules_over_smtp_and_smtps(tmp_path: Path) -> None:
    rules = rules_file(
        tmp_path,
        '[[rule]]\nauth_user = "ci-*"\nmailbox = "{user}"\n'
        '[[rule]]\nlistener = "smtps"\nmailbox = "secure"\n',
    )
    with MailSink(
        mailbox_rules=rules, smtps=HostPort("127.0.0.1", 0), smtp_tls_cert="auto"
    ) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
            client.login("ci-17", "secret")
            client.sendmail("a@x.test", ["b@x.test"], RAW)
        assert sink.smtps_port is not None
        with smtplib.SMTP_SSL(
            sink.host, sink.smtps_port, timeout=30, context=client_tls_context()
        ) as client:
            client.sendmail("a@x.test", ["b@x.test"], RAW)
        send(sink, RAW)
        assert [m.mailbox for m in sink.wait_for(3)] == ["ci-17", "secure", "default"]


def test_a_sink_limited_to_one_mailbox_waits_and_clears_only_there() -> None:
    with MailSink(mailbox="mine") as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
            client.sendmail("a@x.test", ["b@x.test"], b"Subject: other\r\n\r\nx\r\n")
            client.login("mailbox:mine", "anything")
            client.sendmail("a@x.test", ["b@x.test"], b"Subject: mine\r\n\r\nx\r\n")
        assert sink.wait_for_one().subject == "mine"
        assert [m.subject for m in sink.messages] == ["mine"]
        everything = sink.mailbox("default")
        assert [m.subject for m in everything.messages] == ["other"]
        sink.clear()
        assert sink.messages == []
        assert [m.subject for m in everything.messages] == ["other"], "other mailboxes kept"
        sink.assert_no_mail(within=0.1)


def test_client_choice_can_be_turned_off() -> None:
    with MailSink(mailbox_from_client=False) as sink:
        send(sink, b"X-Mailsink-Mailbox: chosen\r\nSubject: s\r\n\r\nx\r\n")
        assert sink.wait_for_one().mailbox == "default"


def test_a_bad_rules_file_stops_the_sink_at_start(tmp_path: Path) -> None:
    rules = rules_file(tmp_path, '[[rule]]\nrcpt = "*"\nmailbox = "bad name"\n')
    with pytest.raises(MailboxRulesError, match=r"rule 1 \(line 1\): mailbox 'bad name'"):
        MailSink(mailbox_rules=rules).start()


def test_each_mailbox_keeps_its_own_retention(tmp_path: Path) -> None:
    rules = rules_file(
        tmp_path,
        '[[rule]]\nrcpt = "*@small.test"\nmailbox = "small"\n\n[mailbox.small]\nmax = 2\n',
    )
    with MailSink(mailbox_rules=rules) as sink:
        small = sink.mailbox("small")
        pruned = threading.Event()

        def on_change(change: Change) -> None:
            if change.kind is ChangeKind.PRUNE and change.mailbox == "small":
                pruned.set()

        sink.context.hub.subscribe(on_change)
        for n in range(4):
            send(sink, f"Subject: small {n}\r\n\r\nx\r\n".encode(), to=["u@small.test"])
            send(sink, f"Subject: big {n}\r\n\r\nx\r\n".encode(), to=["u@big.test"])
        assert pruned.wait(30), "no PRUNE of the small mailbox within 30 s"
        small.wait_for(2)
        assert [m.subject for m in small.messages] == ["small 2", "small 3"]
        assert len(sink.mailbox("default").messages) == 4, "no limit on the default mailbox"


def test_the_cli_refuses_a_bad_rules_file_in_one_line(tmp_path: Path) -> None:
    rules = rules_file(tmp_path, '[[rule]]\nrcpt = "a@x"\nmailbox = "x"\nsender = "b"\n')
    result = subprocess.run(
        [sys.executable, "-m", "mailsink", "--mailbox-rules", str(rules)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"mailsink: error: --mailbox-rules: {rules}: rule 1 (line 1):")
    assert "unknown key 'sender'" in last


def test_the_cli_takes_rules_from_the_environment(tmp_path: Path) -> None:
    rules = rules_file(tmp_path, '[[rule]]\nrcpt = "*@a.test"\nmailbox = "team-a"\n')
    env = {"MAILSINK_MAILBOX_RULES": str(rules), "MAILSINK_STORE": "memory"}
    with run_cli("--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0", env=env) as cli:
        with smtplib.SMTP(*cli.smtp, timeout=30) as client:
            client.sendmail("a@x.test", ["x@a.test"], RAW)
        listed = httpx.get(cli.url + "api/v1/mailboxes", timeout=30).json()
    assert [(m["Name"], m["Total"]) for m in listed] == [("default", 0), ("team-a", 1)]
