"""A real SMTP sink for the SMTP tests: `start_smtp` on its own event loop in a thread, over the
real `MemoryStore` (or `SqliteStore`) and `Ingest`, on free ports; and a raw-socket client for
exact byte tests."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from mailsink.config import Config, HostPort
from mailsink.context import SinkContext
from mailsink.events import Change, ChangeHub, ChangeKind, SmtpIncident
from mailsink.ingest import Ingest
from mailsink.mailboxes.router import MailboxRouter
from mailsink.relay.auto import AutoRelay, start_relay
from mailsink.smtp.service import SmtpService, start_smtp
from mailsink.stats import RuntimeStats
from mailsink.store.base import Store, StoredMessage
from mailsink.store.memory import MemoryStore
from mailsink.store.sqlite import SqliteStore

T = TypeVar("T")
WAIT_SECONDS = 30.0


class RunningSmtp:
    """The SMTP service of one sink, with what a test needs to look at its store and events."""

    def __init__(self, *, database: Path | None = None, **options: Any) -> None:
        """`database`: a SQLite file to store in (the memory store without it)."""
        options.setdefault("smtp", HostPort("127.0.0.1", 0))
        self.config = Config(listen=None, store="memory", **options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-test-loop")
        self._changed = threading.Condition()
        self.incidents: list[SmtpIncident] = []
        hub = ChangeHub()
        hub.subscribe(self._on_change)
        self.store: Store = MemoryStore(hub) if database is None else SqliteStore(database, hub)
        stats = RuntimeStats()
        ingest = Ingest(self.store, stats, MailboxRouter.from_config(self.config))
        self.context = SinkContext(self.config, self.store, hub, ingest, stats)
        self._thread.start()
        try:
            self.auto_relay = self.call(self._start_relay())
            self.service: SmtpService = self.call(start_smtp(self.context))
        except BaseException:
            self._close_loop()
            raise
        self._stopped = False

    async def _start_relay(self) -> AutoRelay | None:
        return start_relay(self.context)  # needs the sink's running loop

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = WAIT_SECONDS) -> T:
        """Run `coroutine` on the sink's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _on_change(self, change: Change) -> None:
        with self._changed:
            if change.kind is ChangeKind.ERROR and change.error is not None:
                self.incidents.append(change.error)
            self._changed.notify_all()

    def address(self, kind: str = "SMTP") -> tuple[str, int]:
        for listener in self.context.listeners:
            if listener.kind == kind:
                return listener.host, listener.port
        raise LookupError(f"no {kind} listener")

    @property
    def host(self) -> str:
        return self.address()[0]

    @property
    def port(self) -> int:
        return self.address()[1]

    def messages(self) -> list[StoredMessage]:
        return self.store.search(limit=None, oldest_first=True)

    def raws(self) -> list[bytes]:
        return [self.store.raw(m.id) or b"" for m in self.messages()]

    def wait_for(self, condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
        """Block until `condition()` holds; woken by the change events, never by polling."""
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise AssertionError(f"condition not met within {timeout} s")

    def wait_for_messages(self, count: int) -> list[StoredMessage]:
        self.wait_for(lambda: self.store.count().total >= count)
        return self.messages()

    def wait_for_incident(self, text: str) -> SmtpIncident:
        self.wait_for(lambda: any(text in i.message for i in self.incidents))
        return next(i for i in self.incidents if text in i.message)

    def stop(self, grace: float = 5.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            self.call(self.service.stop(grace))
            if self.auto_relay is not None:
                self.call(self.auto_relay.close())
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        self.call(self._loop.shutdown_default_executor())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT_SECONDS)
        self._loop.close()

    def close(self) -> None:
        """Stop if still running, and close the store."""
        self.stop()
        self.store.close()


class RawClient:
    """A plain socket speaking SMTP byte for byte, for what smtplib will not send."""

    def __init__(self, host: str, port: int, *, tls: bool = False) -> None:
        sock = socket.create_connection((host, port), timeout=WAIT_SECONDS)
        if tls:
            sock = client_tls_context().wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> str:
        """The next complete reply (all lines of a multi-line one), without the final CRLF."""
        lines = []
        while True:
            line = self._line()
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return "\r\n".join(lines)

    def replies(self, count: int) -> list[str]:
        return [self.reply() for _ in range(count)]

    def command(self, line: str | bytes) -> str:
        self.send((line.encode() if isinstance(line, str) else line) + b"\r\n")
        return self.reply()

    def _line(self) -> str:
        while b"\r\n" not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; unread: {self._buffer!r}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line.decode("utf-8", "replace")

    def closed_by_server(self) -> bool:
        """True once the server has closed the connection (reads to the end)."""
        try:
            while chunk := self.sock.recv(65536):
                self._buffer += chunk
        except ConnectionResetError:
            pass
        return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def client_tls_context() -> ssl.SSLContext:
    """Clients trust the sink's self-signed certificate in these tests."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


MakeSink = Callable[..., RunningSmtp]
