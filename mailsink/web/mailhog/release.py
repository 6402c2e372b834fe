"""MailHog's `POST /api/v1/messages/{id}/release`: relay a stored message to `Email`.

MailHog connects to whatever `Host`/`Port` the request names. mailsink sends through the relay
configured with `--smtp-relay-config` instead, with its allowed and blocked recipient patterns,
exactly like Mailpit's release: an HTTP request never chooses where the server connects to.
`Host`, `Port`, credentials, `Name` and `Save` are accepted (MailHog's clients send them) and
ignored. Success is MailHog's 200 with an empty body (its npm client needs that); errors are
4xx with a text saying why.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mailsink.relay.config import RelayError
from mailsink.web.mailhog.responses import bare_status, empty
from mailsink.web.request_body import BadRequest, read_object, string_field
from mailsink.web.request_context import sink_context
from mailsink.web.responses import error_response

NO_RELAY_TEXT = "no SMTP relay is configured (start mailsink with --smtp-relay-config FILE)"


async def release_endpoint(request: Request) -> Response:
    context = sink_context(request)
    try:
        recipient = string_field(await read_object(request), "Email").strip()
    except BadRequest as error:
        return error_response(f"Error decoding request body: {error}")
    if not recipient:
        return error_response("Email is required: the address to release the message to")
    message_id = request.path_params["id"]
    stored = await run_in_threadpool(context.store.get, message_id)
    raw = await run_in_threadpool(context.store.raw, message_id)
    if stored is None or raw is None:
        return bare_status(404)
    if context.relay is None:
        return error_response(NO_RELAY_TEXT)
    try:
        await context.relay.release(raw, [recipient], stored.envelope.mail_from)
    except RelayError as error:
        return error_response(str(error))
    return empty()
