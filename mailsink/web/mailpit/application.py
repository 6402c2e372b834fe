"""Mailpit's application endpoints: `info`, `webui` and the chaos triggers.

The shapes are in docs/mailpit-api.md, Tags, application and chaos endpoints.
"""

from __future__ import annotations

import re
import resource
import sys
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailsink.chaos import ChaosError
from mailsink.config import shown_database
from mailsink.context import SinkContext
from mailsink.store.search import mailbox_query
from mailsink.version import __version__
from mailsink.web.request_body import read_object
from mailsink.web.request_context import sink_context
from mailsink.web.responses import error_response, json_response
from mailsink.web.search_params import mailbox_param

CHAOS_DISABLED_TEXT = "Chaos is not enabled"


def memory_bytes() -> int:
    """Resident memory now (Linux), else the peak resident memory."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024
    return pages * resource.getpagesize()


def database_path(context: SinkContext) -> str:
    """The SQLite file (a temporary one unless `--database`) or the PostgreSQL URL (without
    its password), or "" for the memory store."""
    if context.config.database is not None:
        return shown_database(context.config.database)
    path = getattr(context.store, "path", None)
    return "" if path is None else str(path)


def info(request: Request) -> Response:
    """`GET /api/v1/info`: Mailpit's `AppInformation`; `Messages` and `Unread` count the
    mailbox of `?mailbox=`, when given."""
    context = sink_context(request)
    mailbox = mailbox_param(request.query_params)
    counts = context.store.count(None if mailbox is None else mailbox_query(mailbox))
    stats = context.stats
    return json_response(
        {
            "Version": __version__,
            "LatestVersion": "disabled",
            "Database": database_path(context),
            "DatabaseSize": context.store.size_on_disk(),
            "Messages": counts.total,
            "Unread": counts.unread,
            "Tags": context.store.tags(),
            "RuntimeStats": {
                "Uptime": stats.uptime_seconds,
                "Memory": memory_bytes(),
                "MessagesDeleted": stats.messages_deleted,
                "SMTPAccepted": stats.smtp_accepted,
                "SMTPAcceptedSize": stats.smtp_accepted_size,
                "SMTPRejected": stats.smtp_rejected,
                "SMTPIgnored": stats.smtp_ignored,
            },
        }
    )


def pattern_text(pattern: re.Pattern[str] | None) -> str:
    return "" if pattern is None else pattern.pattern


def relay_json(context: SinkContext) -> dict[str, Any]:
    """`MessageRelay` of `webui`: zero values when no relay is configured."""
    relay = context.relay
    if relay is None:
        settings: dict[str, Any] = {
            "Enabled": False,
            "SMTPServer": "",
            "ReturnPath": "",
            "AllowedRecipients": "",
            "BlockedRecipients": "",
            "OverrideFrom": "",
            "PreserveMessageIDs": False,
        }
    else:
        config = relay.config
        settings = {
            "Enabled": True,
            "SMTPServer": relay.server,
            "ReturnPath": config.return_path,
            "AllowedRecipients": pattern_text(config.allowed_recipients),
            "BlockedRecipients": pattern_text(config.blocked_recipients),
            "OverrideFrom": config.override_from,
            "PreserveMessageIDs": config.preserve_message_ids,
        }
    settings["RecipientAllowlist"] = settings["AllowedRecipients"]
    return settings


def webui(request: Request) -> Response:
    """`GET /api/v1/webui`: what the UI needs to know about this server."""
    context = sink_context(request)
    return json_response(
        {
            "Label": "",
            "MessageRelay": relay_json(context),
            "SpamAssassin": context.config.spamassassin is not None,
            "ChaosEnabled": context.chaos is not None,
            "DuplicatesIgnored": False,
            "HideDeleteAllButton": False,
        }
    )


def get_chaos(request: Request) -> Response:
    chaos = sink_context(request).chaos
    if chaos is None:
        return error_response(CHAOS_DISABLED_TEXT)
    return json_response(chaos.as_json())


async def set_chaos(request: Request) -> Response:
    """`PUT /api/v1/chaos`: every trigger at once; one left out is reset to its default."""
    chaos = sink_context(request).chaos
    if chaos is None:
        return error_response(CHAOS_DISABLED_TEXT)
    body = await read_object(request)
    try:
        return json_response(chaos.update_from_json(body))
    except ChaosError as error:
        return error_response(str(error))
