"""The fixtures: `mailsink_server` (session), `mailsink` (per test), `mailsink_address` and
`mailsink_mailbox`.

mailsink itself is imported inside the fixtures, never at module level: pytest imports plugins
before coverage starts and before any test runs, so a run that uses no fixture pays nothing.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from pytest_mailsink.capture import capture_of
from pytest_mailsink.settings import (
    DEFAULT_HOST,
    DEFAULT_REMOTE_SMTP_PORT,
    SETTINGS_KEY,
    Settings,
    worker_id,
)

if TYPE_CHECKING:
    from mailsink.config import HostPort
    from mailsink.sink import MailSink
    from pytest_mailsink.remote import RemoteSink
    from pytest_mailsink.view import SinkView

# RFC 5322 dot-atom: what a local part may be without quoting.
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_TLS_MODES = ("starttls", "implicit")


class AddressFactory(Protocol):
    """What `mailsink_address` gives: `mailsink_address("alice")` → an address."""

    def __call__(self, local_part: str = "user") -> str: ...


def _announce(config: pytest.Config, text: str) -> None:
    """Print past pytest's output capturing, as live logging does. An xdist worker's terminal
    output is swallowed, but its stderr reaches the terminal, so a worker writes there."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    worker = worker_id(config)
    with capture.global_and_fixture_disabled():
        if worker is None:
            reporter.write_line(text)
        else:
            print(f"[{worker}] {text}", file=sys.stderr, flush=True)


def _host_port(host: str, port: int) -> HostPort:
    from mailsink.config import HostPort

    return HostPort(host, port)


@pytest.fixture(scope="session")
def mailsink_server(pytestconfig: pytest.Config) -> Iterator[MailSink | RemoteSink]:
    """The session's sink: in memory, on free ports, one per xdist worker; with
    `--mailsink-url`, the remote sink there."""
    settings = pytestconfig.stash[SETTINGS_KEY]
    if settings.url is not None:
        from urllib.parse import urlsplit

        from pytest_mailsink.remote import RemoteSink

        remote = RemoteSink(
            settings.url,
            smtp_host=settings.host or urlsplit(settings.url).hostname or DEFAULT_HOST,
            smtp_port=settings.port or DEFAULT_REMOTE_SMTP_PORT,
            timeout=settings.timeout,
        )
        remote.check_reachable()
        yield remote
        return

    from mailsink.sink import MailSink

    smtp = _host_port(
        settings.host or DEFAULT_HOST, settings.smtp_port_for_worker(worker_id(pytestconfig))
    )
    with MailSink(
        store="memory",
        http=settings.ui,
        timeout=settings.timeout,
        smtp=smtp,
        smtp_hostname=settings.hostname,
    ) as sink:
        if sink.url is not None:
            _announce(pytestconfig, f"mailsink UI: {sink.url}")
        yield sink


def _marker_options(marker: pytest.Mark, settings: Settings) -> dict[str, Any]:
    """`MailSink` keyword arguments from `@pytest.mark.mailsink(...)`.

    Besides `tls`, a key is a `Config` field with or without its `smtp_` prefix:
    `auth_required=True` is `smtp_auth_required=True`, `max_size=…` is `smtp_max_size=…`.
    """
    from mailsink.config import Config

    if marker.args:
        pytest.fail(
            f"@pytest.mark.mailsink takes keyword arguments only, got {marker.args!r}",
            pytrace=False,
        )
    fields = {f.name for f in dataclasses.fields(Config)}
    host = settings.host or DEFAULT_HOST
    options: dict[str, Any] = {"smtp": _host_port(host, 0), "smtp_hostname": settings.hostname}
    for key, value in marker.kwargs.items():
        if key == "tls":
            if value not in (*_TLS_MODES, None):
                pytest.fail(
                    f"@pytest.mark.mailsink: tls must be one of {_TLS_MODES}, got {value!r}",
                    pytrace=False,
                )
            if value is not None:
                options.setdefault("smtp_tls_cert", "auto")
            if value == "implicit":
                options["smtps"] = _host_port(host, 0)
        elif key == "http":
            options["http"] = bool(value)
        elif f"smtp_{key}" in fields:
            options[f"smtp_{key}"] = value
        elif key in fields:
            options[key] = value
        else:
            pytest.fail(
                f"@pytest.mark.mailsink: unknown option {key!r}; options are tls, http "
                f"and mailsink.config.Config's fields: {', '.join(sorted(fields))}",
                pytrace=False,
            )
    return options


@pytest.fixture
def mailsink(
    request: pytest.FixtureRequest, mailsink_server: MailSink | RemoteSink
) -> Iterator[SinkView]:
    """This test's mail: empty when the test starts, whatever other tests sent.

    With `@pytest.mark.mailsink(...)` the test gets its own sink with those options.
    (`mailsink_server` is a parameter even then: asking for it by name per test, with
    `request.getfixturevalue`, would cost every test more than the session sink costs once.)
    """
    settings = request.config.stash[SETTINGS_KEY]
    capture = capture_of(request.node)
    marker = request.node.get_closest_marker("mailsink")
    if marker is None:
        view = _session_view(mailsink_server, request)
        capture.readers.append(lambda: view.messages)
        yield view
        return

    from mailsink.sink import MailSink
    from pytest_mailsink.view import local_view

    options = _marker_options(marker, settings)
    with MailSink(
        store="memory", http=options.pop("http", False), timeout=settings.timeout, **options
    ) as own_sink:
        view = local_view(own_sink, settings.timeout)
        reader = len(capture.readers)
        capture.readers.append(lambda: view.messages)
        try:
            yield view
        finally:
            # The sink stops now; the failure report reads what it held.
            held = view.messages
            capture.readers[reader] = lambda: held


def _session_view(server: MailSink | RemoteSink, request: pytest.FixtureRequest) -> SinkView:
    """A test that uses `mailsink_mailbox` sees only its mailbox, from the start; on a shared
    sink, one that uses `mailsink_address` only mail of its domain, and the others only the
    session's mailbox (`--mailsink-mailbox`), if there is one."""
    from mailsink.sink import MailSink
    from pytest_mailsink.view import local_view

    capture = capture_of(request.node)
    own_mailbox = capture.mailbox if "mailsink_mailbox" in request.fixturenames else None
    if isinstance(server, MailSink):
        return local_view(server, server.timeout, own_mailbox, fresh=own_mailbox is not None)
    uses_addresses = "mailsink_address" in request.fixturenames
    settings = request.config.stash[SETTINGS_KEY]
    mailbox = own_mailbox or settings.mailbox_for_worker(worker_id(request.config))
    return server.view(
        capture.domain if uses_addresses else None,
        mailbox,
        fresh=uses_addresses or own_mailbox is not None,
    )


@pytest.fixture
def mailsink_address(request: pytest.FixtureRequest) -> AddressFactory:
    """Make addresses unique to this test: `mailsink_address("alice")` →
    `alice@test-name-3f9c0a7e.mailsink.test`. On a remote sink they keep tests apart."""
    capture = capture_of(request.node)

    def address(local_part: str = "user") -> str:
        if not _LOCAL_PART.fullmatch(local_part):
            raise ValueError(
                f"expected a local part such as 'alice' or 'first.last+tag' (no @, spaces or "
                f"quotes), got {local_part!r}"
            )
        return f"{local_part}@{capture.domain}"

    return address


@pytest.fixture
def mailsink_mailbox(request: pytest.FixtureRequest) -> str:
    """A mailbox name unique to this test (`test-name-3f9c0a7e`); the `mailsink` view then
    shows only that mailbox. Mail goes there when sent as SMTP user `mailbox:NAME` (any
    password; `mailsink.smtp_user`) or with an `X-Mailsink-Mailbox: NAME` header, which keeps
    tests apart on a shared remote sink even when they send to the same addresses."""
    return capture_of(request.node).mailbox
