"""Mailpit's API v1 (reference §2–§4), every route in one table, relative to the webroot."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from mailsink.web import api_app, api_message, api_messages, api_send, api_tags

routes: list[BaseRoute] = [
    Route("/api/v1/messages", api_messages.list_messages, methods=["GET"]),
    Route("/api/v1/messages", api_messages.set_read_status, methods=["PUT"]),
    Route("/api/v1/messages", api_messages.delete_messages, methods=["DELETE"]),
    Route("/api/v1/search", api_messages.search_messages, methods=["GET"]),
    Route("/api/v1/search", api_messages.delete_search, methods=["DELETE"]),
    Route("/api/v1/send", api_send.send_message, methods=["POST"]),
    Route("/api/v1/message/{id}", api_message.get_message, methods=["GET"]),
    Route("/api/v1/message/{id}/headers", api_message.get_headers, methods=["GET"]),
    Route("/api/v1/message/{id}/raw", api_message.get_raw, methods=["GET"]),
    Route("/api/v1/message/{id}/mime", api_message.get_mime_tree, methods=["GET"]),
    Route("/api/v1/message/{id}/part/{part}", api_message.get_part, methods=["GET"]),
    Route("/api/v1/message/{id}/part/{part}/thumb", api_message.get_thumbnail, methods=["GET"]),
    Route("/api/v1/message/{id}/release", api_message.release, methods=["POST"]),
    Route("/api/v1/message/{id}/html-check", api_message.html_check, methods=["GET"]),
    Route("/api/v1/message/{id}/link-check", api_message.link_check, methods=["GET"]),
    Route("/api/v1/message/{id}/sa-check", api_message.spam_assassin_check, methods=["GET"]),
    Route("/api/v1/tags", api_tags.list_tags, methods=["GET"]),
    Route("/api/v1/tags", api_tags.set_tags, methods=["PUT"]),
    Route("/api/v1/tags/{tag}", api_tags.rename_tag, methods=["PUT"]),
    Route("/api/v1/tags/{tag}", api_tags.delete_tag, methods=["DELETE"]),
    Route("/api/v1/info", api_app.info, methods=["GET"]),
    Route("/api/v1/webui", api_app.webui, methods=["GET"]),
    Route("/api/v1/chaos", api_app.get_chaos, methods=["GET"]),
    Route("/api/v1/chaos", api_app.set_chaos, methods=["PUT"]),
]
