"""Requests that change state are refused when another web page's Origin sends them, over a real
server: 403 with a JSON error and nothing changed. Same-origin pages, `--api-cors` origins and
clients that send no Origin are served as before, and so is Mailpit's mark-read GET."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mailsink import MailSink
from tests.builders import compose, send_over_smtp

ALLOWED_ORIGIN = "https://app.example"

# (method, path, JSON body): every kind of state change, with {id} for a stored message.
STATE_CHANGES: list[tuple[str, str, Any]] = [
    ("DELETE", "/api/v1/messages", {"IDs": ["{id}"]}),
    ("PUT", "/api/v1/messages", {"IDs": ["{id}"], "Read": True}),
    ("PUT", "/api/v1/tags", {"Tags": ["evil"], "IDs": ["{id}"]}),
    ("POST", "/api/v1/send", {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@x.y"}]}),
    ("POST", "/api/v1/message/{id}/release", {"To": ["c@example.com"]}),
    ("DELETE", "/api/v1/messages/{id}", None),  # MailHog's, at the root
    ("DELETE", "/mailhog/api/v1/messages", None),
    ("PATCH", "/api/v1/messages", {"IDs": ["{id}"]}),
]


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(store="memory", http=True, api_cors=(ALLOWED_ORIGIN,)) as running:
        yield running


@pytest.fixture
def message_id(sink: MailSink) -> str:
    send_over_smtp(sink, compose("keep me"))
    return sink.messages[-1].id


def request(
    sink: MailSink, change: tuple[str, str, Any], message_id: str, origin: str | None
) -> httpx.Response:
    method, path, body = change
    headers = {"Origin": origin} if origin else {}
    if body is not None:
        body = {k: [message_id if v == "{id}" else v for v in vs] if isinstance(vs, list) else vs
                for k, vs in body.items()}  # fmt: skip
    assert sink.url is not None
    with httpx.Client(base_url=sink.url, timeout=30) as client:
        return client.request(method, path.replace("{id}", message_id), json=body, headers=headers)


def listed(sink: MailSink) -> list[tuple[str, bool, list[str]]]:
    """(ID, Read, Tags) of every message, read through the API (listing marks nothing read)."""
    assert sink.url is not None
    response = httpx.get(f"{sink.url}api/v1/messages", timeout=30)
    return [(m["ID"], m["Read"], m["Tags"]) for m in response.json()["messages"]]


@pytest.mark.parametrize("change", STATE_CHANGES, ids=lambda c: f"{c[0]} {c[1]}")
@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:1", "https://app.example.evil"]
)
def test_state_changes_from_another_origin_get_403_and_change_nothing(
    sink: MailSink, message_id: str, change: tuple[str, str, Any], origin: str
) -> None:
    response = request(sink, change, message_id, origin)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "Origin" in response.json()["Error"]
    assert listed(sink) == [(message_id, False, [])]


@pytest.mark.parametrize("change", STATE_CHANGES, ids=lambda c: f"{c[0]} {c[1]}")
def test_the_same_origin_a_cors_origin_and_no_origin_are_served(
    sink: MailSink, message_id: str, change: tuple[str, str, Any]
) -> None:
    assert sink.url is not None
    own_origin = sink.url.rstrip("/")
    statuses = {
        origin: request(sink, change, message_id, origin).status_code
        for origin in (None, own_origin, ALLOWED_ORIGIN)
    }
    assert 403 not in statuses.values(), statuses


def test_mark_read_on_get_is_unchanged_from_any_origin(sink: MailSink, message_id: str) -> None:
    assert sink.url is not None
    with httpx.Client(base_url=sink.url, timeout=30) as client:
        response = client.get(f"/api/v1/message/{message_id}", headers={"Origin": "null"})
    assert response.status_code == 200
    assert listed(sink) == [(message_id, True, [])]
