"""`GET /api/v1/openapi.json`: an OpenAPI 3.1 description of every route the app serves.

Written by hand from the same references the endpoints follow, and kept true by
tests/web/test_openapi.py, which compares it with the app's route table (nothing missing,
nothing extra) and validates real responses against these schemas. Objects list every key they
have (`additionalProperties: false`), so a key added to a response must be described here too.
Paths are relative to the server URL, which carries the `--webroot`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mailsink.version import __version__
from mailsink.web.responses import json_response

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
DATE_TIME: Schema = {"type": "string", "format": "date-time"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    """An object with exactly these keys; all required unless listed in `optional`."""
    return {
        "type": "object",
        "properties": properties,
        "required": [key for key in properties if key not in optional],
        "additionalProperties": False,
    }


def string_map(values: Schema) -> Schema:
    return {"type": "object", "additionalProperties": values}


STRING_LIST = array(STRING)
ADDRESS_LIST = array(ref("Address"))

SCHEMAS: dict[str, Schema] = {
    "Address": obj({"Name": STRING, "Address": STRING}),
    "MessageSummary": obj(
        {
            "ID": STRING,
            "MessageID": STRING,
            "Read": BOOLEAN,
            "From": ref("Address"),
            "To": ADDRESS_LIST,
            "Cc": ADDRESS_LIST,
            "Bcc": ADDRESS_LIST,
            "ReplyTo": ADDRESS_LIST,
            "Subject": STRING,
            "Created": DATE_TIME,
            "Username": STRING,
            "Tags": STRING_LIST,
            "Size": INTEGER,
            "Attachments": INTEGER,
            "Snippet": STRING,
            "Seq": INTEGER,
            "Mailbox": STRING,
        }
    ),
    "Mailbox": obj(
        {"Name": STRING, "Total": INTEGER, "Unread": INTEGER, "Newest": nullable(DATE_TIME)}
    ),
    "MessagesList": obj(
        {
            "total": INTEGER,
            "unread": INTEGER,
            "count": INTEGER,
            "messages_count": INTEGER,
            "messages_unread": INTEGER,
            "start": INTEGER,
            "tags": STRING_LIST,
            "messages": array(ref("MessageSummary")),
        }
    ),
    "Attachment": obj(
        {
            "PartID": STRING,
            "FileName": STRING,
            "ContentType": STRING,
            "ContentID": STRING,
            "Size": INTEGER,
            "Checksums": obj({"MD5": STRING, "SHA1": STRING, "SHA256": STRING}),
        }
    ),
    "Envelope": obj(
        {
            "MailFrom": STRING,
            "MailFromParams": string_map(STRING),
            "RcptTo": array(obj({"Address": STRING, "Params": string_map(STRING)})),
            "Helo": STRING,
            "RemoteAddr": STRING,
            "Username": STRING,
            "TLS": nullable(obj({"Version": STRING, "Cipher": STRING})),
            "Received": DATE_TIME,
            "Mailbox": STRING,
        }
    ),
    "Message": obj(
        {
            "ID": STRING,
            "MessageID": STRING,
            "Read": BOOLEAN,
            "From": nullable(ref("Address")),
            "To": ADDRESS_LIST,
            "Cc": ADDRESS_LIST,
            "Bcc": ADDRESS_LIST,
            "ReplyTo": ADDRESS_LIST,
            "ReturnPath": STRING,
            "Subject": STRING,
            "ListUnsubscribe": obj(
                {"Header": STRING, "Links": STRING_LIST, "Errors": STRING, "HeaderPost": STRING}
            ),
            "Date": DATE_TIME,
            "Tags": STRING_LIST,
            "Username": STRING,
            "Text": STRING,
            "HTML": STRING,
            "Size": INTEGER,
            "Inline": array(ref("Attachment")),
            "Attachments": array(ref("Attachment")),
            "Seq": INTEGER,
            "Warnings": STRING_LIST,
            "Envelope": ref("Envelope"),
        }
    ),
    "MimePart": obj(
        {
            "PartID": STRING,
            "ContentType": STRING,
            "Params": string_map(STRING),
            "Charset": STRING,
            "TransferEncoding": STRING,
            "Disposition": STRING,
            "FileName": STRING,
            "ContentID": STRING,
            "Size": INTEGER,
            "Children": array(ref("MimePart")),
        }
    ),
    "Headers": string_map(STRING_LIST),
    "Error": obj({"Error": STRING}),
    "IDs": obj({"IDs": STRING_LIST}, optional=("IDs",)),
    "SetRead": obj(
        {"IDs": STRING_LIST, "Read": BOOLEAN, "Search": STRING}, optional=("IDs", "Read", "Search")
    ),
    "SetTags": obj({"IDs": STRING_LIST, "Tags": STRING_LIST}, optional=("Tags",)),
    "RenameTag": obj({"Name": STRING}),
    "Release": obj({"To": STRING_LIST}),
    "SendRequest": obj(
        {
            "From": obj({"Email": STRING, "Name": STRING}, optional=("Name",)),
            "To": array(ref("SendAddress")),
            "Cc": array(ref("SendAddress")),
            "Bcc": STRING_LIST,
            "ReplyTo": array(ref("SendAddress")),
            "Subject": STRING,
            "Text": STRING,
            "HTML": STRING,
            "Attachments": array(
                obj(
                    {
                        "Content": STRING,
                        "Filename": STRING,
                        "ContentType": STRING,
                        "ContentID": STRING,
                    },
                    optional=("ContentType", "ContentID"),
                )
            ),
            "Tags": STRING_LIST,
            "Headers": string_map(STRING),
        },
        optional=(
            "To",
            "Cc",
            "Bcc",
            "ReplyTo",
            "Subject",
            "Text",
            "HTML",
            "Attachments",
            "Tags",
            "Headers",
        ),
    ),
    "SendAddress": obj({"Email": STRING, "Name": STRING}, optional=("Name",)),
    "SendResponse": obj({"ID": STRING}),
    "ChaosTrigger": obj({"ErrorCode": INTEGER, "Probability": INTEGER}),
    "ChaosTriggers": obj(
        {
            "Sender": ref("ChaosTrigger"),
            "Recipient": ref("ChaosTrigger"),
            "Authentication": ref("ChaosTrigger"),
        }
    ),
    "AppInformation": obj(
        {
            "Version": STRING,
            "LatestVersion": STRING,
            "Database": STRING,
            "DatabaseSize": INTEGER,
            "Messages": INTEGER,
            "Unread": INTEGER,
            "Tags": string_map(INTEGER),
            "RuntimeStats": obj(
                {
                    "Uptime": INTEGER,
                    "Memory": INTEGER,
                    "MessagesDeleted": INTEGER,
                    "SMTPAccepted": INTEGER,
                    "SMTPAcceptedSize": INTEGER,
                    "SMTPRejected": INTEGER,
                    "SMTPIgnored": INTEGER,
                }
            ),
        }
    ),
    "WebUIConfiguration": obj(
        {
            "Label": STRING,
            "MessageRelay": obj(
                {
                    "Enabled": BOOLEAN,
                    "SMTPServer": STRING,
                    "ReturnPath": STRING,
                    "AllowedRecipients": STRING,
                    "BlockedRecipients": STRING,
                    "OverrideFrom": STRING,
                    "PreserveMessageIDs": BOOLEAN,
                    "RecipientAllowlist": STRING,
                }
            ),
            "SpamAssassin": BOOLEAN,
            "ChaosEnabled": BOOLEAN,
            "DuplicatesIgnored": BOOLEAN,
            "HideDeleteAllButton": BOOLEAN,
        }
    ),
    "EventFrame": obj(
        {
            "Type": {"enum": ["new", "update", "delete", "truncate", "prune", "stats", "error"]},
            "Data": {},
        }
    ),
    "MailHogPath": obj(
        {"Relays": nullable(STRING_LIST), "Mailbox": STRING, "Domain": STRING, "Params": STRING}
    ),
    "MailHogContent": obj(
        {
            "Headers": string_map(STRING_LIST),
            "Body": STRING,
            "Size": INTEGER,
            "MIME": nullable(ref("MailHogMIME")),
        }
    ),
    "MailHogMIME": obj({"Parts": array(ref("MailHogContent"))}),
    "MailHogMessage": obj(
        {
            "ID": STRING,
            "From": ref("MailHogPath"),
            "To": array(ref("MailHogPath")),
            "Content": ref("MailHogContent"),
            "Created": DATE_TIME,
            "MIME": nullable(ref("MailHogMIME")),
            "Raw": obj({"From": STRING, "To": STRING_LIST, "Data": STRING, "Helo": STRING}),
        }
    ),
    "MailHogMessages": obj(
        {
            "total": INTEGER,
            "count": INTEGER,
            "start": INTEGER,
            "items": array(ref("MailHogMessage")),
        }
    ),
    "MailHogRelease": obj(
        {
            "Name": STRING,
            "Save": BOOLEAN,
            "Email": STRING,
            "Host": STRING,
            "Port": STRING,
            "Username": STRING,
            "Password": STRING,
            "Mechanism": STRING,
        },
        optional=("Name", "Save", "Host", "Port", "Username", "Password", "Mechanism"),
    ),
}


# Responses and parameters ---------------------------------------------------------------------


def json_body(schema: Schema, description: str = "OK", media_type: str = "application/json") -> Any:
    return {"description": description, "content": {media_type: {"schema": schema}}}


def text_body(description: str, example: str | None = None) -> Any:
    schema: Schema = (
        {"type": "string"} if example is None else {"type": "string", "example": example}
    )
    return {"description": description, "content": {"text/plain": {"schema": schema}}}


def empty_body(description: str = "OK, empty body") -> Any:
    return {"description": description}


# What the security middleware (mailsink.web.security) answers before any route does.
FOREIGN_ORIGIN = json_body(ref("Error"), "Refused: the Origin is another web page's")
NOT_JSON = text_body("Refused: a POST body must be JSON, which a cross-site form cannot send")
STATE_CHANGING = ("post", "put", "delete", "patch")


def with_guard_answers(paths: dict[str, Schema]) -> dict[str, Schema]:
    """`paths` with the middleware's refusals added to every operation that changes state."""
    for item in paths.values():
        for method in STATE_CHANGING:
            if method in item:
                item[method]["responses"].setdefault("403", FOREIGN_ORIGIN)
                if method == "post":
                    item[method]["responses"].setdefault("415", NOT_JSON)
    return paths


OK_TEXT = text_body("Done", "ok")
NOT_WEBSOCKET = text_body("Not a WebSocket upgrade request", "404 page not found")
BAD_REQUEST = text_body("The request was wrong; the body says why")
NOT_FOUND = text_body("No such message (or part)", "404 page not found")


def path_param(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": STRING,
        "description": description,
    }


def query_param(name: str, description: str, schema: Schema = STRING) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


MESSAGE_ID = path_param("id", "A message ID, or `latest` (the newest message matching `query`)")
PLAIN_ID = path_param("id", "A message ID")
PART_ID = path_param("part", "A MIME part ID such as `1.2` (see the message's Attachments)")
TAG = path_param("tag", "A tag name, URL-encoded")
QUERY = query_param("query", "A search in Mailpit's query language")
TZ = query_param("tz", "IANA time zone for `before:` and `after:` dates")
START = query_param("start", "Offset into the results (default 0)", INTEGER)
LIMIT = query_param("limit", "Page size (default 50)", INTEGER)
LATEST = (query_param("query", "With `latest`: pick the newest message matching this"), TZ)
MAILBOX = query_param(
    "mailbox",
    "Only messages filed in this mailbox (1 to 64 of `A-Za-z0-9._-`; default: every mailbox;"
    " for `send`: file the message there)",
)
# Routes about messages take `?mailbox=`: every path that starts with one of these.
MAILBOX_PATHS = (
    "/api/v1/messages",
    "/api/v1/search",
    "/api/v1/send",
    "/api/v1/message/",
    "/api/v1/info",
    "/api/v1/wait",
    "/api/events",
)


def operation(
    summary: str,
    responses: dict[int, Any],
    *,
    tag: str,
    parameters: tuple[Schema, ...] = (),
    body: Schema | None = None,
    body_media_type: str = "application/json",
) -> Schema:
    result: Schema = {"tags": [tag], "summary": summary}
    if parameters:
        result["parameters"] = list(parameters)
    if body is not None:
        result["requestBody"] = {"required": True, "content": {body_media_type: {"schema": body}}}
    result["responses"] = {str(status): response for status, response in responses.items()}
    return result


def mailpit_paths() -> dict[str, Schema]:
    tag = "Mailpit API v1"
    message = {"parameters": [MESSAGE_ID]}
    return {
        "/api/v1/messages": {
            "get": operation(
                "List messages, newest first",
                {200: json_body(ref("MessagesList")), 400: BAD_REQUEST},
                tag=tag,
                parameters=(START, LIMIT),
            ),
            "put": operation(
                "Mark messages read or unread (by IDs, by search, or all)",
                {200: OK_TEXT, 400: BAD_REQUEST},
                tag=tag,
                parameters=(TZ,),
                body=ref("SetRead"),
            ),
            "delete": operation(
                "Delete messages by IDs; every message when no IDs are given",
                {200: OK_TEXT, 400: BAD_REQUEST},
                tag=tag,
                body=ref("IDs"),
            ),
        },
        "/api/v1/search": {
            "get": operation(
                "Search messages, newest first",
                {200: json_body(ref("MessagesList")), 400: BAD_REQUEST},
                tag=tag,
                parameters=({**QUERY, "required": True}, START, LIMIT, TZ),
            ),
            "delete": operation(
                "Delete every message matching a search",
                {200: OK_TEXT, 400: BAD_REQUEST},
                tag=tag,
                parameters=({**QUERY, "required": True}, TZ),
            ),
        },
        "/api/v1/send": {
            "post": operation(
                "Compose a message and deliver it like one received by SMTP",
                {
                    200: json_body(ref("SendResponse")),
                    400: json_body(ref("Error"), "Invalid message"),
                    413: json_body(ref("Error"), "Body too large"),
                },
                tag=tag,
                body=ref("SendRequest"),
            )
        },
        "/api/v1/message/{id}": {
            **message,
            "get": operation(
                "A message (marks it read)",
                {200: json_body(ref("Message")), 404: NOT_FOUND},
                tag=tag,
                parameters=LATEST,
            ),
        },
        "/api/v1/message/{id}/headers": {
            **message,
            "get": operation(
                "The message's headers, names canonicalised, values raw",
                {200: json_body(ref("Headers")), 404: NOT_FOUND},
                tag=tag,
                parameters=LATEST,
            ),
        },
        "/api/v1/message/{id}/mime": {
            **message,
            "get": operation(
                "The MIME tree (a mailsink addition)",
                {200: json_body(ref("MimePart")), 404: NOT_FOUND},
                tag=tag,
                parameters=LATEST,
            ),
        },
        "/api/v1/message/{id}/part/{part}": {
            "parameters": [MESSAGE_ID, PART_ID],
            "get": operation(
                "A part's decoded content, with its Content-Type",
                {200: {"description": "The part"}, 404: NOT_FOUND},
                tag=tag,
            ),
        },
        "/api/v1/message/{id}/part/{part}/thumb": {
            "parameters": [PLAIN_ID, PART_ID],
            "get": operation(
                "A 180×120 JPEG thumbnail of an image part",
                {200: {"description": "JPEG", "content": {"image/jpeg": {}}}, 400: BAD_REQUEST},
                tag=tag,
            ),
        },
        "/api/v1/message/{id}/raw": {
            **message,
            "get": operation(
                "The exact stored bytes",
                {200: text_body("The message source"), 404: NOT_FOUND},
                tag=tag,
                parameters=(*LATEST, query_param("dl", "`1`: download as `<ID>.eml`")),
            ),
        },
        "/api/v1/message/{id}/release": {
            "parameters": [PLAIN_ID],
            "post": operation(
                "Send the stored message to recipients through the configured SMTP relay",
                {200: OK_TEXT, 400: BAD_REQUEST, 404: NOT_FOUND},
                tag=tag,
                body=ref("Release"),
            ),
        },
        "/api/v1/tags": {
            "get": operation("Every tag in use, by name", {200: json_body(STRING_LIST)}, tag=tag),
            "put": operation(
                "Replace the tags of messages",
                {200: OK_TEXT, 400: BAD_REQUEST},
                tag=tag,
                body=ref("SetTags"),
            ),
        },
        "/api/v1/tags/{tag}": {
            "parameters": [TAG],
            "put": operation(
                "Rename a tag", {200: OK_TEXT, 400: BAD_REQUEST}, tag=tag, body=ref("RenameTag")
            ),
            "delete": operation(
                "Remove a tag from every message", {200: OK_TEXT, 400: BAD_REQUEST}, tag=tag
            ),
        },
        "/api/v1/info": {
            "get": operation(
                "Version, database and runtime statistics",
                {200: json_body(ref("AppInformation"))},
                tag=tag,
            )
        },
        "/api/v1/webui": {
            "get": operation(
                "Settings the web UI needs", {200: json_body(ref("WebUIConfiguration"))}, tag=tag
            )
        },
        "/api/v1/chaos": {
            "get": operation(
                "The SMTP chaos triggers",
                {200: json_body(ref("ChaosTriggers")), 400: BAD_REQUEST},
                tag=tag,
            ),
            "put": operation(
                "Set the SMTP chaos triggers (omitted ones reset)",
                {200: json_body(ref("ChaosTriggers")), 400: BAD_REQUEST},
                tag=tag,
                body=ref("ChaosTriggers"),
            ),
        },
    }


def addition_paths() -> dict[str, Schema]:
    tag = "mailsink"
    return {
        "/api/v1/wait": {
            "get": operation(
                "Long poll: the first message matching `query` (above `since`, if given)",
                {
                    200: json_body(ref("MessageSummary")),
                    400: BAD_REQUEST,
                    404: json_body(ref("Error"), "Nothing matched within the timeout"),
                },
                tag=tag,
                parameters=(
                    query_param("query", "A search; empty matches every message"),
                    query_param("since", "Only messages whose Seq is above this", INTEGER),
                    query_param("timeout", "Seconds to wait (default 30, at most 300)", NUMBER),
                    TZ,
                ),
            )
        },
        "/api/v1/mailboxes": {
            "get": operation(
                "Every mailbox (the default one, those the rules name, those holding mail),"
                " by name, with its counts",
                {200: json_body(array(ref("Mailbox")))},
                tag=tag,
            )
        },
        "/api/v1/openapi.json": {
            "get": operation("This document", {200: json_body({"type": "object"})}, tag=tag)
        },
        "/api/events": {
            "get": operation(
                "WebSocket of live events: text frames `{Type, Data}` (Mailpit's)",
                {
                    101: {
                        "description": "Switching to WebSocket",
                        "content": {"application/json": {"schema": ref("EventFrame")}},
                    },
                    403: empty_body("A foreign Origin"),
                    404: NOT_WEBSOCKET,
                },
                tag=tag,
            )
        },
        "/livez": {"get": operation("Alive", {200: empty_body()}, tag=tag)},
        "/readyz": {
            "get": operation(
                "Ready: the store answers",
                {200: empty_body(), 503: text_body("Not ready")},
                tag=tag,
            )
        },
    }


def view_paths() -> dict[str, Schema]:
    tag = "Views and UI"
    html = {"description": "HTML", "content": {"text/html": {"schema": STRING}}}
    return {
        "/view/latest": {
            "get": operation(
                "Redirect (302) to the UI's page of the newest message matching `query`",
                {302: empty_body("To `view/{id}`"), 404: NOT_FOUND},
                tag=tag,
                parameters=LATEST,
            ),
        },
        "/view/{id}.html": {
            "parameters": [MESSAGE_ID],
            "get": operation(
                "The message's HTML, `cid:` links rewritten, under a strict CSP",
                {200: html, 404: NOT_FOUND},
                tag=tag,
                parameters=(query_param("embed", "`1`: for embedding in the UI"),),
            ),
        },
        "/view/{id}.txt": {
            "parameters": [MESSAGE_ID],
            "get": operation(
                "The message's text", {200: text_body("Text"), 404: NOT_FOUND}, tag=tag
            ),
        },
        "/view/{id}": {
            "parameters": [path_param("id", "A message ID")],
            "get": operation("The web UI showing a message", {200: html, 404: NOT_FOUND}, tag=tag),
        },
        "/{path}": {
            "parameters": [path_param("path", "A file of the web UI; empty for index.html")],
            "get": operation("The web UI", {200: html, 404: NOT_FOUND}, tag=tag),
        },
    }


def mailhog_paths() -> dict[str, Schema]:
    """MailHog's API under `/mailhog`, and the routes also served at the root."""
    tag = "MailHog API"
    messages = json_body(ref("MailHogMessages"), media_type="text/json")
    search = json_body(ref("MailHogMessages"))
    status_only = empty_body("Error (empty body)")
    options = operation(
        "CORS preflight (empty 200); 404 when the path cannot name a message (a line break)",
        {200: empty_body(), 404: NOT_FOUND},
        tag=tag,
    )
    page = (START, query_param("limit", "Page size (default 50, at most 250)", INTEGER))
    id_param = {"parameters": [path_param("id", "A message ID")]}
    v2_messages = {
        "get": operation("List messages, newest first", {200: messages}, tag=tag, parameters=page),
    }
    v2_search = {
        "get": operation(
            "Search messages by `from`, `to` or `containing`",
            {200: search, 400: status_only},
            tag=tag,
            parameters=(
                {**query_param("kind", "`from`, `to` or `containing`"), "required": True},
                {**query_param("query", "The text to look for"), "required": True},
                *page,
            ),
        ),
    }
    delete_one = operation("Delete a message", {200: empty_body(), 404: status_only}, tag=tag)
    release = operation(
        "Send the message through the configured SMTP relay to `Email`",
        {200: empty_body(), 400: status_only, 404: status_only, 500: text_body("Relay failed")},
        tag=tag,
        body=ref("MailHogRelease"),
    )
    prefixed: dict[str, Schema] = {
        "/api/v2/messages": {**v2_messages, "options": options},
        "/api/v2/search": {**v2_search, "options": options},
        "/api/v2/jim": {
            method: operation(
                "Jim, MailHog's chaos monkey: never enabled here", {404: status_only}, tag=tag
            )
            for method in ("get", "post", "put", "delete")
        }
        | {"options": options},
        "/api/v2/outgoing-smtp": {
            "get": operation(
                "Saved outgoing SMTP servers (none)",
                {200: json_body({"type": "object"})},
                tag=tag,
            ),
            "options": options,
        },
        "/api/v1/messages": {
            "get": operation(
                "Up to 1000 messages, newest first",
                {200: json_body(array(ref("MailHogMessage")), media_type="text/json")},
                tag=tag,
            ),
            "delete": operation("Delete every message", {200: empty_body()}, tag=tag),
            "options": options,
        },
        "/api/v1/messages/{id}": {
            **id_param,
            "get": operation(
                "A message",
                {200: json_body(ref("MailHogMessage"), media_type="text/json"), 404: status_only},
                tag=tag,
            ),
            "delete": delete_one,
            "options": options,
        },
        "/api/v1/messages/{id}/download": {
            **id_param,
            "get": operation(
                "The exact stored bytes as `<id>.eml`",
                {
                    200: {"description": "The message", "content": {"message/rfc822": {}}},
                    404: status_only,
                },
                tag=tag,
            ),
            "options": options,
        },
        "/api/v1/messages/{id}/mime/part/{n}/download": {
            "parameters": [
                path_param("id", "A message ID"),
                path_param("n", "Index into the message's `MIME.Parts`"),
            ],
            "get": operation(
                "A top-level MIME part, base64-decoded, as an attachment",
                {200: {"description": "The part"}, 404: status_only},
                tag=tag,
            ),
            "options": options,
        },
        "/api/v1/messages/{id}/release": {**id_param, "post": release, "options": options},
        "/api/v2/websocket": {
            "get": operation(
                "WebSocket: each new message as one text frame of its JSON",
                {
                    101: json_body(ref("MailHogMessage"), "Switching to WebSocket"),
                    403: empty_body("A foreign Origin"),
                    404: NOT_WEBSOCKET,
                },
                tag=tag,
            )
        },
        "/api/v1/events": {
            "get": operation(
                "Server-Sent Events: each new message's indented JSON as `data:` lines",
                {200: {"description": "Event stream", "content": {"text/event-stream": {}}}},
                tag=tag,
            )
        },
    }
    paths = {"/mailhog" + path: item for path, item in prefixed.items()}
    paths["/api/v2/messages"] = v2_messages
    paths["/api/v2/search"] = v2_search
    paths["/api/v1/messages/{id}"] = {**id_param, "delete": delete_one}
    paths["/api/v1/messages/{id}/release"] = {**id_param, "post": release}
    return paths


def openapi_document(webroot: str = "/") -> Schema:
    # Imported here: the checks' part of the document is built from this module's helpers.
    from mailsink.web.mailpit.check_schemas import CHECK_SCHEMAS, check_paths

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mailsink",
            "version": __version__,
            "description": (
                "A local SMTP test sink. Mailpit's API v1 (compatible with its clients), "
                "mailsink's additions (`Seq`, `Warnings`, `Envelope`, `/mime`, `/wait`, "
                "`/auth-check`, `/deliverability-check`, mailboxes), "
                "and MailHog's API under `/mailhog`."
            ),
        },
        "servers": [{"url": webroot}],
        "paths": with_guard_answers(
            with_mailbox_param(mailpit_paths() | check_paths() | addition_paths())
            | view_paths()
            | mailhog_paths()
        ),
        "components": {"schemas": SCHEMAS | CHECK_SCHEMAS},
    }


def with_mailbox_param(paths: dict[str, Schema]) -> dict[str, Schema]:
    """`?mailbox=` added to every operation of the `MAILBOX_PATHS`, and the 400 that a malformed
    name gets (but on a WebSocket, which is no HTTP answer)."""
    for path, item in paths.items():
        if path.startswith(MAILBOX_PATHS):
            for method, spec in item.items():
                if method != "parameters":
                    spec["parameters"] = [*spec.get("parameters", ()), MAILBOX]
                    if "101" not in spec["responses"]:
                        spec["responses"].setdefault("400", BAD_REQUEST)
    return paths


async def openapi_endpoint(request: Request) -> Response:
    return json_response(openapi_document(getattr(request.app.state, "webroot", "/")))


routes: list[BaseRoute] = [Route("/api/v1/openapi.json", openapi_endpoint, methods=["GET"])]
