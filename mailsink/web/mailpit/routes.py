"""Mailpit's API v1 (docs/mailpit-api.md), every route in one table, relative to the webroot."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from mailsink.web.mailpit import application, checks, mailboxes, message, messages, send, tags

routes: list[BaseRoute] = [
    Route("/api/v1/messages", messages.list_messages, methods=["GET"]),
    Route("/api/v1/messages", messages.set_read_status, methods=["PUT"]),
    Route("/api/v1/messages", messages.delete_messages, methods=["DELETE"]),
    Route("/api/v1/mailboxes", mailboxes.list_mailboxes, methods=["GET"]),
    Route("/api/v1/search", messages.search_messages, methods=["GET"]),
    Route("/api/v1/search", messages.delete_search, methods=["DELETE"]),
    Route("/api/v1/send", send.send_message, methods=["POST"]),
    Route("/api/v1/message/{id}", message.get_message, methods=["GET"]),
    Route("/api/v1/message/{id}/headers", message.get_headers, methods=["GET"]),
    Route("/api/v1/message/{id}/raw", message.get_raw, methods=["GET"]),
    Route("/api/v1/message/{id}/mime", message.get_mime_tree, methods=["GET"]),
    Route("/api/v1/message/{id}/part/{part}", message.get_part, methods=["GET"]),
    Route("/api/v1/message/{id}/part/{part}/thumb", message.get_thumbnail, methods=["GET"]),
    Route("/api/v1/message/{id}/release", message.release, methods=["POST"]),
    Route("/api/v1/message/{id}/html-check", checks.html_check, methods=["GET"]),
    Route("/api/v1/message/{id}/link-check", checks.link_check, methods=["GET"]),
    Route("/api/v1/message/{id}/sa-check", checks.spam_assassin_check, methods=["GET"]),
    Route("/api/v1/message/{id}/auth-check", checks.auth_check, methods=["GET"]),
    Route(
        "/api/v1/message/{id}/deliverability-check",
        checks.deliverability_check,
        methods=["GET"],
    ),
    Route("/api/v1/tags", tags.list_tags, methods=["GET"]),
    Route("/api/v1/tags", tags.set_tags, methods=["PUT"]),
    Route("/api/v1/tags/{tag}", tags.rename_tag, methods=["PUT"]),
    Route("/api/v1/tags/{tag}", tags.delete_tag, methods=["DELETE"]),
    Route("/api/v1/info", application.info, methods=["GET"]),
    Route("/api/v1/webui", application.webui, methods=["GET"]),
    Route("/api/v1/chaos", application.get_chaos, methods=["GET"]),
    Route("/api/v1/chaos", application.set_chaos, methods=["PUT"]),
]
