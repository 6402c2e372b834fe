"""`GET /api/v1/mailboxes`: every mailbox with its counts, for a mailbox switcher.

Not a Mailpit route. Listed: the default mailbox and those the rules file names outright
(even while empty, so a team finds its mailbox before its first mail), then every mailbox
that holds mail, by name.

    [{"Name": "default", "Total": 3, "Unread": 1, "Newest": "2026-12-06T18:20:00.1Z"},
     {"Name": "team-a", "Total": 0, "Unread": 0, "Newest": null}]
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mailsink.message.go_time import go_time
from mailsink.store.base import MailboxStatus
from mailsink.web.request_context import sink_context
from mailsink.web.responses import json_response


def list_mailboxes(request: Request) -> Response:
    context = sink_context(request)
    router = context.ingest.router
    named = router.rules.named_mailboxes() if router.rules is not None else []
    filled = {status.name: status for status in context.store.mailboxes()}
    names = sorted({router.default, *named, *filled})
    return json_response([mailbox_json(name, filled.get(name)) for name in names])


def mailbox_json(name: str, status: MailboxStatus | None) -> dict[str, object]:
    if status is None:
        return {"Name": name, "Total": 0, "Unread": 0, "Newest": None}
    return {
        "Name": name,
        "Total": status.total,
        "Unread": status.unread,
        "Newest": go_time(status.newest),
    }
