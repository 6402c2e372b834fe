"""Schemathesis against `/api/v1/openapi.json` on a live server: requests generated from the
document, valid and invalid, never get a 500, and every response matches the document (status
code, content type, body schema). A small profile runs in the normal suite, a larger one under
`slow`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mailsink import MailSink
from tests.builders import compose, hostile_message, newsletter, send_over_smtp

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FAST = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
THOROUGH = settings(FAST, max_examples=100)


@pytest.fixture(scope="module")
def live_sink() -> Iterator[MailSink]:
    """A sink holding a few messages, so that generated IDs sometimes meet real ones."""
    with MailSink(store="memory", http=True) as sink:
        for message in (compose("plain"), newsletter(), hostile_message()):
            send_over_smtp(sink, message)
        yield sink


@pytest.fixture
def api_schema(live_sink: MailSink) -> schemathesis.BaseSchema:
    """The live document; the MailHog event stream never ends, so no response to it can be
    checked."""
    assert live_sink.url is not None
    schema = schemathesis.openapi.from_url(live_sink.url + "api/v1/openapi.json", timeout=30)
    schema.config.base_url = live_sink.url
    return schema.exclude(path="/mailhog/api/v1/events")


def bounded(case: schemathesis.Case) -> schemathesis.Case:
    """The case, asking a long poll to wait at most a second (it waits as long as asked)."""
    if case.path == "/api/v1/wait" and isinstance(case.query, dict):
        try:
            too_long = float(case.query.get("timeout", 30)) > 1
        except (TypeError, ValueError):
            too_long = False
        if too_long:
            case.query["timeout"] = 1
    return case


def check_every_operation(schema: schemathesis.BaseSchema, profile: settings) -> None:
    """Generate cases for each operation in turn and check each answer. (Not schemathesis's
    pytest plugin: it reaches into pytest internals that pytest 9.2 removed.)"""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the document lists fewer operations than the API serves"
    for operation in operations:

        @profile
        @given(case=operation.as_strategy())
        def answers_as_documented(case: schemathesis.Case) -> None:
            bounded(case).call_and_validate(checks=CHECKS, timeout=60)

        answers_as_documented()


def test_the_api_answers_as_documented(api_schema: schemathesis.BaseSchema) -> None:
    check_every_operation(api_schema, FAST)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_api_answers_as_documented_thoroughly(api_schema: schemathesis.BaseSchema) -> None:
    check_every_operation(api_schema, THOROUGH)
