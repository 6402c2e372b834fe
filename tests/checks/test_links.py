"""The link check against a local HTTP server: statuses, redirects, and the SSRF refusals —
loopback by address, by `localhost`, by a name that --dns-override points at 127.0.0.1, and
a redirect to a metadata address — none of which may receive a request."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from mailsink.checks.resolver import CheckResolver
from mailsink.checks.safe_fetch import SafeFetcher

from .conftest import StartSink, assert_matches_openapi, compose, deliver


@dataclass
class LocalServer:
    port: int
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Host

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    state = LocalServer(0)

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            state.requests.append(("HEAD", self.path, self.headers.get("Host", "")))
            if self.path == "/no-head":
                self.send_response(405)
            elif self.path.startswith("/redirect-to?"):
                self.send_response(302)
                self.send_header("Location", self.path.partition("?")[2])
            elif self.path == "/missing":
                self.send_response(404)
            else:
                self.send_response(200)
            self.send_header("Set-Cookie", "tracker=1")
            self.end_headers()

        def do_GET(self) -> None:
            state.requests.append(("GET", self.path, self.headers.get("Cookie", "")))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 1_000_000)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


def links_message(server: LocalServer) -> str:
    return (
        f'<a href="{server.url("/ok")}">ok</a> <a href="{server.url("/missing")}">gone</a>'
        f' <img src="{server.url("/logo.png")}">'
        f' <a href="{server.url("/redirect-to?/ok")}">moved</a>'
        ' <a href="mailto:help@app.test">mail</a>'
    )


def test_statuses_of_links_and_images(start_sink: StartSink, local_server: LocalServer) -> None:
    sink = start_sink(enable_link_check=True, link_check_allow_private=True)
    message = deliver(sink, compose(html=links_message(local_server)))
    check = message.checks.links
    assert {link.url.rpartition(":")[2]: link.status_code for link in check.links} == {
        f"{local_server.port}/ok": 200,
        f"{local_server.port}/missing": 404,
        f"{local_server.port}/logo.png": 200,
        f"{local_server.port}/redirect-to?/ok": 302,
    }
    assert check.errors == 1
    followed = message.checks.check_links(follow=True)
    assert followed.status_of(local_server.url("/redirect-to?/ok")).status_code == 200

    assert sink.url is not None
    api = f"{sink.url}api/v1/message/{message.id}/link-check"
    body = httpx.get(api, params={"follow": "true"}, timeout=60).json()
    assert body["Errors"] == 1
    assert_matches_openapi(body, "/api/v1/message/{id}/link-check")
    assert {"URL", "StatusCode", "Status"} == set(body["Links"][0])
    assert not any(cookie for method, _, cookie in local_server.requests if method == "GET")


def test_the_link_check_is_off_by_default(start_sink: StartSink, local_server: LocalServer) -> None:
    sink = start_sink()
    message = deliver(sink, compose(html=links_message(local_server)))
    response = httpx.get(f"{sink.url}api/v1/message/{message.id}/link-check", timeout=30)
    assert response.status_code == 400
    assert "--enable-link-check" in response.text
    assert local_server.requests == []


def test_local_targets_are_refused_by_address_and_by_name(
    start_sink: StartSink, local_server: LocalServer, dns_file: Callable[[str], Path]
) -> None:
    overrides = dns_file("internal.app.test A 127.0.0.1\n")
    sink = start_sink(enable_link_check=True, dns_override=overrides)
    html = " ".join(
        f'<a href="{local_server.url("/secret", host)}">x</a>'
        for host in ("127.0.0.1", "localhost", "internal.app.test", "[::1]", "10.1.2.3")
    )
    message = deliver(sink, compose(html=html))
    statuses = message.checks.links.links
    assert len(statuses) == 5
    for status in statuses:
        assert status.status_code == 0
        assert status.status.startswith("refused: "), status
    assert "loopback" in statuses[0].status
    assert "private" in statuses[4].status
    assert local_server.requests == [], "a refused target received a request"


def test_a_name_connects_to_the_checked_address(
    start_sink: StartSink, local_server: LocalServer, dns_file: Callable[[str], Path]
) -> None:
    overrides = dns_file("shop.app.test A 127.0.0.1\n")
    sink = start_sink(enable_link_check=True, link_check_allow_private=True, dns_override=overrides)
    message = deliver(sink, compose(html=f'<a href="{local_server.url("/ok", "shop.app.test")}">'))
    assert message.checks.links.links[0].status_code == 200
    assert local_server.requests == [("HEAD", "/ok", f"shop.app.test:{local_server.port}")]


def test_every_redirect_is_checked_again(
    start_sink: StartSink, local_server: LocalServer, dns_file: Callable[[str], Path]
) -> None:
    overrides = dns_file("metadata.app.test A 169.254.169.254\n")
    sink = start_sink(enable_link_check=True, link_check_allow_private=True, dns_override=overrides)
    to_metadata = local_server.url("/redirect-to?http://169.254.169.254/latest/meta-data/")
    by_name = local_server.url("/redirect-to?http://metadata.app.test/")
    message = deliver(sink, compose(html=f'<a href="{to_metadata}">a</a><a href="{by_name}">b'))
    for status in message.checks.check_links(follow=True).links:
        assert status.status_code == 0
        assert "cloud metadata address" in status.status


def test_a_server_that_refuses_head_gets_a_capped_get(local_server: LocalServer) -> None:
    fetcher = SafeFetcher(CheckResolver(), allow_private=True)
    status = fetcher.status(local_server.url("/no-head"))
    assert status.status_code == 200
    assert [m for m, _, _ in local_server.requests] == ["HEAD", "GET"]


def test_a_silent_server_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        fetcher = SafeFetcher(
            CheckResolver(), allow_private=True, request_timeout=0.5, total_timeout=1
        )
        status = fetcher.status(f"http://127.0.0.1:{port}/")
    assert (status.status_code, status.status) == (0, "timed out")
