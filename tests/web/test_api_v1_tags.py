"""Tags: from X-Tags and plus-addressing, set, list, rename, delete.

The shapes are in docs/mailpit-api.md, Tags, application and chaos endpoints.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

SendMail = Callable[..., str]


def tags_of(client: httpx.Client, message_id: str) -> list[str]:
    return client.get(f"/api/v1/message/{message_id}").json()["Tags"]


def test_tags_from_smtp(client: httpx.Client, send_mail: SendMail) -> None:
    message = send_mail("tagged", headers={"X-Tags": "Invoice, urgent"})
    assert tags_of(client, message) == ["Invoice", "urgent"]
    assert client.get("/api/v1/tags").json() == ["Invoice", "urgent"]
    listed = client.get("/api/v1/messages").json()
    assert listed["tags"] == ["Invoice", "urgent"]
    assert listed["messages"][0]["Tags"] == ["Invoice", "urgent"]
    found = client.get("/api/v1/search", params={"query": "tag:invoice"}).json()
    assert [m["ID"] for m in found["messages"]] == [message]


def test_set_tags_replaces_and_cleans(client: httpx.Client, send_mail: SendMail) -> None:
    first, second = send_mail("one"), send_mail("two")
    response = client.put(
        "/api/v1/tags", json={"IDs": [first, second], "Tags": ["alpha", "Be<ta>", "ALPHA"]}
    )
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["content-type"] == "text/plain"
    assert tags_of(client, first) == ["alpha", "Be ta"]
    client.put("/api/v1/tags", json={"ids": [first], "tags": None})
    assert tags_of(client, first) == []
    assert client.get("/api/v1/tags").json() == ["alpha", "Be ta"]
    assert client.put("/api/v1/tags", json={"IDs": [], "Tags": ["x"]}).text == "ok"
    assert client.get("/api/v1/tags").json() == ["alpha", "Be ta"]


def test_rename_and_delete(client: httpx.Client, send_mail: SendMail) -> None:
    message = send_mail("tagged", headers={"X-Tags": "old name, other"})
    renamed = client.put("/api/v1/tags/old%20name", json={"Name": "new name"})
    assert (renamed.status_code, renamed.text) == (200, "ok")
    assert tags_of(client, message) == ["new name", "other"]
    clash = client.put("/api/v1/tags/new%20name", json={"Name": "other"})
    assert (clash.status_code, clash.text) == (400, "tag already exists: other")
    missing = client.put("/api/v1/tags/nope", json={"Name": "x"})
    assert (missing.status_code, missing.text) == (400, "tag not found: nope")
    invalid = client.put("/api/v1/tags/other", json={"Name": "<>"})
    assert (invalid.status_code, invalid.text) == (400, "invalid tag name: <>")
    deleted = client.delete("/api/v1/tags/other")
    assert (deleted.status_code, deleted.text) == (200, "ok")
    assert tags_of(client, message) == ["new name"]
    assert client.delete("/api/v1/tags/other").text == "tag not found: other"
    assert client.get("/api/v1/messages").json()["total"] == 1
