"""The HTML compatibility check on real messages: features found, clients' support from the
shipped caniemail data, Mailpit's response shape, and nothing fetched."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from mailsink.checks.css_features import declaration_features, stylesheet_features
from mailsink.checks.html_compat import caniemail_data, check_html

from .conftest import StartSink, compose, deliver

MODERN_HTML = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="{stylesheet}">
<style>
  @media (prefers-color-scheme: dark) {{ .card {{ background: #000; }} }}
  .card:hover > a {{ color: rgb(1, 2, 3); }}
</style></head>
<body><div class="card" style="display: flex; gap: 1rem; position: absolute">
<video src="https://cdn.app.test/intro.mp4"></video>
<img src="https://cdn.app.test/logo.webp" alt="logo">
<p>Hello</p></div></body></html>"""


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request (the check must make none)."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/style.css", requests
    server.shutdown()
    server.server_close()


def test_unsupported_css_is_found_with_the_clients_that_lack_it(
    start_sink: StartSink, counting_server: tuple[str, list[str]]
) -> None:
    stylesheet, requests = counting_server
    sink = start_sink()
    html = MODERN_HTML.format(stylesheet=stylesheet)
    message = deliver(sink, compose(html=html))

    check = message.checks.html
    assert check is not None
    for slug in (
        "css-display-flex",
        "css-gap",
        "css-position",
        "html-video",
        "image-webp",
        "css-at-media-prefers-color-scheme",
        "css-pseudo-class-hover",
        "css-selector-child",
        "css-rgb",
        "css-unit-rem",
        "html-link",
    ):
        assert slug in check.slugs, slug
    flex = check.feature("css-display-flex")
    assert flex.score.unsupported > 0
    assert any(r.support == "no" and r.family == "outlook" for r in flex.results)
    assert check.warnings[0].score.partial + check.warnings[0].score.unsupported > 0
    assert 0 < check.total.supported < 100
    assert check.external_stylesheets == [stylesheet]
    assert requests == [], "an external stylesheet was downloaded"

    assert sink.url is not None
    body = httpx.get(f"{sink.url}api/v1/message/{message.id}/html-check", timeout=30).json()
    assert set(body) >= {"Platforms", "Total", "Warnings"}
    assert set(body["Total"]) == {"Nodes", "Partial", "Supported", "Tests", "Unsupported"}
    warning = next(w for w in body["Warnings"] if w["Slug"] == "css-display-flex")
    assert warning["URL"].startswith("https://www.caniemail.com/")
    assert {"Family", "Name", "NoteNumber", "Platform", "Support", "Version"} == set(
        warning["Results"][0]
    )
    assert "Outlook" in body["Platforms"]
    assert requests == []


def test_plain_html_scores_full_and_text_only_mail_has_no_check(start_sink: StartSink) -> None:
    sink = start_sink()
    simple = deliver(sink, compose(html="<p>Hello <strong>there</strong></p>"))
    assert simple.checks.html is not None
    assert simple.checks.html.warnings == []
    assert simple.checks.html.total.supported == 100
    text_only = deliver(sink, compose(), to="bob@example.test")
    assert text_only.checks.html is None
    response = httpx.get(f"{sink.url}api/v1/message/{text_only.id}/html-check", timeout=30)
    assert (response.status_code, response.text) == (400, "message does not contain HTML")


def test_css_feature_detection() -> None:
    inline = declaration_features(
        "margin-inline-start: 2px; --brand: red; width: calc(100% - 2em) !important"
    )
    assert {
        "css-margin-inline-start-end",
        "css-variables",
        "css-unit-calc",
        "css-important",
        "css-unit-percent",
        "css-unit-em",
    } <= set(inline)
    sheet = stylesheet_features("/* c */ @font-face { font-family: x; } a.b ~ p, *[x] { top: 0 }")
    assert {
        "css-comments",
        "css-at-font-face",
        "css-selector-chaining",
        "css-selector-general-sibling",
        "css-selector-grouping",
        "css-selector-universal",
        "css-selector-attribute",
        "css-left-right-top-bottom",
    } <= set(sheet)


def test_every_detected_slug_is_in_the_data() -> None:
    html = MODERN_HTML.format(stylesheet="https://cdn.app.test/x.css")
    known = caniemail_data().features
    assert all(feature.slug in known for feature in check_html(html).features)
    assert caniemail_data().updated  # the pinned file says when it was made


def test_hostile_markup_is_checked_quickly() -> None:
    html = "<div style='" + "a:" * 50_000 + "'>" + "<p>" * 20_000 + "<!--" * 10_000
    check = check_html(html)
    assert check.total.nodes > 0
