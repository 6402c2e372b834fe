"""`POST /api/v1/send`: compose a message from JSON and deliver it as if it came by SMTP.

The message is written with the stdlib `email` package (with a Date and a Message-ID, since
mailsink writes it) and handed to `Ingest.deliver` with an envelope like an SMTP client's:
MAIL FROM is `From`, RCPT TO is `To` + `Cc` + `Bcc`, the peer is the HTTP client. `Bcc` is
not written as a header. Errors are JSON `{"Error": "…"}` (400), as Mailpit answers them.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
from datetime import UTC, datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.ids import new_message_id
from mailsink.web.request_body import (
    BadRequest,
    JSONObject,
    field,
    read_object,
    string_field,
    string_list_field,
)
from mailsink.web.request_context import sink_context
from mailsink.web.responses import json_response
from mailsink.web.search_params import mailbox_param
from mailsink.web.security.basic_auth import basic_credentials
from mailsink.web.security.body_limit import too_large_response

RESTRICTED_HEADERS = frozenset(
    {"to", "from", "cc", "bcc", "reply-to", "date", "subject", "content-type", "mime-version"}
)
HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext


def valid_address(text: str) -> str | None:
    """The addr-spec in `text` if it is one address with a local part and a domain."""
    if any(c in text for c in "\r\n\0"):
        return None
    _, addr_spec = parseaddr(text)
    local, at, domain = addr_spec.rpartition("@")
    if not (local and at and domain) or any(c.isspace() for c in addr_spec):
        return None
    return addr_spec


def contacts(body: JSONObject, key: str, label: str) -> list[HeaderAddress]:
    """`[{"Email", "Name"}]` under `key`, each checked (`invalid To address: x`)."""
    value = field(body, key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadRequest(f'expected {key} to be a list of {{"Email": …, "Name": …}} objects')
    found = []
    for item in value:
        email = string_field(item, "Email")
        addr_spec = valid_address(email)
        if addr_spec is None:
            raise BadRequest(f"invalid {label} address: {email}")
        found.append(header_address(string_field(item, "Name"), addr_spec))
    return found


def header_address(name: str, addr_spec: str) -> HeaderAddress:
    try:
        return HeaderAddress(display_name=name, addr_spec=addr_spec)
    except (ValueError, IndexError) as error:
        raise BadRequest(f"invalid address {addr_spec!r}: {error}") from None


def sender(body: JSONObject) -> HeaderAddress:
    value = field(body, "From")
    sender = value if isinstance(value, dict) else {}
    email = string_field(sender, "Email")
    if not email:
        raise BadRequest("error building message: from not set")
    addr_spec = valid_address(email)
    if addr_spec is None:
        raise BadRequest(f"invalid From address: {email}")
    return header_address(string_field(sender, "Name"), addr_spec)


def attachment_bytes(item: JSONObject) -> bytes:
    """`Content` as base64, or a data URL (everything up to the last comma is dropped)."""
    content = string_field(item, "Content").rpartition(",")[2]
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as error:
        name = string_field(item, "Filename")
        raise BadRequest(f'error decoding base64 attachment "{name}": {error}') from None


def add_attachments(message: EmailMessage, attachments: Any) -> None:
    """Inline parts (with a `ContentID`) go with the HTML they illustrate, in a
    multipart/related; attachments go last, in a multipart/mixed."""
    if attachments is None:
        return
    if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
        raise BadRequest('expected Attachments to be a list of {"Content", "Filename"} objects')
    inline = [a for a in attachments if string_field(a, "ContentID")]
    regular = [a for a in attachments if not string_field(a, "ContentID")]
    for item in [*inline, *regular]:
        data = attachment_bytes(item)
        filename = string_field(item, "Filename")
        content_type = string_field(item, "ContentType") or (
            mimetypes.guess_type(filename)[0] or "application/octet-stream"
        )
        maintype, _, subtype = content_type.partition(";")[0].strip().partition("/")
        if not maintype or not subtype:
            raise BadRequest(f"invalid ContentType for attachment {filename!r}: {content_type!r}")
        content: bytes | str = data
        options: dict[str, Any] = {"subtype": subtype, "filename": filename}
        if maintype == "text" and is_utf8(data):  # the stdlib takes text as str
            content = data.decode()
        else:
            options["maintype"] = maintype
        content_id = string_field(item, "ContentID")
        if content_id:
            html = message.get_body(("html",))
            owner = html if isinstance(html, EmailMessage) else message
            cid = f"<{content_id.strip('<>')}>"
            owner.add_related(content, cid=cid, disposition="inline", **options)
        else:
            message.add_attachment(content, **options)


def is_utf8(data: bytes) -> bool:
    try:
        data.decode()
    except UnicodeDecodeError:
        return False
    return True


def compose(body: JSONObject, received: datetime) -> tuple[EmailMessage, list[str]]:
    """The message and its envelope recipients; raises BadRequest with Mailpit's texts."""
    message = EmailMessage(policy=SMTP)
    from_ = sender(body)
    to = contacts(body, "To", "To")
    cc = contacts(body, "Cc", "Cc")
    bcc = []
    for text in string_list_field(body, "Bcc"):
        addr_spec = valid_address(text)
        if addr_spec is None:
            raise BadRequest(f"invalid Bcc address: {text}")
        bcc.append(addr_spec)
    reply_to = contacts(body, "ReplyTo", "Reply-To")
    recipients = [a.addr_spec for a in (*to, *cc)] + bcc
    if not recipients:
        raise BadRequest("error building message: no recipients (to, cc, bcc) set")

    message["From"] = from_
    if to:
        message["To"] = to
    if cc:
        message["Cc"] = cc
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = string_field(body, "Subject")
    message["Date"] = format_datetime(received.astimezone())
    message["Message-ID"] = f"<{new_message_id()}@mailsink>"
    add_headers(message, body)
    text = string_field(body, "Text")
    message.set_content(text, cte="quoted-printable" if not text.isascii() else None)
    html = string_field(body, "HTML")
    if html:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    add_attachments(message, field(body, "Attachments"))
    return message, recipients


def add_headers(message: EmailMessage, body: JSONObject) -> None:
    restricted = set(RESTRICTED_HEADERS)
    tags = string_list_field(body, "Tags")
    if tags:
        message["X-Tags"] = ", ".join(tags)
        restricted.add("x-tags")
    headers = field(body, "Headers")
    if headers is None:
        return
    if not isinstance(headers, dict):
        raise BadRequest('expected Headers to be an object {"Name": "value"}')
    for name, value in headers.items():
        if name.lower() in restricted:
            raise BadRequest(f'cannot overwrite header: "{name}"')
        if not HEADER_NAME.fullmatch(name) or not isinstance(value, str):
            raise BadRequest(f"invalid header {name!r}: expected a name and a string value")
        try:
            message[name] = value
        except ValueError as error:
            raise BadRequest(f"invalid header {name!r}: {error}") from None


def client_peer(request: Request) -> str:
    if request.client is None:
        return ""
    host = f"[{request.client.host}]" if ":" in request.client.host else request.client.host
    return f"{host}:{request.client.port}"


async def send_message(request: Request) -> Response:
    """With `?mailbox=NAME`, the message is filed there instead of where the rules say."""
    context = sink_context(request)
    received = datetime.now(UTC)
    try:
        mailbox = mailbox_param(request.query_params)
        body = await read_object(request)
        message, recipients = compose(body, received)
        raw = message.as_bytes()
    except BadRequest as error:
        return json_response({"Error": str(error)}, 400)
    except (ValueError, TypeError, LookupError) as error:
        return json_response({"Error": f"error building message: {error}"}, 400)
    if len(raw) > context.config.smtp_max_size:
        return too_large_response(json_error=True)
    credentials = basic_credentials(request.headers.get("authorization"))
    envelope = Envelope(
        mail_from=message["From"].addresses[0].addr_spec,
        recipients=tuple(Recipient(address) for address in recipients),
        received=received,
        peer=client_peer(request),
        auth_user=credentials[0] if credentials else None,
    )
    stored = await context.ingest.deliver(envelope, raw, mailbox=mailbox)
    return json_response({"ID": stored.id})
