"""The pytest plugin (entry point `pytest11: mailsink`; disable it with `-p no:mailsink`).

Here: options, the `mailsink` marker, and the "Captured mail" section of a failed test's report
(plus `--mailsink-dump`). The fixtures live in `fixtures.py`; every piece of state lives in
`config.stash` or the test item's stash, none in this module.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from pytest_mailsink.capture import CAPTURE_KEY, MailCapture
from pytest_mailsink.fixtures import mailsink, mailsink_address, mailsink_mailbox, mailsink_server
from pytest_mailsink.settings import SETTINGS_KEY, add_options, read_settings

__all__ = ["mailsink", "mailsink_address", "mailsink_mailbox", "mailsink_server"]  # fixtures

MARKER_HELP = (
    "mailsink(tls='starttls'|'implicit', auth_required=True, max_size=BYTES, ...): give this "
    "test its own sink with these options (mailsink.config.Config fields, smtp_ prefix optional)."
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[SETTINGS_KEY] = read_settings(config)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    capture = item.stash.get(CAPTURE_KEY, None)
    if report.failed and capture is not None and capture.readers and not capture.reported:
        capture.reported = True  # once per test, at its first failing phase
        report.sections.append((f"Captured mail {report.when}", _captured_mail(item, capture)))
    return report


def _captured_mail(item: pytest.Item, capture: MailCapture) -> str:
    from pytest_mailsink.report import captured_mail_section, dump_messages

    try:
        messages = capture.messages()
        directory = item.config.stash[SETTINGS_KEY].dump
        dumped = dump_messages(directory, item.nodeid, messages) if directory else []
        return captured_mail_section(messages, dumped)
    except Exception as error:  # the report must not hide the test's own failure
        return f"  (could not read the captured mail: {type(error).__name__}: {error})"
