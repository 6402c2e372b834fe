"""The POP3 listeners (`--pop3`, `--pop3s`): bound by `start_pop3`, a `Pop3Session` each."""

from __future__ import annotations

import ssl

from mailsink.context import SinkContext
from mailsink.mailaccess.login import LoginPolicy
from mailsink.mailaccess.service import AccessProtocol, AccessService, start_access
from mailsink.mailaccess.stream import LineStream
from mailsink.pop3.session import Pop3Session

# RFC 1939's autologout timer is at least 10 minutes; commands are at most 255 octets.
IDLE_TIMEOUT_SECONDS = 600.0
LINE_LIMIT = 1024


async def start_pop3(context: SinkContext) -> AccessService | None:
    """Bind the configured POP3 listeners; None when POP3 is off."""
    config = context.config
    protocol = AccessProtocol(
        kind="POP3",
        auth_flag="--pop3-auth-file",
        goodbye=b"-ERR [SYS/TEMP] mailsink is shutting down\r\n",
        idle_timeout=IDLE_TIMEOUT_SECONDS,
        line_limit=LINE_LIMIT,
        session=serve_pop3,
    )
    return await start_access(context, protocol, config.pop3, config.pop3s, config.pop3_auth_file)


async def serve_pop3(
    context: SinkContext, policy: LoginPolicy, upgrade: ssl.SSLContext | None, stream: LineStream
) -> None:
    await Pop3Session(context, policy, upgrade, stream).run()
