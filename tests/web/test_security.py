"""Security defaults (docs/interface.md) over real HTTP: Host allowlist, cross-site forms,
basic auth, body caps, CORS, nosniff, and hostile requests that must get a clear 4xx and change
nothing."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable
from pathlib import Path

import bcrypt
import httpx

from mailsink import MailSink

SendMail = Callable[..., str]
MakeSink = Callable[..., MailSink]
LOCAL_HOSTS = ["localhost", "LOCALHOST:8025", "127.0.0.1", "[::1]:8025", "app.localhost"]


def test_foreign_host_is_refused(client: httpx.Client, send_mail: SendMail) -> None:
    send_mail()
    for host, method in itertools.product(
        ["evil.example", "evil.example:8025", "127.0.0.1.evil.example"], ["GET", "DELETE"]
    ):
        response = client.request(method, "/api/v1/messages", headers={"Host": host})
        assert response.status_code == 403
        assert "--allowed-host" in response.text
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/v1/messages").json()["total"] == 1


def test_local_hosts_are_served(client: httpx.Client) -> None:
    for host in LOCAL_HOSTS:
        assert client.get("/api/v1/messages", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_option(make_sink: MakeSink) -> None:
    sink = make_sink(allowed_hosts=("mail.test",))
    with httpx.Client(base_url=sink.url, timeout=30) as client:
        assert client.get("/livez", headers={"Host": "mail.test:8025"}).status_code == 200
        assert client.get("/livez", headers={"Host": "other.test"}).status_code == 403


def test_cross_site_form_post_is_refused(
    client: httpx.Client, send_mail: SendMail, sink: MailSink
) -> None:
    message = send_mail()
    form = {"From": "a@x.com", "To": "b@x.com"}
    assert client.post("/api/v1/send", data=form).status_code == 415
    text = client.post(
        "/api/v1/send",
        content=b'{"From": {"Email": "a@x.com"}}',
        headers={"Content-Type": "text/plain"},
    )
    assert text.status_code == 415
    assert "application/json" in text.text
    release = client.post(f"/api/v1/message/{message}/release", data={"To": "x@example.com"})
    assert release.status_code == 415
    assert len(sink.messages) == 1


def test_nosniff_everywhere(client: httpx.Client, send_mail: SendMail) -> None:
    message = send_mail()
    for path in ("/", "/livez", "/api/v1/messages", f"/api/v1/message/{message}/raw", "/nope"):
        assert client.get(path).headers["x-content-type-options"] == "nosniff", path


def test_body_cap(client: httpx.Client, send_mail: SendMail) -> None:
    send_mail()
    big = b'{"IDs": ["' + b"x" * (6 * 1024 * 1024) + b'"]}'
    response = client.request(
        "DELETE", "/api/v1/messages", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.text == "http: request body too large"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(7):
            yield b" " * (1024 * 1024)

    streamed = client.put("/api/v1/messages", content=chunks())
    assert streamed.status_code == 413
    assert client.get("/api/v1/messages").json()["total"] == 1


def test_huge_query_string(client: httpx.Client, sink: MailSink) -> None:
    long_word = client.get("/api/v1/search", params={"query": "a" * 60_000})
    assert long_word.status_code == 200
    url = httpx.URL(sink.url or "")
    with socket.create_connection((url.host, url.port or 80), timeout=30) as raw:
        query = b"a" * 1_000_000
        try:
            raw.sendall(
                b"GET /api/v1/search?query=" + query + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
            )
            reply = raw.recv(100)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered 400 and closed before reading it all; the kernel's reset may
            # discard that answer before we read it.
            reply = b"HTTP/1.1 400 (reset)"
        assert reply.startswith(b"HTTP/1.1 400 ")
    assert client.get("/livez").status_code == 200


def test_garbage_requests_get_4xx(client: httpx.Client, send_mail: SendMail) -> None:
    message = send_mail()
    cases = [
        ("PUT", "/api/v1/messages", b"\xff\xfe\x00garbage"),
        ("PUT", "/api/v1/messages", b"[1, 2, 3]"),
        ("PUT", "/api/v1/messages", b'{"IDs": [1, 2]}'),
        ("PUT", "/api/v1/tags", b'{"IDs": 5}'),
        ("PUT", "/api/v1/tags/x", b"nope"),
        ("PUT", "/api/v1/chaos", b"nope"),
        ("DELETE", "/api/v1/messages", b'{"IDs": {"a": 1}}'),
        ("POST", f"/api/v1/message/{message}/release", b"{]"),
        ("POST", "/api/v1/send", b"\x00" * 100),
        ("POST", "/api/v1/send", b"[" * 100_000),
        ("PATCH", "/api/v1/messages", b"{}"),
        ("POST", "/api/v1/messages", b"{}"),
    ]
    for method, path, body in cases:
        response = client.request(
            method, path, content=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
    assert client.get("/api/v1/messages").json()["total"] == 1
    assert client.get("/api/v1/messages").json()["unread"] == 1


def write_htpasswd(tmp_path: Path) -> Path:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(4)).decode()
    path = tmp_path / "ui.htpasswd"
    path.write_text(f"# users\nalice:{hashed}\nbob:plainpass\n")
    return path


def test_basic_auth(make_sink: MakeSink, tmp_path: Path) -> None:
    sink = make_sink(ui_auth_file=write_htpasswd(tmp_path))
    with httpx.Client(base_url=sink.url, timeout=30) as client:
        refused = client.get("/api/v1/messages")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == 'Basic realm="Login"'
        assert refused.text == "Unauthorized.\n"
        assert client.get("/", auth=("alice", "wrong")).status_code == 401
        assert client.get("/api/v1/messages", auth=("alice", "s3cret")).status_code == 200
        assert client.get("/api/v1/messages", auth=("alice", "s3cret")).status_code == 200
        assert client.get("/api/v1/messages", auth=("bob", "plainpass")).status_code == 200
        assert client.get("/livez").status_code == 200
        assert client.get("/readyz").status_code == 200
        sent = client.post(
            "/api/v1/send",
            json={"From": {"Email": "a@x.com"}, "To": [{"Email": "b@x.com"}]},
            auth=("bob", "plainpass"),
        )
        assert sent.status_code == 200
        message = client.get(f"/api/v1/message/{sent.json()['ID']}", auth=("bob", "plainpass"))
        assert message.json()["Username"] == "bob"


def test_cors_only_when_configured(client: httpx.Client, make_sink: MakeSink) -> None:
    plain = client.get("/api/v1/messages", headers={"Origin": "http://app.test"})
    assert "access-control-allow-origin" not in plain.headers
    sink = make_sink(api_cors=("http://app.test",))
    with httpx.Client(base_url=sink.url, timeout=30) as cors_client:
        allowed = cors_client.get("/api/v1/messages", headers={"Origin": "http://app.test"})
        assert allowed.headers["access-control-allow-origin"] == "http://app.test"
        assert allowed.headers["access-control-allow-methods"] == "GET, POST, DELETE, PUT, OPTIONS"
        preflight = cors_client.options(
            "/api/v1/messages",
            headers={"Origin": "http://app.test", "Access-Control-Request-Method": "DELETE"},
        )
        assert (preflight.status_code, preflight.text) == (200, "")
        other = cors_client.get("/api/v1/messages", headers={"Origin": "http://evil.test"})
        assert "access-control-allow-origin" not in other.headers


def test_any_host_when_bound_to_all_interfaces(make_sink: MakeSink) -> None:
    from mailsink.config import HostPort

    sink = make_sink(listen=HostPort("0.0.0.0", 0))
    port = sink.url.rstrip("/").rsplit(":", 1)[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        assert client.get("/livez", headers={"Host": "mail.example.com"}).status_code == 200
