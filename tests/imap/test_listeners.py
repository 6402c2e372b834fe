"""The POP3 and IMAP listeners from the command line: flags, environment, listening lines."""

from __future__ import annotations

import imaplib
import poplib

from mailsink.cli import config_from
from mailsink.config import HostPort
from tests.conftest import run_cli
from tests.mail_clients import TIMEOUT


def test_flags_and_environment() -> None:
    config = config_from(
        ["--pop3", "127.0.0.1:1110", "--imaps", "[::1]:1993"],
        {"MAILSINK_IMAP": ":1143", "MAILSINK_POP3_AUTH_FILE": "/etc/users"},
    )
    assert config.pop3 == HostPort("127.0.0.1", 1110)
    assert config.imap == HostPort("127.0.0.1", 1143)
    assert config.imaps == HostPort("::1", 1993)
    assert str(config.pop3_auth_file) == "/etc/users"
    assert config.pop3s is None


def test_the_command_prints_where_pop3_and_imap_listen() -> None:
    args = ["--store", "memory", "--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0"]
    args += ["--pop3", "127.0.0.1:0", "--pop3s", "127.0.0.1:0", "--imap", "127.0.0.1:0"]
    args += ["--imaps", "127.0.0.1:0"]
    with run_cli(*args) as running:
        assert {"POP3", "POP3S", "IMAP", "IMAPS"} <= running.listening.keys()
        host, _, port = running.listening["POP3"].rpartition(":")
        pop3 = poplib.POP3(host, int(port), timeout=TIMEOUT)
        assert pop3.getwelcome().startswith(b"+OK")
        pop3.quit()
        host, _, port = running.listening["IMAP"].rpartition(":")
        imap = imaplib.IMAP4(host, int(port), timeout=TIMEOUT)
        assert "IMAP4REV1" in imap.capabilities
        imap.logout()
        assert running.stop() == 0
