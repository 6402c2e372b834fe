"""`POST /api/v1/send`: a message composed from JSON goes through the SMTP pipeline."""

from __future__ import annotations

import base64

import httpx

from mailsink import MailSink

PNG = bytes.fromhex("89504e470d0a1a0a") + b"png bytes"


def test_send_stores_a_message(client: httpx.Client, sink: MailSink) -> None:
    response = client.post(
        "/api/v1/send",
        json={
            "from": {"email": "app@example.com", "name": "The App"},  # keys in any case
            "To": [{"Email": "user@example.com", "Name": "User"}],
            "Cc": [{"Email": "cc@example.com"}],
            "Bcc": ["hidden@example.com"],
            "ReplyTo": [{"Email": "reply@example.com"}],
            "Subject": "Wélcome",
            "Text": "Hello ✓\n",
            "HTML": '<p>Hello <img src="cid:logo"></p>',
            "Tags": ["signup", "test"],
            "Headers": {"X-Request-Id": "42"},
            "Attachments": [
                {
                    "Content": base64.b64encode(PNG).decode(),
                    "FileName": "logo.png",
                    "ContentID": "logo",
                },
                {
                    "Content": "data:text/plain;base64," + base64.b64encode(b"notes").decode(),
                    "Filename": "notes.txt",
                },
            ],
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    message_id = response.json()["ID"]
    assert list(response.json()) == ["ID"]

    message = client.get(f"/api/v1/message/{message_id}").json()
    assert message["From"] == {"Name": "The App", "Address": "app@example.com"}
    assert message["To"] == [{"Name": "User", "Address": "user@example.com"}]
    assert message["Bcc"] == [{"Name": "", "Address": "hidden@example.com"}]
    assert message["Subject"] == "Wélcome"
    assert message["Text"].splitlines() == ["Hello ✓"]
    assert message["Tags"] == ["signup", "test"]
    assert message["MessageID"].endswith("@mailsink")
    assert [a["FileName"] for a in message["Inline"]] == ["logo.png"]
    assert [a["FileName"] for a in message["Attachments"]] == ["notes.txt"]
    envelope = message["Envelope"]
    assert envelope["MailFrom"] == "app@example.com"
    assert [r["Address"] for r in envelope["RcptTo"]] == [
        "user@example.com",
        "cc@example.com",
        "hidden@example.com",
    ]
    assert envelope["Helo"] == ""
    assert envelope["RemoteAddr"].startswith("127.0.0.1:")
    headers = client.get(f"/api/v1/message/{message_id}/headers").json()
    assert "Bcc" not in headers
    assert headers["X-Request-Id"] == ["42"]
    [captured] = sink.messages
    assert captured.envelope.rcpt_tos == [
        "user@example.com",
        "cc@example.com",
        "hidden@example.com",
    ]
    inline = client.get(f"/api/v1/message/{message_id}/part/{message['Inline'][0]['PartID']}")
    assert inline.content == PNG


SEND_ERRORS = [
    ({"To": [{"Email": "a@example.com"}]}, "error building message: from not set"),
    (
        {"From": {"Email": "a@example.com"}},
        "error building message: no recipients (to, cc, bcc) set",
    ),
    (
        {"From": {"Email": "a@example.com"}, "To": [{"Email": "nope"}]},
        "invalid To address: nope",
    ),
    ({"From": {"Email": "a@example.com"}, "Cc": [{"Email": "x y"}]}, "invalid Cc address: x y"),
    ({"From": {"Email": "a@example.com"}, "Bcc": ["@"]}, "invalid Bcc address: @"),
    (
        {
            "From": {"Email": "a@x.com"},
            "To": [{"Email": "b@x.com"}],
            "Headers": {"subject": "x"},
        },
        'cannot overwrite header: "subject"',
    ),
    (
        {
            "From": {"Email": "a@x.com"},
            "To": [{"Email": "b@x.com"}],
            "Tags": ["t"],
            "Headers": {"X-Tags": "x"},
        },
        'cannot overwrite header: "X-Tags"',
    ),
    (
        {
            "From": {"Email": "a@x.com"},
            "To": [{"Email": "b@x.com"}],
            "Headers": {"X-Evil": "a\r\nBcc: victim@example.com"},
        },
        "invalid header 'X-Evil'",
    ),
    (
        {
            "From": {"Email": "a@x.com"},
            "To": [{"Email": "b@x.com"}],
            "Attachments": [{"Content": "!!!", "Filename": "a.bin"}],
        },
        'error decoding base64 attachment "a.bin"',
    ),
]


def test_send_errors_are_json(client: httpx.Client, sink: MailSink) -> None:
    for body, error in SEND_ERRORS:
        response = client.post("/api/v1/send", json=body)
        assert response.status_code == 400, error
        assert response.headers["content-type"] == "application/json"
        assert response.json()["Error"].startswith(error)
    assert sink.messages == []


def test_send_malformed_json(client: httpx.Client, sink: MailSink) -> None:
    response = client.post(
        "/api/v1/send", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Error" in response.json()
    assert client.post("/api/v1/send", json=["a list"]).status_code == 400
    assert sink.messages == []


def test_send_over_the_size_limit(make_sink) -> None:  # type: ignore[no-untyped-def]
    sink = make_sink(smtp_max_size=10_000)
    body = {
        "From": {"Email": "a@x.com"},
        "To": [{"Email": "b@x.com"}],
        "Text": "x" * 20_000,
    }
    with httpx.Client(base_url=sink.url, timeout=30) as client:
        response = client.post("/api/v1/send", json=body)
        assert response.status_code == 413
        assert response.json() == {"Error": "http: request body too large"}
        small = {
            **body,
            "Text": "small",
            "Attachments": [
                {"Content": base64.b64encode(b"y" * 9_000).decode(), "Filename": "big.bin"}
            ],
        }
        assert client.post("/api/v1/send", json=small).status_code == 413
    assert sink.messages == []
