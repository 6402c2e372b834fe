"""The message checks' endpoints: Mailpit's html-check, link-check and sa-check, and our
auth-check and deliverability-check.

The message is read in Starlette's thread pool and checked in the sink's check worker process
(`mailsink.checks.worker`), so a check never holds up the event loop that serves SMTP. Checks
run only when one of these is requested, never at ingest. An unknown message is Mailpit's 404.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from mailsink.checks.settings import CheckNotEnabled, CheckSettings
from mailsink.checks.worker import CheckWorkerError
from mailsink.web.mailpit.check_json import (
    auth_check_json,
    deliverability_json,
    html_check_json,
    link_check_json,
    spam_check_json,
)
from mailsink.web.request_context import sink_context
from mailsink.web.resolve import NotFound, requested_message
from mailsink.web.responses import error_response, json_response, text_response

TRUE_WORDS = ("true", "1")


def _requested_raw(request: Request) -> tuple[Any, bytes]:
    stored = requested_message(request)
    raw = sink_context(request).store.raw(stored.id)
    if raw is None:  # deleted since it was looked up
        raise NotFound()
    return stored, raw


async def run_check(request: Request, check: str, *, follow: bool = False) -> Any:
    """`message.checks.<check>` of the requested message, computed in the check worker."""
    stored, raw = await run_in_threadpool(_requested_raw, request)
    context = sink_context(request)
    settings = CheckSettings.from_config(context.config)
    try:
        return await context.checks.run(check, raw, stored.envelope, settings, follow=follow)
    except CheckWorkerError as error:
        raise HTTPException(503, f"{error}; it starts again on the next check") from error


async def html_check(request: Request) -> Response:
    """`GET …/html-check`: the HTML and CSS features used and email clients' support."""
    check = await run_check(request, "html")
    if check is None:
        return error_response("message does not contain HTML")
    return json_response(html_check_json(check))


async def link_check(request: Request) -> Response:
    """`GET …/link-check?follow=`: the HTTP status of every link (400 unless started with
    --enable-link-check)."""
    follow = request.query_params.get("follow", "").lower() in TRUE_WORDS
    try:
        return json_response(link_check_json(await run_check(request, "links", follow=follow)))
    except CheckNotEnabled as exc:
        return error_response(str(exc))


async def spam_assassin_check(request: Request) -> Response:
    """`GET …/sa-check`: spamd's score. Without --spamassassin, a 404 that says so (Mailpit
    has no such route then, and its clients expect a 404)."""
    try:
        return json_response(spam_check_json(await run_check(request, "spam")))
    except CheckNotEnabled as exc:
        return text_response(f"{exc}\n", 404)


async def auth_check(request: Request) -> Response:
    """`GET …/auth-check` (ours): DKIM for every signature, SPF, DMARC and ARC."""
    return json_response(auth_check_json(await run_check(request, "auth")))


async def deliverability_check(request: Request) -> Response:
    """`GET …/deliverability-check` (ours): unsubscribe headers, Date, Message-ID and the
    standards warnings, with a score out of 100."""
    return json_response(deliverability_json(await run_check(request, "deliverability")))
