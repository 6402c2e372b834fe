"""`/api/v1/message/{ID}…`: message JSON, latest, headers, raw, parts, MIME tree.

The shapes are in docs/mailpit-api.md, Single message endpoints.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP

import httpx
import pytest

from mailsink import MailSink

SendMail = Callable[..., str]
SendMessage = Callable[..., str]

MESSAGE_KEYS = [
    "ID",
    "MessageID",
    "Read",
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "ReturnPath",
    "Subject",
    "ListUnsubscribe",
    "Date",
    "Tags",
    "Username",
    "Text",
    "HTML",
    "Size",
    "Inline",
    "Attachments",
    "Seq",
    "Warnings",
    "Envelope",
]
PNG = bytes.fromhex("89504e470d0a1a0a") + b"not really a png"
PDF = b"%PDF-1.4 fake pdf\n"


def rich_message() -> EmailMessage:
    """text + HTML with a cid: image, and a PDF attachment:
    mixed[ alternative[ text(1.1), related[ html(1.2.1), png(1.2.2) ](1.2.0) ](1.0), pdf(2) ]."""
    message = EmailMessage(policy=SMTP)
    message["From"] = "Ann <ann@example.com>"
    message["To"] = "bob@example.com"
    message["Cc"] = "Carl <carl@example.com>"
    message["Reply-To"] = "replies@example.com"
    message["Subject"] = "=?utf-8?q?Caf=C3=A9?= report"
    message["Date"] = "Tue, 02 Jan 2024 03:04:05 +1300"
    message["Message-ID"] = "<rich@example.com>"
    message["List-Unsubscribe"] = "<mailto:unsub@example.com>"
    message["X-Custom-HEADER"] = "one"
    message.set_content("Plain body\n")
    message.add_alternative('<p>HTML body <img src="cid:logo@example.com"></p>', subtype="html")
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(
        PNG, "image", "png", cid="<logo@example.com>", filename="logo.png", disposition="inline"
    )
    message.add_attachment(PDF, "application", "pdf", filename="report.pdf")
    return message


@pytest.fixture
def rich_id(send_message: SendMessage) -> str:
    return send_message(
        rich_message(),
        mail_from="bounce@example.com",
        rcpt_to=("bob@example.com", "secret@example.com"),
    )


def test_message_json(client: httpx.Client, rich_id: str, sink: MailSink) -> None:
    response = client.get(f"/api/v1/message/{rich_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == MESSAGE_KEYS
    assert body["ID"] == rich_id
    assert body["MessageID"] == "rich@example.com"
    assert body["Read"] is True
    assert body["From"] == {"Name": "Ann", "Address": "ann@example.com"}
    assert body["To"] == [{"Name": "", "Address": "bob@example.com"}]
    assert body["Cc"] == [{"Name": "Carl", "Address": "carl@example.com"}]
    assert body["Bcc"] == [{"Name": "", "Address": "secret@example.com"}]
    assert body["ReplyTo"] == [{"Name": "", "Address": "replies@example.com"}]
    assert body["ReturnPath"] == "bounce@example.com"
    assert body["Subject"] == "Café report"
    assert body["ListUnsubscribe"]["Header"] == "<mailto:unsub@example.com>"
    assert body["Date"] == "2024-01-02T03:04:05+13:00"
    assert body["Text"].splitlines() == ["Plain body"]  # line ends as stored
    assert body["HTML"].startswith("<p>HTML body")
    assert body["Size"] == len(sink.messages[-1].raw)
    assert body["Inline"] == [
        {
            "PartID": "1.2.2",
            "FileName": "logo.png",
            "ContentType": "image/png",
            "ContentID": "logo@example.com",
            "Size": len(PNG),
            "Checksums": {
                "MD5": hashlib.md5(PNG).hexdigest(),
                "SHA1": hashlib.sha1(PNG).hexdigest(),
                "SHA256": hashlib.sha256(PNG).hexdigest(),
            },
        }
    ]
    [pdf] = body["Attachments"]
    assert (pdf["PartID"], pdf["FileName"], pdf["ContentType"]) == (
        "2",
        "report.pdf",
        "application/pdf",
    )
    envelope = body["Envelope"]
    assert envelope["MailFrom"] == "bounce@example.com"
    assert [r["Address"] for r in envelope["RcptTo"]] == ["bob@example.com", "secret@example.com"]
    assert envelope["RemoteAddr"].startswith("127.0.0.1:")
    assert envelope["TLS"] is None
    assert envelope["Mailbox"] == "default"
    assert isinstance(body["Warnings"], list)
    assert isinstance(body["Seq"], int)


def test_opening_marks_read(client: httpx.Client, send_mail: SendMail) -> None:
    message = send_mail()
    assert client.get("/api/v1/messages").json()["unread"] == 1
    client.get(f"/api/v1/message/{message}")
    listed = client.get("/api/v1/messages").json()
    assert listed["unread"] == 0
    assert listed["messages"][0]["Read"] is True


def test_latest_and_query(client: httpx.Client, send_mail: SendMail) -> None:
    missing = client.get("/api/v1/message/latest")
    assert (missing.status_code, missing.text) == (404, "Message not found")
    older = send_mail("Older", to="x@example.com")
    newer = send_mail("Newer")
    assert client.get("/api/v1/message/latest").json()["ID"] == newer
    picked = client.get("/api/v1/message/latest", params={"query": "subject:older"}).json()
    assert picked["ID"] == older
    assert client.get("/api/v1/message/latest/raw").text.count("Subject: Newer") == 1
    nothing = client.get("/api/v1/message/latest", params={"query": "subject:nope"})
    assert nothing.status_code == 404


UNKNOWN_PATHS = [
    "/api/v1/message/{unknown}",
    "/api/v1/message/{unknown}/headers",
    "/api/v1/message/{unknown}/raw",
    "/api/v1/message/{unknown}/mime",
    "/api/v1/message/{unknown}/part/1",
    "/api/v1/message/..%2F..%2Fetc%2Fpasswd",
    "/api/v1/message/..%2F..%2Fetc%2Fpasswd/raw",
    "/api/v1/message/%2e%2e/raw",
    "/api/v1/message/{real}/part/..%2F..%2Fetc%2Fpasswd",
    "/api/v1/message/{real}/part/99",
    "/api/v1/message/{real}/part/",
    "/view/{unknown}.html",
    "/view/{unknown}.txt",
]


def test_unknown_ids_are_404(client: httpx.Client, send_mail: SendMail) -> None:
    real = send_mail()
    for path in UNKNOWN_PATHS:
        url = path.format(unknown="A" * 22, real=real)
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/plain"), url
        assert "Traceback" not in response.text


def test_headers_are_go_canonical(client: httpx.Client, rich_id: str) -> None:
    response = client.get(f"/api/v1/message/{rich_id}/headers")
    assert response.status_code == 200
    headers = response.json()
    assert list(headers) == sorted(headers)
    assert headers["Message-Id"] == ["<rich@example.com>"]
    assert headers["X-Custom-Header"] == ["one"]
    assert headers["Mime-Version"] == ["1.0"]
    assert headers["Subject"] == ["=?utf-8?q?Caf=C3=A9?= report"]  # raw, not decoded


def test_raw_is_exact(client: httpx.Client, rich_id: str, sink: MailSink) -> None:
    response = client.get(f"/api/v1/message/{rich_id}/raw")
    assert response.content == sink.messages[-1].raw
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "content-disposition" not in response.headers
    download = client.get(f"/api/v1/message/{rich_id}/raw", params={"dl": "1"})
    assert download.headers["content-disposition"] == f'attachment; filename="{rich_id}.eml"'


def test_part_download(client: httpx.Client, rich_id: str) -> None:
    pdf = client.get(f"/api/v1/message/{rich_id}/part/2")
    assert pdf.status_code == 200
    assert pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'inline; filename="report.pdf"'
    assert pdf.headers["x-content-type-options"] == "nosniff"
    image = client.get(f"/api/v1/message/{rich_id}/part/1.2.2")
    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"


def test_hostile_filename_never_reaches_the_header(
    client: httpx.Client, send_message: SendMessage
) -> None:
    message = EmailMessage(policy=SMTP)
    message["From"] = "a@example.com"
    message["To"] = "b@example.com"
    message["Subject"] = "evil name"
    message.set_content("see attachment\n")
    message.add_attachment(b"<script>alert(1)</script>", "text", "html", filename='../../x".html')
    message_id = send_message(message)
    response = client.get(f"/api/v1/message/{message_id}/part/2")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition == 'inline; filename="..%2F..%2Fx%22.html"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_mime_tree(client: httpx.Client, rich_id: str) -> None:
    tree = client.get(f"/api/v1/message/{rich_id}/mime").json()
    assert list(tree) == [
        "PartID",
        "ContentType",
        "Params",
        "Charset",
        "TransferEncoding",
        "Disposition",
        "FileName",
        "ContentID",
        "Size",
        "Children",
    ]
    assert (tree["PartID"], tree["ContentType"]) == ("0", "multipart/mixed")
    alternative, pdf = tree["Children"]
    assert alternative["ContentType"] == "multipart/alternative"
    assert (pdf["PartID"], pdf["FileName"], pdf["Disposition"]) == ("2", "report.pdf", "attachment")
    related = alternative["Children"][1]
    assert [c["ContentID"] for c in related["Children"]] == ["", "logo@example.com"]


def test_thumbnail_is_a_jpeg(client: httpx.Client, rich_id: str) -> None:
    response = client.get(f"/api/v1/message/{rich_id}/part/1.2.2/thumb")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content.startswith(b"\xff\xd8")
    assert response.content.endswith(b"\xff\xd9")
    assert response.headers["content-disposition"] == 'filename="logo.png"'
    assert client.get(f"/api/v1/message/{rich_id}/part/9/thumb").status_code == 400
    assert client.get("/api/v1/message/latest/part/1/thumb").status_code == 400


def test_checks_that_are_off_or_have_nothing_to_check_say_so(
    client: httpx.Client, rich_id: str, send_mail: SendMail
) -> None:
    sa = client.get(f"/api/v1/message/{rich_id}/sa-check")
    assert sa.status_code == 404
    assert "--spamassassin" in sa.text
    assert client.get(f"/api/v1/message/{rich_id}/html-check").status_code == 200
    plain = send_mail("no html")
    no_html = client.get(f"/api/v1/message/{plain}/html-check")
    assert (no_html.status_code, no_html.text) == (400, "message does not contain HTML")
    assert client.get(f"/api/v1/message/{'B' * 22}/html-check").status_code == 404
    link = client.get(f"/api/v1/message/{rich_id}/link-check", params={"follow": "false"})
    assert link.status_code == 400
    assert "--enable-link-check" in link.text


def test_release_without_relay(client: httpx.Client, rich_id: str) -> None:
    response = client.post(f"/api/v1/message/{rich_id}/release", json={"To": ["x@example.com"]})
    assert response.status_code == 400
    assert response.text.startswith("SMTP error: ")
    unknown = client.post(f"/api/v1/message/{'C' * 22}/release", json={"To": ["x@example.com"]})
    assert unknown.status_code == 404


def test_warnings_name_long_lines_and_bare_line_ends(
    client: httpx.Client, send_message: SendMessage, sink: MailSink
) -> None:
    """The line checks are made when the message is shown, ahead of ingest's header checks;
    the API and the pytest view give the same list."""
    raw = (
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: off-standard\r\n\r\n"
        + b"y" * 1200
        + b"\r\nbare LF here\nand a bare CR\r here\r\n"
    )
    message_id = send_message(raw)
    warnings = client.get(f"/api/v1/message/{message_id}").json()["Warnings"]
    assert warnings == [
        "line 5 is 1,200 bytes long; lines must not exceed 1,000 bytes (998 + CRLF)",
        "bare LF (line ending without CR) once, first on line 6",
        "bare CR (CR not followed by LF) once, first on line 7",
        "missing Date header",
        "missing Message-ID header",
    ]
    assert sink.messages[-1].warnings == warnings
