"""Mailboxes over HTTP: `/api/v1/mailboxes`, `?mailbox=` on the v1 routes, the long poll and the
WebSocket limited to one mailbox; mail routed by a rules file over real SMTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from mailsink import MailSink
from tests.mailboxes.test_router import TWO_TEAMS

from .conftest import compose, smtp_send
from .test_events import next_frame, run_async, stats_until

RULES = TWO_TEAMS + "\n[mailbox.team-c]\nmax = 10\n"


@pytest.fixture
def teams(make_sink: Callable[..., MailSink], tmp_path: Path) -> MailSink:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    return make_sink(mailbox_rules=rules)


@pytest.fixture
def api(teams: MailSink) -> Iterator[httpx.Client]:
    assert teams.url is not None
    with httpx.Client(base_url=teams.url, timeout=30) as http:
        yield http


def send(sink: MailSink, subject: str, *rcpts: str) -> str:
    return smtp_send(sink, compose(subject), rcpt_to=rcpts)


def subjects(page: dict[str, object]) -> list[str]:
    return [m["Subject"] for m in page["messages"]]  # type: ignore[attr-defined, index]


def test_mail_is_filed_by_the_rules_and_listed_per_mailbox(
    teams: MailSink, api: httpx.Client
) -> None:
    send(teams, "for a", "x@team-a.test")
    send(teams, "for both", "y@team-a.test", "z@team-b.test")
    send(teams, "for nobody", "w@else.test")

    mailboxes = api.get("/api/v1/mailboxes").json()
    assert [(m["Name"], m["Total"], m["Unread"]) for m in mailboxes] == [
        ("default", 1, 1),
        ("team-a", 2, 2),
        ("team-b", 1, 1),
        ("team-c", 0, 0),  # named by the rules file: listed while empty
    ]
    assert mailboxes[1]["Newest"].endswith("Z")
    assert mailboxes[3]["Newest"] is None

    everything = api.get("/api/v1/messages").json()
    assert everything["total"] == 4, "one stored copy per mailbox"
    page = api.get("/api/v1/messages", params={"mailbox": "team-a"}).json()
    assert (page["total"], page["messages_count"]) == (2, 2)
    assert subjects(page) == ["for both", "for a"]
    assert {m["Mailbox"] for m in page["messages"]} == {"team-a"}
    assert subjects(api.get("/api/v1/search", params={"query": "mailbox:team-b"}).json()) == [
        "for both"
    ]
    found = api.get("/api/v1/search", params={"query": "both", "mailbox": "team-a"}).json()
    assert (found["total"], found["messages_count"]) == (2, 1)

    copies = [m["ID"] for m in everything["messages"] if m["Subject"] == "for both"]
    raws = {api.get(f"/api/v1/message/{i}/raw").content for i in copies}
    assert raws == {compose("for both").as_bytes()}, "each copy keeps the exact bytes"


def test_message_routes_answer_only_for_the_mailbox_asked(
    teams: MailSink, api: httpx.Client
) -> None:
    a_id = send(teams, "for a", "x@team-a.test")
    send(teams, "for b", "x@team-b.test")
    assert api.get(f"/api/v1/message/{a_id}", params={"mailbox": "team-a"}).status_code == 200
    assert api.get(f"/api/v1/message/{a_id}", params={"mailbox": "team-b"}).status_code == 404
    latest = api.get("/api/v1/message/latest", params={"mailbox": "team-a"}).json()
    assert (latest["Subject"], latest["Envelope"]["Mailbox"]) == ("for a", "team-a")
    info = api.get("/api/v1/info", params={"mailbox": "team-b"}).json()
    assert (info["Messages"], info["Unread"]) == (1, 1)


def test_a_bad_mailbox_name_is_a_400_with_the_reason(api: httpx.Client) -> None:
    answer = api.get("/api/v1/messages", params={"mailbox": "../etc"})
    assert answer.status_code == 400  # in plain text, as Mailpit words its 400s
    assert answer.text.startswith("expected mailbox to be 1 to 64 letters")


def test_read_and_delete_act_on_one_mailbox(teams: MailSink, api: httpx.Client) -> None:
    send(teams, "for a", "x@team-a.test")
    send(teams, "for b", "x@team-b.test")
    b_id = api.get("/api/v1/messages", params={"mailbox": "team-b"}).json()["messages"][0]["ID"]

    assert api.put("/api/v1/messages", params={"mailbox": "team-a"}, json={"Read": True}).is_success
    assert api.put(
        "/api/v1/messages", params={"mailbox": "team-a"}, json={"IDs": [b_id], "Read": True}
    ).is_success
    counts = {m["Name"]: m["Unread"] for m in api.get("/api/v1/mailboxes").json()}
    assert (counts["team-a"], counts["team-b"]) == (0, 1)

    assert api.request("DELETE", "/api/v1/messages", params={"mailbox": "team-a"}).is_success
    assert subjects(api.get("/api/v1/messages").json()) == ["for b"]
    assert api.request(
        "DELETE", "/api/v1/messages", params={"mailbox": "team-a"}, json={"IDs": [b_id]}
    ).is_success
    assert subjects(api.get("/api/v1/messages").json()) == ["for b"], "not team-a's to delete"


def test_send_files_in_the_mailbox_asked(api: httpx.Client) -> None:
    body = {"From": {"Email": "app@x.test"}, "To": [{"Email": "x@team-a.test"}], "Subject": "s"}
    sent = api.post("/api/v1/send", params={"mailbox": "chosen"}, json=body).json()
    assert api.get(f"/api/v1/message/{sent['ID']}").json()["Envelope"]["Mailbox"] == "chosen"


def test_the_long_poll_waits_for_its_mailbox_only(teams: MailSink, api: httpx.Client) -> None:
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(
            api.get, "/api/v1/wait", params={"mailbox": "team-b", "since": 0, "timeout": 60}
        )
        send(teams, "for a", "x@team-a.test")
        send(teams, "for b", "x@team-b.test")
        answer = waiting.result(timeout=90)
    assert answer.status_code == 200
    assert (answer.json()["Subject"], answer.json()["Mailbox"]) == ("for b", "team-b")


@run_async
async def test_a_websocket_subscriber_to_one_mailbox_hears_only_its_events(
    teams: MailSink,
) -> None:
    assert teams.url is not None
    url = teams.url.replace("http://", "ws://", 1) + "api/events?mailbox=team-b"
    async with connect(url) as events:
        await next_frame(events, "stats")
        await asyncio.to_thread(send, teams, "for a", "x@team-a.test")
        await asyncio.to_thread(send, teams, "for b", "x@team-b.test")
        new = await next_frame(events, "new")
        assert (new["Subject"], new["Mailbox"]) == ("for b", "team-b")
        await stats_until(events, Total=1, Unread=1)
        await asyncio.to_thread(send, teams, "for a again", "x@team-a.test")
        await asyncio.to_thread(send, teams, "for b again", "x@team-b.test")
        assert (await next_frame(events, "new"))["Subject"] == "for b again"


@run_async
async def test_a_websocket_with_a_bad_mailbox_name_is_refused(teams: MailSink) -> None:
    assert teams.url is not None
    url = teams.url.replace("http://", "ws://", 1) + "api/events?mailbox=a%20b"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url):
            pass
    assert refused.value.response.status_code == 403


def test_without_rules_the_client_chooses_its_mailbox(
    make_sink: Callable[..., MailSink],
) -> None:
    sink = make_sink()
    smtp_send(sink, compose("chosen", headers={"X-Mailsink-Mailbox": "ci-1"}))
    assert sink.url is not None
    listed = httpx.get(sink.url + "api/v1/mailboxes", timeout=30).json()
    assert [(m["Name"], m["Total"]) for m in listed] == [("ci-1", 1), ("default", 0)]
    assert json.loads(httpx.get(sink.url + "api/v1/messages", timeout=30).text)["total"] == 1
