"""MailHog's API: the PyPI client unchanged against the root routes, and MailHog's exact shapes,
content types and empty bodies under `/mailhog`, checked over real HTTP after real SMTP."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from mailhog import Mailhog
from websockets.asyncio.client import connect

from mailsink import MailSink
from mailsink.web.mailhog import streams
from tests.builders import compose

from .conftest import SendMail, smtp_send

MESSAGE_KEYS = ["ID", "From", "To", "Content", "Created", "MIME", "Raw"]
CONTENT_KEYS = ["Headers", "Body", "Size", "MIME"]
PATH_KEYS = ["Relays", "Mailbox", "Domain", "Params"]


def pypi_client(sink: MailSink) -> Mailhog:
    assert sink.url is not None
    address = urlsplit(sink.url)
    assert address.hostname is not None
    return Mailhog(host=address.hostname, port=address.port or 80)


def multipart_message() -> EmailMessage:
    message = compose(
        "Report",
        mail_from="Ann <ann@example.com>",
        to="bob@example.com",
        text="See the attachment.\n",
        date=None,
        message_id=None,
    )
    message.add_attachment(b"\x00\x01binary", maintype="application", subtype="octet-stream",
                           filename="data.bin")  # fmt: skip
    return message


def test_the_pypi_client_lists_searches_and_deletes_unchanged(
    sink: MailSink, send_mail: SendMail
) -> None:
    first = send_mail("First", mail_from="ann@example.com", rcpt_to=("bob@example.com",))
    second = send_mail("Second", rcpt_to=("carol@example.com", "dave@example.com"))
    mailhog = pypi_client(sink)

    listed = mailhog.messages()
    assert (listed.total, listed.count, listed.start) == (2, 2, 0)
    assert [m.id for m in listed.items] == [second, first]  # newest first
    assert listed.items[0].get_subject() == "Second"
    assert listed.items[0].get_sender() == "sender@example.com"  # the envelope's MAIL FROM
    assert listed.items[0].get_recipients() == ["carol@example.com", "dave@example.com"]
    assert [m.id for m in mailhog.messages(start=1, limit=1).items] == [first]

    assert [m.id for m in mailhog.search("carol@", kind="to").items] == [second]
    assert [m.id for m in mailhog.search("ann@example", kind="from").items] == [first]
    assert [m.id for m in mailhog.search("First").items] == [first]  # kind=containing
    assert mailhog.search("nowhere").total == 0

    mailhog.delete(listed.items[1])
    assert [m.id for m in mailhog.messages().items] == [second]
    mailhog.delete_all()
    assert mailhog.messages().total == 0


def test_v2_messages_shape_and_content_type(sink: MailSink, client: httpx.Client) -> None:
    message_id = smtp_send(sink, multipart_message(), rcpt_to=("bob@example.com",))
    response = client.get("/mailhog/api/v2/messages")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/json"
    assert not response.text.endswith("\n")
    page = response.json()
    assert list(page) == ["total", "count", "start", "items"]
    assert (page["total"], page["count"], page["start"]) == (1, 1, 0)
    message = page["items"][0]
    assert list(message) == MESSAGE_KEYS
    assert message["ID"] == message_id
    assert message["From"] == {"Relays": None, "Mailbox": "sender", "Domain": "example.com",
                               "Params": ""}  # fmt: skip
    assert [list(path) for path in message["To"]] == [PATH_KEYS]
    content = message["Content"]
    assert list(content) == CONTENT_KEYS
    assert content["MIME"] is None
    assert content["Headers"]["Subject"] == ["Report"]
    assert content["Headers"]["Return-Path"] == ["<sender@example.com>"]
    raw = sink.messages[0].raw
    assert content["Size"] == len(raw) - 2  # MailHog keeps the DATA without its last CRLF
    assert message["Raw"] == {
        "From": "sender@example.com",
        "To": ["bob@example.com"],
        "Data": raw[:-2].decode(),
        "Helo": message["Raw"]["Helo"],
    }
    parts = message["MIME"]["Parts"]
    assert [list(part) for part in parts] == [CONTENT_KEYS, CONTENT_KEYS]
    assert parts[0]["Headers"]["Content-Type"] == ['text/plain; charset="utf-8"']
    assert parts[1]["Headers"]["Content-Transfer-Encoding"] == ["base64"]
    assert base64.b64decode(parts[1]["Body"]) == b"\x00\x01binary"  # bodies stay encoded


def test_v2_paging_rules(client: httpx.Client, send_mail: SendMail) -> None:
    for number in range(3):
        send_mail(f"Message {number}")
    page = client.get("/mailhog/api/v2/messages", params={"start": -5, "limit": 0}).json()
    assert (page["start"], page["count"]) == (0, 3)
    page = client.get("/mailhog/api/v2/messages", params={"start": 2, "limit": 1000}).json()
    assert (page["total"], page["start"], page["count"]) == (3, 2, 1)
    page = client.get("/mailhog/api/v2/messages", params={"start": 9}).json()
    assert (page["total"], page["count"], page["items"]) == (3, 0, [])


def test_v2_search_content_type_and_bad_kinds(client: httpx.Client, send_mail: SendMail) -> None:
    send_mail("Needle")
    response = client.get("/api/v2/search", params={"kind": "containing", "query": "needle"})
    assert response.headers["content-type"] == "application/json"
    assert (response.json()["total"], response.json()["count"]) == (1, 1)
    for params in ({"kind": "subject", "query": "x"}, {"kind": "from", "query": ""}, {}):
        response = client.get("/mailhog/api/v2/search", params=params)
        assert (response.status_code, response.content) == (400, b"")


def test_v1_messages_and_message(client: httpx.Client, send_mail: SendMail) -> None:
    message_id = send_mail("Version one")
    response = client.get("/mailhog/api/v1/messages")
    assert response.headers["content-type"] == "text/json"
    assert [m["ID"] for m in response.json()] == [message_id]
    response = client.get(f"/mailhog/api/v1/messages/{message_id}")
    assert response.headers["content-type"] == "text/json"
    assert list(response.json()) == MESSAGE_KEYS
    response = client.get("/mailhog/api/v1/messages/unknown=@mailhog.example")
    assert (response.status_code, response.content) == (404, b"")


def test_deletes_answer_with_empty_bodies(client: httpx.Client, send_mail: SendMail) -> None:
    first = send_mail("One")
    send_mail("Two")
    response = client.delete(f"/mailhog/api/v1/messages/{first}")
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-type"] == "text/json"
    response = client.delete(f"/mailhog/api/v1/messages/{first}")
    assert (response.status_code, response.content) == (404, b"")
    response = client.delete("/mailhog/api/v1/messages")
    assert (response.status_code, response.content) == (200, b"")
    assert client.get("/mailhog/api/v2/messages").json()["total"] == 0


def test_root_delete_of_one_message_is_mailhogs(client: httpx.Client, send_mail: SendMail) -> None:
    message_id = send_mail("Root delete")
    response = client.delete(f"/api/v1/messages/{message_id}")
    assert (response.status_code, response.content) == (200, b"")
    # DELETE /api/v1/messages at the root stays Mailpit's, answering `ok`.
    response = client.delete("/api/v1/messages")
    assert (response.status_code, response.text) == (200, "ok")


def test_downloads(sink: MailSink, client: httpx.Client) -> None:
    message_id = smtp_send(sink, multipart_message())
    response = client.get(f"/mailhog/api/v1/messages/{message_id}/download")
    assert response.status_code == 200
    assert response.headers["content-type"] == "message/rfc822"
    assert response.headers["content-disposition"] == f'attachment; filename="{message_id}.eml"'
    assert response.content == sink.messages[0].raw
    response = client.get(f"/mailhog/api/v1/messages/{message_id}/mime/part/1/download")
    assert response.status_code == 200
    assert response.content == b"\x00\x01binary"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    for part in ("2", "-1", "x"):
        response = client.get(f"/mailhog/api/v1/messages/{message_id}/mime/part/{part}/download")
        assert (response.status_code, response.content) == (404, b"")


def test_release_without_a_relay_is_a_clear_400(client: httpx.Client, send_mail: SendMail) -> None:
    message_id = send_mail("Release me")
    body = {"host": "127.0.0.1", "port": "25", "email": "someone@example.com"}
    response = client.post(f"/api/v1/messages/{message_id}/release", json=body)
    assert response.status_code == 400
    assert "--smtp-relay-config" in response.text
    response = client.post(f"/mailhog/api/v1/messages/{message_id}/release", json={})
    assert response.status_code == 400
    response = client.post("/mailhog/api/v1/messages/nope/release", json=body)
    assert (response.status_code, response.content) == (404, b"")


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "content_type"),
    [
        ("GET", "/mailhog/api/v2/outgoing-smtp", 200, b"{}", "application/json"),
        ("GET", "/mailhog/api/v2/jim", 404, b"", None),
        ("DELETE", "/mailhog/api/v2/jim", 404, b"", None),
        ("OPTIONS", "/mailhog/api/v2/messages", 200, b"", None),
        ("OPTIONS", "/mailhog/api/v1/messages", 200, b"", None),
    ],
)
def test_the_rest_of_the_api(
    client: httpx.Client,
    method: str,
    path: str,
    status: int,
    body: bytes,
    content_type: str | None,
) -> None:
    response = client.request(method, path)
    assert (response.status_code, response.content) == (status, body)
    assert response.headers.get("content-type") == content_type


def test_release_sends_through_the_configured_relay(
    make_sink: Callable[..., MailSink], tmp_path: Path
) -> None:
    with MailSink() as upstream:
        config = tmp_path / "relay.yaml"
        config.write_text(f"host: {upstream.host}\nport: {upstream.port}\n")
        sink = make_sink(smtp_relay_config=config)
        message_id = smtp_send(sink, compose("Release me"))
        assert sink.url is not None
        # The npm client's lower-case keys; Host and Port are MailHog's and not used here.
        body = {"host": "192.0.2.1", "port": "25", "email": "dest@example.com"}
        with httpx.Client(base_url=sink.url, timeout=30) as http:
            response = http.post(f"/mailhog/api/v1/messages/{message_id}/release", json=body)
        assert (response.status_code, response.content) == (200, b"")
        released = upstream.wait_for_one(to="dest@example.com")
        assert released.subject == "Release me"


def test_v2_websocket_sends_each_new_message_as_json(sink: MailSink, send_mail: SendMail) -> None:
    assert sink.url is not None
    url = sink.url.replace("http://", "ws://", 1) + "mailhog/api/v2/websocket"

    async def receive_one() -> str:
        async with connect(url) as ws:
            await asyncio.to_thread(until_streaming, sink, "mailhog_websocket")
            message_id = await asyncio.to_thread(send_mail, "Streamed")
            frame = await asyncio.wait_for(ws.recv(), 30)
            assert isinstance(frame, str)
            assert frame.endswith("\n")
            message = json.loads(frame)
            assert list(message) == MESSAGE_KEYS
            assert message["Content"]["Headers"]["Subject"] == ["Streamed"]
            return str(message["ID"]) + " " + message_id

    received, sent = asyncio.run(receive_one()).split()
    assert received == sent


def test_v1_events_stream_each_new_message_as_server_sent_events(
    sink: MailSink, send_mail: SendMail
) -> None:
    assert sink.url is not None
    with (
        httpx.Client(base_url=sink.url, timeout=30) as http,
        http.stream("GET", "/mailhog/api/v1/events") as response,
    ):
        assert response.headers["content-type"] == "text/event-stream"
        assert response.headers["cache-control"] == "no-cache"
        until_streaming(sink, "mailhog_event_stream")
        message_id = send_mail("Evented")
        lines = []
        for line in response.iter_lines():
            if not line:
                break
            lines.append(line)
    assert all(line.startswith("data: ") for line in lines)
    assert lines[1] == 'data:   "ID": "' + message_id + '",'  # indented like MarshalIndent
    message = json.loads("\n".join(line.removeprefix("data: ") for line in lines))
    assert message["ID"] == message_id


def until_streaming(sink: MailSink, stream: str) -> None:
    """Block until the app's stream has a client registered (so no new message is missed)."""
    app = sink._server._http_servers[0].server.config.app
    pause = threading.Event()
    for _ in range(3000):
        broadcaster = getattr(app.state, stream, None)
        if broadcaster is not None and broadcaster.listeners:
            return
        pause.wait(0.01)
    raise AssertionError(f"no client registered on {stream}")


def test_v1_events_stream_sends_keepalives_while_quiet_and_goes_on(
    sink: MailSink, send_mail: SendMail, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quiet stream gets a keepalive comment (it used to break off with InvalidStateError
    at the first one), then still carries the next message."""
    monkeypatch.setattr(streams, "SSE_KEEPALIVE_SECONDS", 0.05)
    assert sink.url is not None
    with (
        httpx.Client(base_url=sink.url, timeout=30) as http,
        http.stream("GET", "/mailhog/api/v1/events") as response,
    ):
        lines = response.iter_lines()
        assert [next(lines), next(lines)] == ["keepalive: ", ""]
        message_id = send_mail("After a quiet while")
        data = next(line for line in lines if line.startswith("data: "))
        while not data.startswith('data:   "ID"'):
            data = next(lines)
    assert data == 'data:   "ID": "' + message_id + '",'


@pytest.mark.parametrize("part", ["%C2%B9", "-1", "x", "99"])
def test_part_download_of_no_such_part_is_404(
    client: httpx.Client, send_mail: SendMail, part: str
) -> None:
    """ "¹" is a digit to str.isdigit() but not to int(): it was a 500 (found by schemathesis)."""
    message_id = send_mail("Parts")
    response = client.get(f"/mailhog/api/v1/messages/{message_id}/mime/part/{part}/download")
    assert response.status_code == 404
