"""`mailsink sendmail`, run as a subprocess against a real sink, by hand and by PHP and git."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailsink import MailSink
from tests.commands.conftest import mailsink_command, smtp_addr, stored_messages

MESSAGE = (
    b"From: App <app@example.com>\n"
    b"To: Alice <alice@example.com>\n"
    b"Cc: bob@example.com\n"
    b"Bcc: carol@example.com\n"
    b"Subject: Welcome\n"
    b"\n"
    b"Hello\n"
    b".\n"
    b"after the dot\n"
)


def recipients(message: dict[str, object]) -> list[str]:
    envelope = message["Message"]["Envelope"]  # type: ignore[index]
    return [r["Address"] for r in envelope["RcptTo"]]


def test_t_reads_recipients_from_to_cc_and_bcc_and_keeps_the_message(sink: MailSink) -> None:
    result = mailsink_command("sendmail", "-t", "-i", "--smtp-addr", smtp_addr(sink), stdin=MESSAGE)
    assert result.returncode == 0, result.stderr
    sink.wait_for_one()
    [message] = stored_messages(sink)
    assert recipients(message) == ["alice@example.com", "bob@example.com", "carol@example.com"]
    assert message["Message"]["Envelope"]["MailFrom"] == "app@example.com"
    assert message["Raw"] == MESSAGE.replace(b"\n", b"\r\n"), "only line endings change"
    assert message["Bcc"] == [{"Name": "", "Address": "carol@example.com"}]


def test_without_i_a_single_dot_ends_the_message_and_f_sets_the_sender(sink: MailSink) -> None:
    result = mailsink_command(
        "sendmail", "-f", "bounce@example.com", "dave@example.com", stdin=MESSAGE,
        env={"MAILSINK_SENDMAIL_SMTP_ADDR": smtp_addr(sink)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    message = sink.wait_for_one()
    assert message.envelope.mail_from == "bounce@example.com"
    assert message.envelope.rcpt_tos == ["dave@example.com"], "without -t the headers are not read"
    assert message.raw.endswith(b"Hello\r\n")


@pytest.mark.parametrize("flag", ["-i", "-oi"])
def test_i_and_oi_keep_a_dot_line(sink: MailSink, flag: str) -> None:
    result = mailsink_command("sendmail", flag, "--smtp-addr", smtp_addr(sink), "x@example.com",
                              stdin=MESSAGE)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sink.wait_for_one().raw.endswith(b"Hello\r\n.\r\nafter the dot\r\n")


def test_cron_style_flags_are_accepted(sink: MailSink) -> None:
    args = ["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "-odi", "-N", "never", "root"]
    result = mailsink_command("sendmail", *args, "--smtp-addr", smtp_addr(sink), stdin=MESSAGE)
    assert result.returncode == 0, result.stderr
    assert sink.wait_for_one().envelope.rcpt_tos == ["root"]


@pytest.mark.parametrize(
    ("args", "status", "reason"),
    [
        ([], os.EX_USAGE, "no recipients"),
        (["-q", "a@example.com"], os.EX_USAGE, "unknown option -q"),
        (["-bp"], os.EX_USAGE, "only -bm"),
        (["--smtp-addr", "nowhere", "a@example.com"], os.EX_USAGE, "HOST:PORT"),
    ],
)
def test_usage_errors_exit_64(args: list[str], status: int, reason: str) -> None:
    result = mailsink_command("sendmail", *args, stdin=b"Subject: x\n\nx\n")
    assert result.returncode == status
    assert reason in result.stderr.decode().splitlines()[-1]


def test_an_unreachable_sink_exits_69(refusing_addr: str) -> None:
    result = mailsink_command(
        "sendmail", "--smtp-addr", refusing_addr, "a@example.com", stdin=b"x\n"
    )
    assert result.returncode == os.EX_UNAVAILABLE
    assert f"cannot reach the sink at {refusing_addr}" in result.stderr.decode()


@pytest.mark.parametrize(
    ("trigger", "status"),
    [
        ("Recipient:451:100", os.EX_TEMPFAIL),
        ("Recipient:550:100", os.EX_NOUSER),
        ("Sender:553:100", os.EX_DATAERR),
        ("Sender:421:100", os.EX_TEMPFAIL),
    ],
)
def test_refusals_map_to_sendmail_exit_statuses(trigger: str, status: int) -> None:
    with MailSink(enable_chaos=True, chaos_triggers=trigger) as chaotic:
        result = mailsink_command(
            "sendmail", "--smtp-addr", smtp_addr(chaotic), "a@example.com", stdin=MESSAGE
        )
        assert result.returncode == status, result.stderr
        assert trigger.split(":")[1] in result.stderr.decode()
        assert chaotic.messages == []


def test_bs_speaks_smtp_on_standard_input_and_output(sink: MailSink) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "mailsink", "sendmail", "-bs", "--smtp-addr", smtp_addr(sink)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    to_sendmail, from_sendmail = process.stdin, process.stdout
    assert to_sendmail is not None
    assert from_sendmail is not None

    def reply() -> str:
        """The last line of the next reply (multi-line replies have `-` after the code)."""
        while (line := from_sendmail.readline().decode()) and line[3:4] == "-":
            pass
        return line

    def say(text: bytes) -> str:
        to_sendmail.write(text)
        to_sendmail.flush()
        return reply()

    try:
        assert reply().startswith("220 ")
        assert say(b"EHLO client.example\r\n").startswith("250 ")
        assert say(b"MAIL FROM:<a@example.com>\r\n").startswith("250 ")
        assert say(b"RCPT TO:<b@example.com>\r\n").startswith("250 ")
        assert say(b"DATA\r\n").startswith("354 ")
        assert say(b"Subject: over -bs\r\n\r\nhi\r\n.\r\n").startswith("250 ")
        assert say(b"QUIT\r\n").startswith("221 ")
        assert process.wait(timeout=60) == 0
    finally:
        process.kill()
        process.communicate()
    message = sink.wait_for_one(subject="over -bs")
    assert message.envelope.helo == "client.example"


def test_bs_greets_with_421_when_the_sink_is_unreachable(refusing_addr: str) -> None:
    result = mailsink_command("sendmail", "-bs", "--smtp-addr", refusing_addr)
    assert result.returncode == os.EX_UNAVAILABLE
    assert result.stdout.startswith(b"421 ")


@pytest.fixture
def sendmail_link(tmp_path: Path) -> Path:
    """The installed `mailsink` script under the name `sendmail`."""
    script = shutil.which("mailsink")
    if script is None:
        pytest.skip("the mailsink console script is not installed")
    link = tmp_path / "sendmail"
    link.symlink_to(script)
    return link


def test_installed_as_sendmail_it_is_the_sendmail_command(
    sink: MailSink, sendmail_link: Path
) -> None:
    result = subprocess.run(
        [str(sendmail_link), "-t", "--smtp-addr", smtp_addr(sink)],
        input=MESSAGE,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert sink.wait_for_one().subject == "Welcome"


def sendmail_command_line(sink: MailSink, *flags: str) -> str:
    return shlex.join(
        [sys.executable, "-m", "mailsink", "sendmail", *flags, "--smtp-addr", smtp_addr(sink)]
    )


@pytest.mark.skipif(shutil.which("php") is None, reason="php-cli is not installed")
def test_php_mail_delivers_through_sendmail_path(sink: MailSink) -> None:
    script = (
        'exit(mail("alice@example.com", "From PHP", "Hello from PHP\\n.\\nstill here",'
        ' "From: php@example.com\\r\\nBcc: audit@example.com") ? 0 : 1);'
    )
    sendmail_path = sendmail_command_line(sink, "-t", "-i")
    result = subprocess.run(
        ["php", "-n", "-d", f"sendmail_path={sendmail_path}", "-r", script],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    message = sink.wait_for_one(subject="From PHP")
    assert message.envelope.rcpt_tos == ["alice@example.com", "audit@example.com"]
    assert message.envelope.mail_from == "php@example.com"
    assert message.text is not None
    assert "Hello from PHP\n.\nstill here" in message.text.replace("\r\n", "\n")


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=120, check=True
    )


@pytest.mark.skipif(
    b"send-email" not in subprocess.run(["git", "send-email", "-h"], capture_output=True).stdout,
    reason="git send-email (Debian package git-email) is not installed",
)
def test_git_send_email_delivers_a_patch(sink: MailSink, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "feature.txt").write_text("the feature\n")
    git(repo, "add", "feature.txt")
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.com",
        "commit", "-q", "-m", "Add the feature")  # fmt: skip
    patch = git(repo, "format-patch", "-1", "-o", str(tmp_path / "out")).stdout.strip()
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Dev", "-c", "user.email=dev@example.com",
         "send-email", "--confirm=never", "--no-validate", "--to=list@example.com",
         f"--sendmail-cmd={sendmail_command_line(sink, '-i')}", patch],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    message = sink.wait_for_one(to="list@example.com")
    assert message.subject == "[PATCH] Add the feature"
    assert message.envelope.mail_from == "dev@example.com"
    assert b"+the feature" in message.raw
