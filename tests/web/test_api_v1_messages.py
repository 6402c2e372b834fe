"""`/api/v1/messages` and `/api/v1/search`: list, search, mark read, delete.

The shapes are in docs/mailpit-api.md, Message collection endpoints.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from mailsink import MailSink

SendMail = Callable[..., str]

ENVELOPE_KEYS = [
    "total",
    "unread",
    "count",
    "messages_count",
    "messages_unread",
    "start",
    "tags",
    "messages",
]
SUMMARY_KEYS = [
    "ID",
    "MessageID",
    "Read",
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "Subject",
    "Created",
    "Username",
    "Tags",
    "Size",
    "Attachments",
    "Snippet",
    "Seq",
    "Mailbox",
]


def subjects(body: dict) -> list[str]:
    return [m["Subject"] for m in body["messages"]]


def test_empty_list_has_every_key_and_no_nulls(client: httpx.Client) -> None:
    response = client.get("/api/v1/messages")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text.endswith("}\n")
    body = response.json()
    assert list(body) == ENVELOPE_KEYS
    assert body == {
        "total": 0,
        "unread": 0,
        "count": 0,
        "messages_count": 0,
        "messages_unread": 0,
        "start": 0,
        "tags": [],
        "messages": [],
    }


def test_list_is_newest_first_with_mailpit_summary(
    client: httpx.Client, send_mail: SendMail
) -> None:
    first = send_mail("First", to="Rcpt <rcpt@example.com>", rcpt_to=("rcpt@example.com",))
    send_mail("Second", rcpt_to=("rcpt@example.com", "hidden@example.com"))
    body = client.get("/api/v1/messages").json()
    assert subjects(body) == ["Second", "First"]
    assert (body["total"], body["unread"], body["count"], body["messages_count"]) == (2, 2, 2, 2)
    newest, oldest = body["messages"]
    assert list(newest) == SUMMARY_KEYS
    assert oldest["ID"] == first
    assert oldest["MessageID"] == "First@example.com"
    assert oldest["From"] == {"Name": "Sender Name", "Address": "sender@example.com"}
    assert oldest["To"] == [{"Name": "Rcpt", "Address": "rcpt@example.com"}]
    assert oldest["Cc"] == []
    assert oldest["ReplyTo"] == []
    assert oldest["Bcc"] == []
    assert newest["Bcc"] == [{"Name": "", "Address": "hidden@example.com"}]
    assert oldest["Read"] is False
    assert oldest["Tags"] == []
    assert oldest["Username"] == ""
    assert oldest["Snippet"] == "Hello there"
    assert oldest["Attachments"] == 0
    assert newest["Seq"] > oldest["Seq"]
    assert oldest["Created"].endswith("Z") or "+" in oldest["Created"]


def test_start_and_limit(client: httpx.Client, send_mail: SendMail) -> None:
    for n in range(5):
        send_mail(f"M{n}")
    page = client.get("/api/v1/messages", params={"start": 1, "limit": 2}).json()
    assert subjects(page) == ["M3", "M2"]
    assert (page["start"], page["count"], page["total"]) == (1, 2, 5)
    everything = client.get("/api/v1/messages", params={"start": 3, "limit": 0}).json()
    assert subjects(everything) == ["M4", "M3", "M2", "M1", "M0"]
    assert everything["start"] == 3
    beyond = client.get("/api/v1/messages", params={"start": 99}).json()
    assert beyond["messages"] == []
    assert beyond["total"] == 5
    junk = client.get("/api/v1/messages", params={"start": "x", "limit": "-3"}).json()
    assert subjects(junk) == ["M4", "M3", "M2", "M1", "M0"]
    assert junk["start"] == 0
    huge = client.get("/api/v1/messages", params={"start": "9" * 40}).json()
    assert huge["messages"] == []


def test_search(client: httpx.Client, send_mail: SendMail) -> None:
    invoice = send_mail("Your invoice 42", to="Bob <bob@example.com>")
    send_mail("Newsletter", to="Alice <alice@example.com>", text="cheap invoice offers\n")
    found = client.get("/api/v1/search", params={"query": "subject:invoice"}).json()
    assert list(found) == ENVELOPE_KEYS
    assert [m["ID"] for m in found["messages"]] == [invoice]
    assert (found["total"], found["messages_count"], found["messages_unread"]) == (2, 1, 1)
    assert subjects(client.get("/api/v1/search", params={"query": "invoice"}).json()) == [
        "Newsletter",
        "Your invoice 42",
    ]
    assert subjects(client.get("/api/v1/search", params={"query": "to:bob"}).json()) == [
        "Your invoice 42"
    ]
    negated = client.get("/api/v1/search", params={"query": "invoice !to:bob"}).json()
    assert subjects(negated) == ["Newsletter"]
    assert client.get("/api/v1/search", params={"query": "is:read"}).json()["messages"] == []
    empty_page = client.get("/api/v1/search", params={"query": "invoice", "limit": 0}).json()
    assert empty_page["messages"] == []
    assert empty_page["messages_count"] == 2


@pytest.mark.parametrize("query", ["", "   "])
def test_search_without_query_is_refused(client: httpx.Client, query: str) -> None:
    response = client.get("/api/v1/search", params={"query": query})
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "Error: no search query"


def test_hostile_search_queries_get_answers(client: httpx.Client, send_mail: SendMail) -> None:
    send_mail("Hello")
    for query in ['"unclosed', "before:notadate", "larger:abc", "-", "!", "%", "_", "'; drop"]:
        response = client.get("/api/v1/search", params={"query": query})
        assert response.status_code == 200, query
    assert client.get("/api/v1/search", params={"query": "word " * 100}).status_code == 200
    too_many = client.get("/api/v1/search", params={"query": "word " * 2000})
    assert too_many.status_code == 400
    assert too_many.text == "the search has 2000 terms; at most 100 are supported"
    latest = client.get("/api/v1/message/latest", params={"query": "word " * 2000})
    assert latest.status_code == 400


def test_mark_read_by_ids_search_and_all(client: httpx.Client, send_mail: SendMail) -> None:
    first = send_mail("First")
    second = send_mail("Second")
    response = client.put("/api/v1/messages", json={"IDs": [first], "Read": True})
    assert (response.status_code, response.text) == (200, "ok")
    assert response.headers["content-type"] == "text/plain"
    body = client.get("/api/v1/messages").json()
    assert {m["ID"]: m["Read"] for m in body["messages"]} == {first: True, second: False}
    assert body["unread"] == 1

    client.put("/api/v1/messages", json={"search": "subject:second", "read": True})
    assert client.get("/api/v1/messages").json()["unread"] == 0

    client.put("/api/v1/messages", json={"IDs": []})  # no Read: mark everything unread
    assert client.get("/api/v1/messages").json()["unread"] == 2


def test_mark_read_errors(client: httpx.Client, send_mail: SendMail) -> None:
    message = send_mail()
    both = client.put("/api/v1/messages", json={"IDs": [message], "Search": "x", "Read": True})
    assert (both.status_code, both.text) == (
        400,
        "You may specify either IDs or a search query, not both",
    )
    empty = client.put("/api/v1/messages", content=b"")
    assert (empty.status_code, empty.text) == (400, "EOF")
    malformed = client.put(
        "/api/v1/messages", content=b'{"IDs": [', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert "JSON" in malformed.text
    wrong_type = client.put("/api/v1/messages", json={"IDs": "nope", "Read": "yes please"})
    assert wrong_type.status_code == 400
    assert client.get("/api/v1/messages").json()["unread"] == 1


def test_delete_by_ids_and_all(client: httpx.Client, send_mail: SendMail) -> None:
    first, second, third = send_mail("A"), send_mail("B"), send_mail("C")
    response = client.request("DELETE", "/api/v1/messages", json={"ids": [first, "unknown"]})
    assert (response.status_code, response.text) == (200, "ok")
    assert [m["ID"] for m in client.get("/api/v1/messages").json()["messages"]] == [third, second]
    assert client.request("DELETE", "/api/v1/messages").text == "ok"  # no body: everything
    assert client.get("/api/v1/messages").json()["total"] == 0


def test_malformed_delete_body_deletes_nothing(client: httpx.Client, send_mail: SendMail) -> None:
    send_mail()
    response = client.request(
        "DELETE",
        "/api/v1/messages",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert client.get("/api/v1/messages").json()["total"] == 1


def test_delete_search(client: httpx.Client, send_mail: SendMail, sink: MailSink) -> None:
    send_mail("keep me")
    send_mail("drop me")
    response = client.delete("/api/v1/search", params={"query": "subject:drop"})
    assert (response.status_code, response.text) == (200, "ok")
    assert subjects(client.get("/api/v1/messages").json()) == ["keep me"]
    assert client.delete("/api/v1/search", params={"query": "nothing-matches"}).text == "ok"
    assert client.delete("/api/v1/search").status_code == 400
    assert [m.subject for m in sink.messages] == ["keep me"]
