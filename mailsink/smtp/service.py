"""The SMTP listeners: bind them, run a session per connection, stop them gracefully.

`start_smtp` binds with `loop.create_server` and reads the port from the socket (aiosmtpd 1.4.6's
`Controller` cannot bind port 0), sets up TLS and chaos on the context, and returns the
`SmtpService` whose `stop` lets transactions in flight finish before it answers `421`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

from mailsink.chaos import ChaosTriggers
from mailsink.config import HostPort
from mailsink.context import ListenAddress, SinkContext
from mailsink.smtp.auth import Credentials
from mailsink.smtp.session import SessionPool, SmtpSession
from mailsink.stats import Refusal
from mailsink.tls import configured_context, implicit_context

log = logging.getLogger(__name__)

# After `421`, how long closing sessions get to flush before their connections are aborted.
CLOSE_FLUSH_SECONDS = 1.0


class SmtpService:
    def __init__(
        self,
        servers: list[asyncio.Server],
        pool: SessionPool,
    ) -> None:
        self._servers = servers
        self._pool = pool

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting. Idle sessions get `421` at once; a session in a transaction gets
        `grace` seconds to finish it (its `250` is sent), then `421`. Returns once every
        connection is closed and every session task has ended."""
        for server in self._servers:
            server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while True:
            for session in list(self._pool.active):
                if not session.in_transaction():
                    session.shut_down()
            remaining = deadline - loop.time()
            if not self._pool.busy() or remaining <= 0:
                break
            await self._pool_changed(remaining)
        for session in list(self._pool.active):
            session.shut_down()
        flush_deadline = loop.time() + CLOSE_FLUSH_SECONDS
        while self._pool.active and (remaining := flush_deadline - loop.time()) > 0:
            await self._pool_changed(remaining)
        for session in list(self._pool.active):
            session.abort()
        await asyncio.gather(*self._pool.tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()

    async def _pool_changed(self, timeout: float) -> None:
        """Wait until a session ends a transaction or disconnects, or `timeout` passes."""
        self._pool.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._pool.changed.wait(), timeout)


async def start_smtp(context: SinkContext) -> SmtpService:
    """Bind the SMTP listener (and the implicit-TLS one, if configured) and start serving."""
    config = context.config
    starttls = configured_context(config)
    if config.smtp_require_starttls and starttls is None:
        raise ValueError("--smtp-require-starttls needs --smtp-tls-cert (a PEM file, or auto)")
    if config.enable_chaos:
        context.chaos = ChaosTriggers.from_spec(config.chaos_triggers)
    pool = SessionPool(context, Credentials.from_config(config), starttls)
    servers: list[asyncio.Server] = []
    try:
        servers.append(await _listen(pool, "SMTP", config.smtp, None))
        if config.smtps is not None:
            servers.append(await _listen(pool, "SMTPS", config.smtps, implicit_context(starttls)))
    except BaseException:
        for server in servers:
            server.close()
        raise
    return SmtpService(servers, pool)


async def _listen(
    pool: SessionPool, kind: str, address: HostPort, tls: ssl.SSLContext | None
) -> asyncio.Server:
    config = pool.context.config
    loop = asyncio.get_running_loop()

    def new_connection() -> asyncio.Protocol:
        if config.smtp_max_connections and len(pool.active) >= config.smtp_max_connections:
            return _TooManyConnections(pool)
        return SmtpSession(pool, implicit_tls=tls is not None)

    server = await loop.create_server(
        new_connection, address.host, address.port, ssl=tls, backlog=1024, reuse_address=True
    )
    for sock in server.sockets:
        host, port = sock.getsockname()[:2]
        pool.context.listeners.append(ListenAddress(kind, host, port))
    return server


class _TooManyConnections(asyncio.Protocol):
    """Answers a connection over `--smtp-max-connections` with `421` and closes it."""

    def __init__(self, pool: SessionPool) -> None:
        self._pool = pool

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        limit = self._pool.context.config.smtp_max_connections
        self._pool.report(
            transport.get_extra_info("peername"),
            f"connection refused: already {limit} connections",
            Refusal.TOO_MANY_CONNECTIONS,
        )
        hostname = self._pool.context.config.smtp_hostname
        transport.write(f"421 4.7.0 {hostname} Error: too many connections\r\n".encode())
        transport.close()
