"""The OpenAPI document is true: it describes exactly the app's routes, and real responses
validate against the schemas it gives for them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from mailsink import MailSink
from mailsink.web.app import app_routes
from mailsink.web.openapi import openapi_document
from tests.builders import compose

from .conftest import SendMail, smtp_send

HTTP_METHODS = {"get", "put", "post", "delete", "options", "patch"}
_CONVERTER = re.compile(r"\{(\w+):\w+\}")


def served_operations(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, method) for every route the app answers; HEAD comes with GET and is left out."""
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from served_operations(route.routes, prefix + route.path)
            else:  # static files: any path below the mount
                yield f"{prefix}{route.path}/{{path}}", "get"
        elif isinstance(route, Route):
            path = _CONVERTER.sub(r"{\1}", prefix + route.path)
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    yield path, method.lower()
        elif isinstance(route, WebSocketRoute):
            yield prefix + route.path, "get"
        else:
            raise AssertionError(f"a route the document cannot describe: {route!r}")


def described_operations(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in document["paths"].items():
        for method in item:
            if method in HTTP_METHODS:
                yield path, method


def test_every_route_is_described_and_nothing_else() -> None:
    served = set(served_operations(app_routes()))
    described = set(described_operations(openapi_document()))
    assert sorted(served - described) == [], "routes missing from the OpenAPI document"
    assert sorted(described - served) == [], "described but not served"


def test_every_path_parameter_is_declared() -> None:
    document = openapi_document()
    for path, item in document["paths"].items():
        names = set(re.findall(r"\{(\w+)\}", path))
        for method in set(item) & HTTP_METHODS:
            declared = {
                p["name"]
                for p in item.get("parameters", []) + item[method].get("parameters", [])
                if p["in"] == "path"
            }
            assert declared == names, f"{method.upper()} {path}"


def test_the_document_is_served_with_the_webroot(make_sink: Callable[..., MailSink]) -> None:
    sink = make_sink(webroot="/mail/")
    assert sink.url is not None
    response = httpx.get(sink.url + "api/v1/openapi.json", timeout=30)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/mail/"}]
    assert document == openapi_document("/mail/") | {"servers": [{"url": "/mail/"}]}


def response_validator(document: dict[str, Any], path: str, method: str = "get") -> Any:
    """A validator for the 200 body the document promises for this operation."""
    content = document["paths"][path][method]["responses"]["200"]["content"]
    [(_, media)] = content.items()
    schema = {**media["schema"], "components": document["components"]}
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture
def stored_id(sink: MailSink, send_mail: SendMail) -> str:
    send_mail("Plain", headers={"X-Tags": "alpha, beta"})
    message = compose("With parts", html="<p>Hello <img src='cid:logo'></p>")
    message.add_attachment(b"%PDF-1", maintype="application", subtype="pdf", filename="a.pdf")
    return smtp_send(sink, message)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/api/v1/messages", "/api/v1/messages"),
        ("/api/v1/search?query=parts", "/api/v1/search"),
        ("/api/v1/message/{id}", "/api/v1/message/{id}"),
        ("/api/v1/message/{id}/headers", "/api/v1/message/{id}/headers"),
        ("/api/v1/message/{id}/mime", "/api/v1/message/{id}/mime"),
        ("/api/v1/message/{id}/html-check", "/api/v1/message/{id}/html-check"),
        ("/api/v1/message/{id}/auth-check", "/api/v1/message/{id}/auth-check"),
        ("/api/v1/message/{id}/deliverability-check", "/api/v1/message/{id}/deliverability-check"),
        ("/api/v1/wait?since=0", "/api/v1/wait"),
        ("/api/v1/tags", "/api/v1/tags"),
        ("/api/v1/info", "/api/v1/info"),
        ("/api/v1/mailboxes", "/api/v1/mailboxes"),
        ("/api/v1/messages?mailbox=default", "/api/v1/messages"),
        ("/api/v1/webui", "/api/v1/webui"),
        ("/mailhog/api/v2/messages", "/mailhog/api/v2/messages"),
        ("/api/v2/search?kind=containing&query=parts", "/api/v2/search"),
        ("/mailhog/api/v1/messages", "/mailhog/api/v1/messages"),
        ("/mailhog/api/v1/messages/{id}", "/mailhog/api/v1/messages/{id}"),
    ],
)
def test_real_responses_match_the_described_schemas(
    client: httpx.Client, stored_id: str, url: str, path: str
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    response = client.get(url.replace("{id}", stored_id))
    assert response.status_code == 200
    body = response.json()
    assert body, "an empty answer would prove nothing"
    response_validator(document, path).validate(body)


def test_the_schemas_reject_what_they_do_not_describe(client: httpx.Client, stored_id: str) -> None:
    document = openapi_document()
    summary = client.get("/api/v1/wait?since=0").json()
    validator = response_validator(document, "/api/v1/wait")
    assert not validator.is_valid({**summary, "Surprise": 1})
    assert not validator.is_valid({key: v for key, v in summary.items() if key != "Seq"})
