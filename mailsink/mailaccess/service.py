"""The listeners of one mail-reading protocol: a session task per connection, stopped together.

A session is a coroutine function taking the connection's `LineStream`; it returns when the
client logs out or goes away. At stop, each open connection is sent the protocol's goodbye
line and closed, and its session cancelled: nothing a session left undone (POP3 deletions
before QUIT) happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from mailsink.config import HostPort
from mailsink.context import ListenAddress, SinkContext
from mailsink.mailaccess.login import LoginPolicy
from mailsink.mailaccess.stream import ClientGone, LineStream
from mailsink.tls import configured_context, implicit_context

log = logging.getLogger(__name__)

Session = Callable[[LineStream], Awaitable[None]]
# A protocol's session on one connection, given the sink, the login policy, the STARTTLS
# context (None: not offered, or the connection is encrypted already) and the connection.
SessionFactory = Callable[
    [SinkContext, LoginPolicy, ssl.SSLContext | None, LineStream], Awaitable[None]
]


@dataclass(frozen=True, slots=True)
class AccessProtocol:
    """What differs between POP3 and IMAP for listening: names, limits, the session."""

    kind: str  # "POP3": listeners are "POP3" and "POP3S"
    auth_flag: str  # "--pop3-auth-file"
    goodbye: bytes  # the line an open connection gets when the sink stops
    idle_timeout: float
    line_limit: int
    session: SessionFactory


class AccessService:
    def __init__(self, goodbye: bytes, idle_timeout: float, line_limit: int) -> None:
        self._goodbye = goodbye
        self._idle_timeout = idle_timeout
        self._line_limit = line_limit
        self._servers: list[asyncio.Server] = []
        self._sessions: dict[asyncio.Task[None], LineStream] = {}

    async def listen(
        self,
        context: SinkContext,
        kind: str,
        address: HostPort,
        tls: ssl.SSLContext | None,
        session: Session,
    ) -> None:
        """Bind `address` (port 0 = any free port) and serve `session` on each connection."""

        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            stream = LineStream(reader, writer, self._idle_timeout)
            task = asyncio.current_task()
            assert task is not None
            self._sessions[task] = stream
            try:
                await session(stream)
            except (ClientGone, asyncio.CancelledError):
                # Cancelled only by `stop`: end quietly, as asyncio's stream server logs a
                # cancelled connection task as an error.
                pass
            except Exception:  # one broken session must not take the listener with it
                log.exception("%s session with %s failed", kind, stream.peer)
            finally:
                self._sessions.pop(task, None)
                stream.close()

        server = await asyncio.start_server(
            connected,
            address.host,
            address.port,
            ssl=tls,
            limit=self._line_limit,
            backlog=1024,
            reuse_address=True,
        )
        self._servers.append(server)
        for sock in server.sockets:
            host, port = sock.getsockname()[:2]
            context.listeners.append(ListenAddress(kind, host, port))

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for task, stream in list(self._sessions.items()):
            with contextlib.suppress(Exception):
                stream.send_nowait(self._goodbye)
                stream.close()
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()


async def start_access(
    context: SinkContext,
    protocol: AccessProtocol,
    plain: HostPort | None,
    implicit: HostPort | None,
    auth_file: Path | None,
) -> AccessService | None:
    """Bind a protocol's plain listener (upgradable when a certificate is configured) and its
    implicit-TLS one, those that are configured; None when neither is."""
    addresses = [a for a in (plain, implicit) if a is not None]
    if not addresses:
        return None
    policy = LoginPolicy.for_listeners(auth_file, addresses, protocol.auth_flag)
    upgrade = configured_context(context.config)
    service = AccessService(protocol.goodbye, protocol.idle_timeout, protocol.line_limit)
    try:
        if plain is not None:
            await service.listen(
                context,
                protocol.kind,
                plain,
                None,
                partial(protocol.session, context, policy, upgrade),
            )
        if implicit is not None:
            await service.listen(
                context,
                protocol.kind + "S",
                implicit,
                implicit_context(upgrade),
                partial(protocol.session, context, policy, None),
            )
    except BaseException:
        await service.stop()
        raise
    return service
