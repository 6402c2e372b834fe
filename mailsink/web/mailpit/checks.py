"""The message checks' endpoints: Mailpit's html-check, link-check and sa-check, and our
auth-check and deliverability-check.

Each is a plain function, so Starlette runs it in its thread pool: a check waits on DNS, HTTP
or spamd without holding up the event loop, where SMTP sessions are served. Checks run only
when one of these is requested, never at ingest. An unknown message is Mailpit's 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mailsink.checks.settings import CheckNotEnabled, CheckSettings
from mailsink.message.captured import CapturedMessage
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


def requested_captured(request: Request) -> CapturedMessage:
    """The requested message with its bytes, checked with this sink's options."""
    context = sink_context(request)
    stored = requested_message(request)
    raw = context.store.raw(stored.id)
    if raw is None:  # deleted since it was looked up
        raise NotFound()
    return CapturedMessage.from_stored(stored, raw, CheckSettings.from_config(context.config))


def html_check(request: Request) -> Response:
    """`GET …/html-check`: the HTML and CSS features used and email clients' support."""
    check = requested_captured(request).checks.html
    if check is None:
        return error_response("message does not contain HTML")
    return json_response(html_check_json(check))


def link_check(request: Request) -> Response:
    """`GET …/link-check?follow=`: the HTTP status of every link (400 unless started with
    --enable-link-check)."""
    message = requested_captured(request)
    follow = request.query_params.get("follow", "").lower() in TRUE_WORDS
    try:
        return json_response(link_check_json(message.checks.check_links(follow=follow)))
    except CheckNotEnabled as exc:
        return error_response(str(exc))


def spam_assassin_check(request: Request) -> Response:
    """`GET …/sa-check`: spamd's score. Without --spamassassin, a 404 that says so (Mailpit
    has no such route then, and its clients expect a 404)."""
    message = requested_captured(request)
    try:
        return json_response(spam_check_json(message.checks.spam))
    except CheckNotEnabled as exc:
        return text_response(f"{exc}\n", 404)


def auth_check(request: Request) -> Response:
    """`GET …/auth-check` (ours): DKIM for every signature, SPF, DMARC and ARC."""
    return json_response(auth_check_json(requested_captured(request).checks.auth))


def deliverability_check(request: Request) -> Response:
    """`GET …/deliverability-check` (ours): unsubscribe headers, Date, Message-ID and the
    standards warnings, with a score out of 100."""
    return json_response(deliverability_json(requested_captured(request).checks.deliverability))
