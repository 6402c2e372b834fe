"""Options and ini keys, `--help`, the registered marker, lazy import and `-p no:mailsink`."""

from __future__ import annotations

import socket

import pytest

from tests.plugin.conftest import run_inner

OPTIONS = (
    "--mailsink-host",
    "--mailsink-port",
    "--mailsink-timeout",
    "--mailsink-hostname",
    "--mailsink-url",
    "--mailsink-ui",
    "--mailsink-dump",
)
INI_KEYS = ("mailsink_host", "mailsink_port", "mailsink_timeout", "mailsink_hostname")


def test_help_documents_every_option_and_ini_key(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    help_text = result.stdout.str()
    for name in (*OPTIONS, *INI_KEYS):
        assert name in help_text, name
    result.stdout.fnmatch_lines(["mailsink: assert on the mail your code sends:"])


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.mailsink(tls='starttls'|'implicit', *"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_ini_values_and_command_line_overrides(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.makeini(
        """
        [pytest]
        mailsink_timeout = 0.25
        mailsink_hostname = from-ini.test
        """
    )
    inner.makepyfile(
        test_inner="""
        import os
        import smtplib


        def test_settings(mailsink, mailsink_server):
            assert mailsink.timeout == float(os.environ["EXPECTED_TIMEOUT"])
            assert mailsink_server.port == int(os.environ["EXPECTED_PORT"] or mailsink_server.port)
            with smtplib.SMTP(mailsink.host, mailsink.port, timeout=30) as client:
                assert os.environ["EXPECTED_HOSTNAME"].encode() in client.ehlo()[1]
        """
    )
    monkeypatch.setenv("EXPECTED_TIMEOUT", "0.25")
    monkeypatch.setenv("EXPECTED_HOSTNAME", "from-ini.test")
    monkeypatch.setenv("EXPECTED_PORT", "")
    run_inner(inner).assert_outcomes(passed=1)

    port = free_port()
    monkeypatch.setenv("EXPECTED_TIMEOUT", "7")
    monkeypatch.setenv("EXPECTED_HOSTNAME", "from-flag.test")
    monkeypatch.setenv("EXPECTED_PORT", str(port))
    run_inner(
        inner,
        "--mailsink-timeout=7",
        "--mailsink-hostname=from-flag.test",
        f"--mailsink-port={port}",
        "--mailsink-host=127.0.0.1",
    ).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ("--mailsink-timeout=soon",),
            "mailsink_timeout: expected a number from 0 to 3600, got 'soon'",
        ),
        (
            ("--mailsink-port=70000",),
            "mailsink_port: expected a number from 0 to 65535, got '70000'",
        ),
        (
            ("--mailsink-url=localhost:8025",),
            "--mailsink-url: expected an http:// or https:// URL, got 'localhost:8025'",
        ),
        (
            ("--mailsink-url=http://127.0.0.1:1/", "--mailsink-ui"),
            "--mailsink-ui serves a local sink; *",
        ),
    ],
)
def test_bad_values_stop_the_run_with_one_line(
    pytester: pytest.Pytester, args: tuple[str, ...], error: str
) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = run_inner(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {error}"])


def test_ui_is_served_when_asked_and_its_url_printed(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_inner="""
        import urllib.request


        def test_ui(mailsink):
            with urllib.request.urlopen(mailsink.url + "api/v1/messages", timeout=30) as answer:
                assert answer.status == 200
        """
    )
    result = run_inner(inner, "--mailsink-ui")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["mailsink UI: http://127.0.0.1:*/"])
    in_a_worker = run_inner(inner, "--mailsink-ui", "-n", "2")
    in_a_worker.assert_outcomes(passed=1)
    in_a_worker.stderr.fnmatch_lines(["[[]gw?[]] mailsink UI: http://127.0.0.1:*/"])


def test_a_run_without_the_fixtures_never_imports_mailsink(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys


        def test_nothing_imported(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("mailsink")
            assert not [m for m in sys.modules if m == "mailsink" or m.startswith("mailsink.")]
        """
    )
    run_inner(pytester).assert_outcomes(passed=1)


def test_p_no_mailsink_disables_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest


        def test_without_plugin(pytestconfig):
            assert not pytestconfig.pluginmanager.has_plugin("mailsink")


        def test_fixture_is_gone(mailsink):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:mailsink", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'mailsink' not found*"])
    help_text = pytester.runpytest_subprocess("-p", "no:mailsink", "--help").stdout.str()
    assert "--mailsink-url" not in help_text
