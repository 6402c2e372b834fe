"""How the commands sit in the `mailsink` command line: dispatch, help, environment names."""

from __future__ import annotations

from types import ModuleType

import pytest

from mailsink.commands import dump, ingest
from mailsink.commands.sendmail import SMTP_ADDR_ENV, UsageError, parse_arguments
from tests.commands.conftest import mailsink_command


def test_the_server_help_names_the_commands() -> None:
    text = " ".join(mailsink_command("--help").stdout.decode().split())
    for command in ("mailsink sendmail", "mailsink ingest", "mailsink dump"):
        assert command in text


@pytest.mark.parametrize("module", [ingest, dump])
def test_command_help_documents_every_option(module: ModuleType) -> None:
    name = module.__name__.rsplit(".", 1)[1]
    result = mailsink_command(name, "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.decode().split())
    for option in module.OPTIONS:
        assert option.flag in text
        assert option.env in text
        assert option.env.startswith(f"MAILSINK_{name.upper()}_"), "never a server variable"
    assert "(default: " in text


def test_sendmail_help() -> None:
    result = mailsink_command("sendmail", "--help")
    assert result.returncode == 0
    text = result.stdout.decode()
    assert SMTP_ADDR_ENV in text
    assert "default: 127.0.0.1:1025" in text


def test_sendmail_arguments() -> None:
    request = parse_arguments(["-t", "-oi", "-r", "<me@x.test>", "--", "-odd@y.test"], {})
    assert request.recipients_from_headers
    assert not request.dot_ends_message
    assert request.sender == "me@x.test"
    assert request.recipients == ["-odd@y.test"]
    assert parse_arguments(["-f<>", "a@b"], {}).sender == "", "the null sender"
    from_env = parse_arguments(["a@b"], {SMTP_ADDR_ENV: "[::1]:2525"})
    assert (from_env.smtp_addr.host, from_env.smtp_addr.port) == ("::1", 2525)
    assert parse_arguments(["--smtp-addr=:26", "a@b"], {SMTP_ADDR_ENV: ":25"}).smtp_addr.port == 26
    with pytest.raises(UsageError, match="-f needs a value"):
        parse_arguments(["-f"], {})
