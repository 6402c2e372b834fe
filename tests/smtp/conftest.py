"""Fixtures of the SMTP tests: sinks started on demand, and a raw client past EHLO."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .harness import RawClient, RunningSmtp


@pytest.fixture
def make_sink() -> Iterator[Callable[..., RunningSmtp]]:
    """Factory: `make_sink(smtp_auth_required=True, ...)` starts a sink with these options."""
    started: list[RunningSmtp] = []

    def make(**options: Any) -> RunningSmtp:
        sink = RunningSmtp(**options)
        started.append(sink)
        return sink

    yield make
    for sink in started:
        sink.close()


@pytest.fixture
def sink(make_sink: Callable[..., RunningSmtp]) -> RunningSmtp:
    return make_sink()


@pytest.fixture
def raw_client(sink: RunningSmtp) -> Iterator[RawClient]:
    """A raw client connected to `sink`, past the greeting and EHLO."""
    with RawClient(sink.host, sink.port) as client:
        assert client.reply().startswith("220 ")
        assert client.command("EHLO client.example").startswith("250-")
        yield client
