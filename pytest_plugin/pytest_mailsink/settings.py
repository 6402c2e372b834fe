"""The plugin's options: each from the command line, else the ini file, else its default.

They are resolved once, in `pytest_configure`, into one frozen `Settings` kept in `config.stash`
(the plugin keeps no module-level state), so a bad value stops the run before any test with a
one-line error instead of failing every test that uses a fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEFAULT_HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 5.0
DEFAULT_HOSTNAME = "mailsink"
# A remote sink's SMTP port when --mailsink-port does not name it: the CLI's default.
DEFAULT_REMOTE_SMTP_PORT = 1025

# (name, metavar, help); each is both `--mailsink-NAME` and the ini key `mailsink_NAME`.
_SHARED_OPTIONS = (
    (
        "host",
        "HOST",
        f"SMTP address the session's sink binds (default {DEFAULT_HOST}); with --mailsink-url, "
        "the remote sink's SMTP host (default: the URL's host).",
    ),
    (
        "port",
        "PORT",
        "SMTP port of the session's sink (default 0: any free port; a fixed port P gives xdist "
        f"worker gwN the port P+N); with --mailsink-url, the remote sink's SMTP port "
        f"(default {DEFAULT_REMOTE_SMTP_PORT}).",
    ),
    (
        "timeout",
        "SECONDS",
        f"default timeout of wait_for/wait_for_one/assert_sent (default {DEFAULT_TIMEOUT:g}).",
    ),
    ("hostname", "NAME", f"name the sink gives in its SMTP greeting (default {DEFAULT_HOSTNAME})."),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mailsink", "mailsink: assert on the mail your code sends")
    for name, metavar, help_text in _SHARED_OPTIONS:
        group.addoption(
            f"--mailsink-{name}",
            dest=f"mailsink_{name}",
            metavar=metavar,
            default=None,
            help=f"{help_text} ini: mailsink_{name}.",
        )
        parser.addini(f"mailsink_{name}", help_text, default=None)
    group.addoption(
        "--mailsink-url",
        dest="mailsink_url",
        metavar="URL",
        default=None,
        help="remote mode: run the fixtures against the mailsink at URL (its HTTP API, e.g. "
        "http://127.0.0.1:8025/) instead of starting one; tests are kept apart by the addresses "
        "from mailsink_address.",
    )
    group.addoption(
        "--mailsink-mailbox",
        dest="mailsink_mailbox",
        metavar="NAME",
        default=None,
        help="remote mode: the session's tests read only mailbox NAME of the remote sink, and "
        "send into it as SMTP user mailbox:NAME; {worker} in NAME is the xdist worker (gw0, …; "
        "main without xdist), e.g. ci-1234-{worker}. ini: mailsink_mailbox.",
    )
    parser.addini(
        "mailsink_mailbox", "remote mode: the mailbox the session reads (see --mailsink-mailbox)"
    )
    group.addoption(
        "--mailsink-ui",
        dest="mailsink_ui",
        action="store_true",
        default=False,
        help="also serve the web UI of the session's sink and print its URL.",
    )
    group.addoption(
        "--mailsink-dump",
        dest="mailsink_dump",
        metavar="DIR",
        default=None,
        help="write the mail of each failed test into DIR as .eml files.",
    )


@dataclass(frozen=True, slots=True)
class Settings:
    host: str | None  # None: the default (local: 127.0.0.1, remote: the URL's host)
    port: int | None  # None: the default (local: 0, remote: 1025)
    timeout: float
    hostname: str
    url: str | None
    ui: bool
    dump: Path | None
    mailbox: str | None = None  # remote mode: the session's mailbox, {worker} not yet filled

    def mailbox_for_worker(self, worker_id: str | None) -> str | None:
        """The session's mailbox with `{worker}` filled in (None when there is none)."""
        if self.mailbox is None:
            return None
        return self.mailbox.replace("{worker}", worker_id or "main")

    def smtp_port_for_worker(self, worker_id: str | None) -> int:
        """A fixed port shifted by the xdist worker's number, so workers never clash."""
        if not self.port:
            return 0
        if worker_id and worker_id.startswith("gw") and worker_id[2:].isdigit():
            return self.port + int(worker_id[2:])
        return self.port


SETTINGS_KEY = pytest.StashKey[Settings]()


def _value(config: pytest.Config, name: str) -> Any:
    given = config.getoption(f"mailsink_{name}")
    return given if given is not None else config.getini(f"mailsink_{name}")


def _number(
    config: pytest.Config, name: str, kind: type[int] | type[float], low: float, high: float
) -> Any:
    text = _value(config, name)
    if text in (None, ""):
        return None
    try:
        number = kind(str(text).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise pytest.UsageError(
            f"mailsink_{name}: expected a number from {low:g} to {high:g}, got {text!r}"
        )
    return number


def read_settings(config: pytest.Config) -> Settings:
    """`Settings` from the command line and ini file; `pytest.UsageError` on a bad value."""
    timeout = _number(config, "timeout", float, 0, 3600)
    url = config.getoption("mailsink_url")
    if url is not None and not url.startswith(("http://", "https://")):
        raise pytest.UsageError(f"--mailsink-url: expected an http:// or https:// URL, got {url!r}")
    if url is not None and config.getoption("mailsink_ui"):
        raise pytest.UsageError(
            "--mailsink-ui serves a local sink; it cannot go with --mailsink-url"
        )
    dump = config.getoption("mailsink_dump")
    mailbox = _value(config, "mailbox") or None
    if mailbox is not None:
        from mailsink.mailboxes.names import is_mailbox_name

        if not is_mailbox_name(mailbox.replace("{worker}", "gw0")):
            raise pytest.UsageError(
                "mailsink_mailbox: expected a mailbox name of 1 to 64 letters, digits, '.', '_'"
                f" or '-' (and {{worker}}), got {mailbox!r}"
            )
    return Settings(
        host=_value(config, "host") or None,
        port=_number(config, "port", int, 0, 65535),
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        hostname=_value(config, "hostname") or DEFAULT_HOSTNAME,
        url=url,
        ui=config.getoption("mailsink_ui"),
        dump=Path(dump).expanduser().absolute() if dump else None,
        mailbox=mailbox,
    )


def worker_id(config: pytest.Config) -> str | None:
    """The pytest-xdist worker's id ("gw0", …), or None outside xdist.

    Read from the config, not from $PYTEST_XDIST_WORKER, which a pytest run started from inside
    an xdist worker inherits without being a worker itself."""
    workerinput = getattr(config, "workerinput", None)
    return None if workerinput is None else str(workerinput["workerid"])
