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
        self,
        sink: SinkAddress,
        source: MessageSource,
        *,
        after_seq: int,
        timeout: float,
        mailbox: str | None = None,
    ) -> None:
        super().__init__(source, after_seq=after_seq, timeout=timeout, mailbox=mailbox)
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

    @property
    def smtp_user(self) -> str | None:
        """The SMTP AUTH user that files mail in this view's mailbox (any password does), when
        the view has one: `mailbox:NAME`."""
        return None if self.mailbox_name is None else f"mailbox:{self.mailbox_name}"

    def mailbox(self, name: str) -> SinkView:
        """A view of mailbox `name` only, starting where this view starts."""
        return SinkView(
            self._sink, self.source, after_seq=self._floor, timeout=self.timeout, mailbox=name
        )

    def __repr__(self) -> str:
        where = f" mailbox {self.mailbox_name}" if self.mailbox_name else ""
        return f"<mailsink view of {self.host}:{self.port}{where}>"


def local_view(
    sink: MailSink, timeout: float, mailbox: str | None = None, *, fresh: bool = False
) -> SinkView:
    """A view of an in-process sink that sees what arrives from now on (from the start when
    `fresh`: the mailbox is the test's own)."""
    source = sink.source  # the sink's own source: one store subscription and cache per sink
    floor = 0 if fresh else source.last_seq()
    return SinkView(sink, source, after_seq=floor, timeout=timeout, mailbox=mailbox)
