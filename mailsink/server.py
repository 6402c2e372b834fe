"""`Server`: the store, the SMTP listeners and the HTTP server in one event loop.

The CLI runs it in the main thread; `MailSink` runs it in a background thread. Everything is
bound before `start()` returns, so callers can read the real ports (port 0 = any free port).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mailsink.config import Config, HostPort, is_postgres_url
from mailsink.context import ListenAddress, SinkContext
from mailsink.events import Change, ChangeHub, ChangeKind
from mailsink.ingest import Ingest
from mailsink.mailboxes.retention import prune_mailboxes
from mailsink.mailboxes.router import MailboxRouter
from mailsink.mailboxes.rules import MailboxRules
from mailsink.relay.auto import AutoRelay, start_relay
from mailsink.smtp.service import SmtpService, start_smtp
from mailsink.stats import RuntimeStats
from mailsink.store.base import Store, StoreUnavailable
from mailsink.store.epoch import seq_epoch
from mailsink.store.memory import MemoryStore
from mailsink.webhooks import Webhooks, start_webhooks

if TYPE_CHECKING:
    import uvicorn
    from starlette.types import ASGIApp

    from mailsink.mailaccess.service import AccessService

log = logging.getLogger(__name__)
T = TypeVar("T")

# Retention runs this long after new mail arrives, so a burst of mail costs one prune, and at
# least this often when no mail arrives (for --max-age).
PRUNE_DELAY_SECONDS = 0.2
RETENTION_INTERVAL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class RunningHttp:
    """An HTTP server started by `Server`, with its socket and the task that runs it."""

    server: uvicorn.Server
    socket: socket.socket
    ticker: asyncio.Task[None]


def open_store(config: Config, hub: ChangeHub) -> tuple[Store, Path | None]:
    """The configured store, and a temporary directory to remove at stop (or None)."""
    if config.store == "memory":
        return MemoryStore(hub), None
    if is_postgres_url(config.database):
        return open_postgres_store(str(config.database), hub, config.database_pool_size), None
    from mailsink.store.sqlite import SqliteStore  # not imported by in-memory test sinks

    if config.database is not None:
        database = Path(config.database)
        database.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStore(database, hub), None
    scratch = Path(tempfile.mkdtemp(prefix="mailsink-"))
    return SqliteStore(scratch / "mailsink.db", hub), scratch


def open_postgres_store(url: str, hub: ChangeHub, pool_size: int) -> Store:
    try:
        from mailsink.store.postgres import PostgresStore
    except ModuleNotFoundError as error:
        raise StoreUnavailable(
            f"--database postgresql://… needs psycopg ({error}): install the postgres extra"
            " (pip install '.[postgres]' in mailsink's folder)"
        ) from None
    return PostgresStore(url, hub, pool_size=pool_size)


class Server:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.context: SinkContext | None = None
        self._scratch: Path | None = None
        self._smtp: SmtpService | None = None
        self._mail_access: list[AccessService] = []
        self._http_servers: list[RunningHttp] = []
        self._retention: asyncio.Task[None] | None = None
        self._auto_relay: AutoRelay | None = None
        self._webhooks: Webhooks | None = None
        self.mailbox_rules: MailboxRules | None = None

    @property
    def listeners(self) -> list[ListenAddress]:
        return self.context.listeners if self.context else []

    async def start(self) -> SinkContext:
        router = MailboxRouter.from_config(self.config)
        self.mailbox_rules = router.rules
        hub = ChangeHub()
        database = self.config.database
        epoch = None  # a PostgreSQL database keeps its own, the same for every node
        if not is_postgres_url(database):  # before the store creates a new file
            epoch = seq_epoch(Path(database) if database else None)
        store, self._scratch = open_store(self.config, hub)
        if epoch is None:
            epoch = getattr(store, "seq_epoch", None) or seq_epoch(None)
        stats = RuntimeStats()
        ingest = Ingest(store, stats, router)
        self.context = SinkContext(self.config, store, hub, ingest, stats, seq_epoch=epoch)
        try:
            self._auto_relay = start_relay(self.context)
            self._webhooks = start_webhooks(self.context)
            self._smtp = await start_smtp(self.context)
            await self._start_mail_access(self.context)
            if self.config.metrics or self.config.metrics_listen is not None:
                self._start_metrics()
            if self.config.listen is not None:
                from mailsink.web.app import create_app  # the HTTP stack only when served

                await self._serve_http(create_app(self.context), self.config.listen, "HTTP")
            if self.config.metrics_listen is not None:
                from mailsink.metrics import metrics_app

                assert self.context.metrics is not None
                app = metrics_app(self.context.metrics)
                await self._serve_http(app, self.config.metrics_listen, "Metrics")
            self._start_retention()
        except BaseException:
            await self.stop()
            raise
        return self.context

    async def _start_mail_access(self, context: SinkContext) -> None:
        """POP3 and IMAP, those configured; imported only then."""
        if context.config.pop3 or context.config.pop3s:
            from mailsink.pop3.service import start_pop3

            if service := await start_pop3(context):
                self._mail_access.append(service)
        if context.config.imap or context.config.imaps:
            from mailsink.imap.service import start_imap

            if service := await start_imap(context):
                self._mail_access.append(service)

    def _start_metrics(self) -> None:
        from mailsink.metrics import SinkMetrics  # prometheus-client only when asked for

        assert self.context is not None
        if self.config.metrics and self.config.listen is None:
            raise ValueError("--metrics serves /metrics on the HTTP listener: it needs --listen")
        self.context.metrics = SinkMetrics(self.context)

    async def _serve_http(self, app: ASGIApp, address: HostPort, kind: str) -> None:
        import uvicorn

        assert self.context is not None
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            ws="websockets-sansio",
            timeout_graceful_shutdown=3,
            server_header=False,
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        sock = bind_tcp(address)
        await server.startup(sockets=[sock])
        self._http_servers.append(
            RunningHttp(server, sock, asyncio.create_task(server.main_loop()))
        )
        host, port = sock.getsockname()[:2]
        self.context.listeners.append(ListenAddress(kind, host, port))

    def _start_retention(self) -> None:
        assert self.context is not None
        per_mailbox = self.mailbox_rules is not None and self.mailbox_rules.limits
        if self.config.max_messages or self.config.max_age_seconds or per_mailbox:
            self._retention = asyncio.create_task(self._retain(self.context))

    async def _retain(self, context: SinkContext) -> None:
        """Prune shortly after new mail arrives (one prune per burst), and at least every
        `RETENTION_INTERVAL_SECONDS` so that `--max-age` also ages out mail on an idle sink.
        The store's prune waits for its writer thread, so it runs off the event loop."""
        loop = asyncio.get_running_loop()
        arrived = asyncio.Event()

        def on_change(change: Change) -> None:
            if change.kind is ChangeKind.NEW:
                loop.call_soon_threadsafe(arrived.set)

        unsubscribe = context.hub.subscribe(on_change)
        try:
            while True:
                try:
                    await asyncio.to_thread(self._prune, context)
                except Exception:  # retention must not stop for good on one failure
                    log.exception("retention pruning failed")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RETENTION_INTERVAL_SECONDS):
                        await arrived.wait()
                await asyncio.sleep(PRUNE_DELAY_SECONDS)  # let the burst finish
                arrived.clear()
        finally:
            unsubscribe()

    def _prune(self, context: SinkContext) -> None:
        now = datetime.now(UTC)
        pruned = []
        if self.mailbox_rules is not None and self.mailbox_rules.limits:
            pruned += prune_mailboxes(context.store, self.mailbox_rules.limits, now)
        if self.config.max_messages or self.config.max_age_seconds:
            older_than = None
            if self.config.max_age_seconds:
                older_than = now - timedelta(seconds=self.config.max_age_seconds)
            pruned += context.store.prune(max_count=self.config.max_messages, older_than=older_than)
        if pruned:
            log.info("retention pruned %d message(s)", len(pruned))
            context.stats.messages_deleted += len(pruned)

    async def stop(self) -> None:
        """Stop accepting, let sessions in flight finish (or get 421), close the store."""
        if self._retention is not None:
            self._retention.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retention
        if self._smtp is not None:
            await self._smtp.stop()
        if self._auto_relay is not None:
            await self._auto_relay.close()
        for service in self._mail_access:
            await service.stop()
        self._mail_access = []
        if self._webhooks is not None:
            await self._webhooks.close()
        for running in self._http_servers:
            running.server.should_exit = True
            await running.ticker
            await running.server.shutdown(sockets=[running.socket])
        self._http_servers = []
        if self.context is not None:
            await self.context.checks.close()
            self.context.store.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        self._smtp = self._retention = self._auto_relay = None
        self._webhooks = None
        self._scratch = None


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on uvloop when it is installed (more SMTP throughput), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def bind_tcp(address: HostPort) -> socket.socket:
    """A listening socket on `address` (port 0 = any free port), IPv4 or IPv6."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.create_server((address.host, address.port), family=family, backlog=1024)
    # asyncio sets TCP_NODELAY only on sockets it created itself; without it every response on
    # a kept-alive connection waits out a 40 ms delayed ACK. Accepted sockets inherit it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock
