"""The Python API: `MailSink` runs a sink in a background thread; `MailView` asserts on its mail.

    with MailSink() as sink:
        smtplib.SMTP(sink.host, sink.port).sendmail("a@x", ["b@y"], b"Subject: hi\\r\\n\\r\\nhi")
        message = sink.wait_for_one(to="b@y")

Waits block on the store's change events (a condition variable), never on sleep-polling.
A view sees only messages whose Seq is above its floor, so the pytest plugin gives each test an
empty view of one shared sink; `clear()` on a view raises its floor, on `MailSink` deletes mail.
A view can also be limited to one mailbox: `MailSink(mailbox="team-a")`, or
`sink.mailbox("team-a")` for a view of that mailbox beside the others.

Exceptions: `MailTimeout` (an `AssertionError`) when a wait runs out; `AssertionError` from the
`assert_*` methods; `RuntimeError` when the sink cannot start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self

from mailsink.checks.settings import CheckSettings
from mailsink.config import Config, HostPort, parse_host_port, parse_webroot
from mailsink.context import SinkContext
from mailsink.events import Change, ChangeKind
from mailsink.mailboxes.names import check_mailbox_name
from mailsink.matching import FilterArgs, MessageFilter, explain_arrivals
from mailsink.message.captured import CapturedMessage
from mailsink.server import Server, run_event_loop
from mailsink.store.search import narrowed_to_mailbox

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack for **kwargs is Python 3.12+

DEFAULT_TIMEOUT = 5.0
MAIL_ACCESS_LISTENERS = ("pop3", "pop3s", "imap", "imaps")


class MailTimeout(AssertionError):
    """A wait ran out; the text names the filters and lists what did arrive."""


class MessageSource(Protocol):
    """Where a view's messages come from: the in-process store, or a remote sink's HTTP API.
    `mailbox` limits each call to one mailbox (None: every mailbox)."""

    def messages_after(self, seq: int, mailbox: str | None = None) -> list[CapturedMessage]:
        """Messages with Seq above `seq`, oldest first."""
        ...

    def last_seq(self, mailbox: str | None = None) -> int:
        """The highest Seq stored so far (0 when none); an upper bound is fine."""
        ...

    def wait_for_new(self, after_seq: int, timeout: float, mailbox: str | None = None) -> None:
        """Return once a message with Seq above `after_seq` may exist, or after `timeout` s."""
        ...


class StoreSource:
    """The in-process source: reads the store, wakes on its NEW events."""

    def __init__(self, context: SinkContext) -> None:
        self._store = context.store
        self._check_settings = CheckSettings.from_config(context.config)
        self._cache: dict[str, CapturedMessage] = {}
        self._newest = threading.Condition()
        self._newest_seq = self._peek_last_seq()
        context.hub.subscribe(self._on_change)

    def _peek_last_seq(self) -> int:
        newest = self._store.search(limit=1)
        return newest[0].seq if newest else 0

    def _on_change(self, change: Change) -> None:
        if change.kind is ChangeKind.NEW and change.message is not None:
            with self._newest:
                self._newest_seq = max(self._newest_seq, change.message.seq)
                self._newest.notify_all()
        elif change.kind is ChangeKind.TRUNCATE:
            self._cache.clear()
        elif change.kind in (ChangeKind.DELETE, ChangeKind.PRUNE):
            for message_id in change.ids:
                self._cache.pop(message_id, None)

    def messages_after(self, seq: int, mailbox: str | None = None) -> list[CapturedMessage]:
        found = []
        query = narrowed_to_mailbox(None, mailbox)
        for stored in self._store.search(query, after_seq=seq, oldest_first=True, limit=None):
            message = self._cache.get(stored.id)
            if message is None:
                raw = self._store.raw(stored.id)
                if raw is None:  # deleted meanwhile
                    continue
                message = self._cache[stored.id] = CapturedMessage.from_stored(
                    stored, raw, self._check_settings
                )
            found.append(message)
        return found

    def last_seq(self, mailbox: str | None = None) -> int:
        with self._newest:
            return self._newest_seq

    def wait_for_new(self, after_seq: int, timeout: float, mailbox: str | None = None) -> None:
        with self._newest:
            self._newest.wait_for(lambda: self._newest_seq > after_seq, timeout)


class MailView:
    """Messages above a Seq floor, of one mailbox or all, with filters, waits and assertions
    (docs/interface.md, Python API)."""

    def __init__(
        self,
        source: MessageSource,
        *,
        after_seq: int = 0,
        timeout: float = DEFAULT_TIMEOUT,
        mailbox: str | None = None,
    ) -> None:
        self._source = source
        self._floor = after_seq
        self.timeout = timeout
        self.mailbox_name = None if mailbox is None else check_mailbox_name(mailbox)

    @property
    def source(self) -> MessageSource:
        """Where this view's messages come from; other views of the same mail can share it."""
        return self._source

    @property
    def messages(self) -> list[CapturedMessage]:
        """This view's messages, oldest first."""
        return self._source.messages_after(self._floor, self.mailbox_name)

    def mailbox(self, name: str) -> MailView:
        """A view of mailbox `name` only, starting where this view starts."""
        return MailView(self._source, after_seq=self._floor, timeout=self.timeout, mailbox=name)

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[CapturedMessage]:
        return iter(self.messages)

    @property
    def last(self) -> CapturedMessage:
        messages = self.messages
        if not messages:
            raise AssertionError("no mail has arrived")
        return messages[-1]

    def filter(self, **filters: Unpack[FilterArgs]) -> list[CapturedMessage]:
        flt = MessageFilter(**filters)
        return [m for m in self.messages if flt.matches(m)]

    def wait_for(
        self,
        count: int = 1,
        timeout: float | None = None,
        **filters: Unpack[FilterArgs],
    ) -> list[CapturedMessage]:
        """Block until at least `count` messages match; return the first `count` of them."""
        flt = MessageFilter(**filters)
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            newest = self._source.last_seq(self.mailbox_name)
            messages = self.messages
            matched = [m for m in messages if flt.matches(m)]
            if len(matched) >= count:
                return matched[:count]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MailTimeout(
                    f"expected {count} message(s) matching {flt.describe()} within {limit:g} s, "
                    f"got {len(matched)}; {len(messages)} arrived:\n"
                    + explain_arrivals(flt, messages)
                )
            self._source.wait_for_new(newest, remaining, self.mailbox_name)

    def wait_for_one(
        self, timeout: float | None = None, **filters: Unpack[FilterArgs]
    ) -> CapturedMessage:
        return self.wait_for(1, timeout, **filters)[0]

    async def wait_for_async(
        self, count: int = 1, timeout: float | None = None, **filters: Unpack[FilterArgs]
    ) -> list[CapturedMessage]:
        """`wait_for` for code on an event loop (the loop keeps running while it waits)."""
        return await asyncio.to_thread(self.wait_for, count, timeout, **filters)

    def assert_sent(
        self, count: int | None = None, timeout: float | None = None, **filters: Unpack[FilterArgs]
    ) -> list[CapturedMessage]:
        """Wait for matching mail; with `count`, also fail if more than `count` matched."""
        self.wait_for(count or 1, timeout, **filters)
        matched = self.filter(**filters)
        if count is not None and len(matched) != count:
            flt = MessageFilter(**filters)
            raise AssertionError(
                f"expected exactly {count} message(s) matching {flt.describe()}, "
                f"got {len(matched)}:\n" + explain_arrivals(MessageFilter(), matched)
            )
        return matched

    def assert_no_mail(self, within: float = 0.5, **filters: Unpack[FilterArgs]) -> None:
        """Fail if matching mail is here or arrives within `within` seconds."""
        try:
            found = self.wait_for(1, within, **filters)
        except MailTimeout:
            return
        raise AssertionError(
            f"expected no mail matching {MessageFilter(**filters).describe()}, got:\n"
            + explain_arrivals(MessageFilter(), found)
        )

    def clear(self) -> None:
        """Forget the mail seen so far: the view starts empty again (others are unaffected)."""
        self._floor = self._source.last_seq(self.mailbox_name)


def _config_from(store: str, http: bool, options: dict[str, Any]) -> Config:
    """Config for an embedded sink: free ports on 127.0.0.1 unless options say otherwise."""
    fields = {f.name for f in dataclasses.fields(Config)}
    unknown = sorted(set(options) - fields)
    if unknown:
        raise TypeError(f"unknown MailSink option(s): {', '.join(unknown)}")
    values: dict[str, Any] = {
        "smtp": HostPort("127.0.0.1", 0),
        "listen": HostPort("127.0.0.1", 0) if http else None,
        "store": store,
        **options,
    }
    for name in (
        "smtp",
        "smtps",
        "listen",
        "spamassassin",
        "metrics_listen",
        *MAIL_ACCESS_LISTENERS,
    ):
        if isinstance(values.get(name), str):
            values[name] = parse_host_port(values[name])
        elif values.get(name) is True and name in MAIL_ACCESS_LISTENERS:  # a free port
            values[name] = HostPort("127.0.0.1", 0)
    if isinstance(values.get("dns_override"), str):
        values["dns_override"] = Path(values["dns_override"])
    values["webroot"] = parse_webroot(values.get("webroot", "/"))
    if isinstance(values.get("mailbox_rules"), str):
        values["mailbox_rules"] = Path(values["mailbox_rules"])
    return Config(**values)


class MailSink(MailView):
    """A whole sink (SMTP, store and optionally HTTP) in a background thread.

    Every listener is bound before `start()` (or `__enter__`) returns. Options are `Config`
    field names, e.g. `MailSink(smtp_auth_required=True, smtp_tls_cert="auto")`; the POP3 and
    IMAP listeners take an address or True for a free port: `MailSink(pop3=True, imap=True)`.
    With `mailbox=NAME`, the sink's own view (`messages`, `wait_for`, `clear` …) is that
    mailbox's. The store is in memory, unless `database=` names a SQLite file or a
    postgresql:// URL (`store="memory"` with a database is refused, as on the command line).
    """

    def __init__(
        self,
        *,
        store: str | None = None,
        http: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        mailbox: str | None = None,
        **options: Any,
    ) -> None:
        has_database = options.get("database") is not None
        if store == "memory" and has_database:
            raise ValueError("store='memory' keeps nothing on disk: drop it, or drop database=")
        self.config = _config_from(store or ("sqlite" if has_database else "memory"), http, options)
        self.timeout = timeout
        self.mailbox_name = None if mailbox is None else check_mailbox_name(mailbox)
        self._server: Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("this MailSink is already running")
        started: Future[SinkContext] = Future()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name="mailsink", daemon=True
        )
        self._thread.start()
        try:
            context = started.result()
        except BaseException:
            self._thread.join()
            self._thread = None
            raise
        super().__init__(StoreSource(context), timeout=self.timeout, mailbox=self.mailbox_name)
        self._context = context
        return self

    def _run(self, started: Future[SinkContext]) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stopped = asyncio.Event()
            self._server = Server(self.config)
            try:
                context = await self._server.start()
            except BaseException as exc:
                started.set_exception(exc)
                return
            started.set_result(context)
            await self._stopped.wait()
            await self._server.stop()

        run_event_loop(main())

    def stop(self) -> None:
        """Stop the sink: sessions in flight finish, the store closes."""
        if self._thread is None:
            return
        assert self._loop is not None
        assert self._stopped is not None
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _listener(self, kind: str) -> tuple[str, int] | None:
        for listener in self._context.listeners:
            if listener.kind == kind:
                return listener.host, listener.port
        return None

    def _port(self, kind: str) -> int | None:
        found = self._listener(kind)
        return found[1] if found else None

    @property
    def context(self) -> SinkContext:
        """The running parts (store, change hub, …), for code that extends the sink."""
        return self._context

    @property
    def host(self) -> str:
        return self._listener("SMTP")[0]  # type: ignore[index]

    @property
    def port(self) -> int:
        return self._listener("SMTP")[1]  # type: ignore[index]

    @property
    def smtps_port(self) -> int | None:
        return self._port("SMTPS")

    @property
    def pop3_port(self) -> int | None:
        return self._port("POP3")

    @property
    def pop3s_port(self) -> int | None:
        return self._port("POP3S")

    @property
    def imap_port(self) -> int | None:
        return self._port("IMAP")

    @property
    def imaps_port(self) -> int | None:
        return self._port("IMAPS")

    @property
    def url(self) -> str | None:
        found = self._listener("HTTP")
        if found is None:
            return None
        host = f"[{found[0]}]" if ":" in found[0] else found[0]
        return f"http://{host}:{found[1]}{self.config.webroot}"

    def view(self) -> MailView:
        """A view (of this sink's mailbox, if it has one) that starts empty now and sees what
        arrives from here on."""
        return MailView(
            self._source,
            after_seq=self._source.last_seq(),
            timeout=self.timeout,
            mailbox=self.mailbox_name,
        )

    def clear(self) -> None:
        """Delete every stored message (of this sink's mailbox, if it has one)."""
        self._context.store.delete_all(self.mailbox_name)
