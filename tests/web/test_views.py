"""`/view/{ID}.html|.txt`, `/view/latest`, the UI's static files and `--webroot`."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

import httpx

from mailsink import MailSink
from tests.builders import compose

SendMail = Callable[..., str]
SendMessage = Callable[..., str]
MakeSink = Callable[..., MailSink]


def cid_message() -> EmailMessage:
    message = compose(
        "cid",
        mail_from="a@example.com",
        to="b@example.com",
        text="text version\n",
        html='<html><head></head><body><img src="cid:logo@x"><a href="https://example.com/">go</a>'
        "<script>alert(1)</script></body></html>",
        date=None,
        message_id=None,
    )
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(b"GIF89a", "image", "gif", cid="<logo@x>", filename="logo.gif")
    return message


def test_view_html_rewrites_cid_and_is_locked_down(
    client: httpx.Client, send_message: SendMessage
) -> None:
    message = send_message(cid_message())
    response = client.get(f"/view/{message}.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    part_url = f"/api/v1/message/{message}/part/2.2"  # alternative[text, related[html, gif]]
    assert f'src="{part_url}"' in response.text
    assert client.get(part_url).content == b"GIF89a"
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert "img-src 'self' data:;" in policy
    assert "frame-ancestors 'self'" in policy
    assert "sandbox" in policy
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    remote = client.get(f"/view/{message}.html", params={"remote": "1"})
    assert "https:" in remote.headers["content-security-policy"]
    embedded = client.get(f"/view/{message}.html", params={"embed": "1"})
    assert '<head><base target="_blank">' in embedded.text


def test_view_text_and_latest(client: httpx.Client, send_mail: SendMail) -> None:
    assert client.get("/view/latest.txt").status_code == 404
    message = send_mail("plain", text="just text\n")
    text = client.get(f"/view/{message}.txt")
    assert (text.status_code, text.text.splitlines()) == (200, ["just text"])
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/view/latest.txt").text == text.text
    no_html = client.get(f"/view/{message}.html")
    assert (no_html.status_code, no_html.text) == (404, "This message does not contain a HTML part")
    redirect = client.get("/view/latest", follow_redirects=False)
    assert redirect.status_code == 302
    assert redirect.headers["location"] == f"/#/message/{message}"


def test_ui_is_served_without_python_files(client: httpx.Client) -> None:
    index = client.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert index.headers["x-frame-options"] == "SAMEORIGIN"
    for path in ("/__init__.py", "/__pycache__/", "/../mailsink/config.py", "/%2e%2e/config.py"):
        assert client.get(path).status_code == 404, path
    page = client.get("/view/ABCDEFGHIJKLMNOPQRSTUV", follow_redirects=False)
    assert page.headers["location"] == "/#/message/ABCDEFGHIJKLMNOPQRSTUV"
    assert client.get("/view/..%2Fetc", follow_redirects=False).status_code == 404


def test_webroot(make_sink: MakeSink) -> None:
    sink = make_sink(webroot="/mail/")
    assert sink.url is not None
    origin = sink.url.split("/mail")[0]
    with httpx.Client(base_url=origin, timeout=30) as client:
        redirect = client.get("/mail", follow_redirects=False)
        assert redirect.status_code in (301, 307)
        assert redirect.headers["location"].endswith("/mail/")
        assert client.get("/mail/").status_code == 200
        assert client.get("/mail/livez").status_code == 200
        assert client.get("/mail/api/v1/messages").json()["total"] == 0
        assert client.get("/api/v1/messages").status_code == 404
        sent = client.post(
            "/mail/api/v1/send", json={"From": {"Email": "a@x.com"}, "To": [{"Email": "b@x.com"}]}
        )
        assert sent.status_code == 200
        latest = client.get("/mail/view/latest", follow_redirects=False)
        assert latest.headers["location"] == f"/mail/#/message/{sent.json()['ID']}"
