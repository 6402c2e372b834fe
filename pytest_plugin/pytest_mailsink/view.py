"""The `mailsink` fixture's object: a `MailView` that also tells where to send mail."""

from __future__ import annotations

from typing import Protocol

from mailsink.sink import MailSink, MailView, MessageSource


class SinkAddress(Protocol):
    """Where a sink listens: `MailSink` and the remote sink both have these."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def smtps_port(self) -> int | None: ...
    @property
    def url(self) -> str | None: ...


class SinkView(MailView):
    """A view of one sink that starts empty, with the sink's `host`, `port`, `smtps_port` and
    `url`, so a test configures its app from the fixture alone (docs/interface.md, pytest
    plugin)."""

    def __init__(
        self, sink: SinkAddress, source: MessageSource, *, after_seq: int, timeout: float
    ) -> None:
        super().__init__(source, after_seq=after_seq, timeout=timeout)
        self._sink = sink

    @property
    def host(self) -> str:
        return self._sink.host

    @property
    def port(self) -> int:
        return self._sink.port

    @property
    def smtps_port(self) -> int | None:
        return self._sink.smtps_port

    @property
    def url(self) -> str | None:
        return self._sink.url

    def __repr__(self) -> str:
        return f"<mailsink view of {self.host}:{self.port}>"


def local_view(sink: MailSink, timeout: float) -> SinkView:
    """A view of an in-process sink that sees what arrives from now on."""
    source = sink.source  # the sink's own source: one store subscription and cache per sink
    return SinkView(sink, source, after_seq=source.last_seq(), timeout=timeout)
