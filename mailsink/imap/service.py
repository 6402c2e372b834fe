"""The IMAP listeners (`--imap`, `--imaps`): bound by `start_imap`, an `ImapSession` each."""

from __future__ import annotations

import ssl

from mailsink.context import SinkContext
from mailsink.imap.session import ImapSession
from mailsink.mailaccess.login import LoginPolicy
from mailsink.mailaccess.service import AccessProtocol, AccessService, start_access
from mailsink.mailaccess.stream import LineStream

# RFC 3501's autologout timer is at least 30 minutes (IDLE clients renew within 29).
IDLE_TIMEOUT_SECONDS = 31 * 60.0
LINE_LIMIT = 16 * 1024  # a command line between literals; long UID sets fit


async def start_imap(context: SinkContext) -> AccessService | None:
    """Bind the configured IMAP listeners; None when IMAP is off."""
    config = context.config
    protocol = AccessProtocol(
        kind="IMAP",
        auth_flag="--imap-auth-file",
        goodbye=b"* BYE mailsink is shutting down\r\n",
        idle_timeout=IDLE_TIMEOUT_SECONDS,
        line_limit=LINE_LIMIT,
        session=serve_imap,
    )
    return await start_access(context, protocol, config.imap, config.imaps, config.imap_auth_file)


async def serve_imap(
    context: SinkContext, policy: LoginPolicy, upgrade: ssl.SSLContext | None, stream: LineStream
) -> None:
    await ImapSession(context, policy, upgrade, stream).run()
