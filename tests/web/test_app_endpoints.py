"""`info`, `webui`, chaos, health probes.

The shapes are in docs/mailpit-api.md, Tags, application and chaos endpoints.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from mailsink import MailSink

SendMail = Callable[..., str]
MakeSink = Callable[..., MailSink]


def test_health(client: httpx.Client) -> None:
    for path in ("/livez", "/readyz"):
        response = client.get(path)
        assert (response.status_code, response.content) == (200, b"")


def test_info(client: httpx.Client, send_mail: SendMail, store_kind: str) -> None:
    send_mail("one", headers={"X-Tags": "a"})
    second = send_mail("two")
    client.get(f"/api/v1/message/{second}")
    client.delete("/api/v1/search", params={"query": "subject:nothing"})
    info = client.get("/api/v1/info").json()
    assert list(info) == [
        "Version",
        "LatestVersion",
        "Database",
        "DatabaseSize",
        "Messages",
        "Unread",
        "Tags",
        "RuntimeStats",
    ]
    assert (info["Messages"], info["Unread"], info["Tags"]) == (2, 1, {"a": 1})
    stats = info["RuntimeStats"]
    assert stats["SMTPAccepted"] == 2
    assert stats["SMTPAcceptedSize"] > 0
    assert stats["Memory"] > 0
    assert stats["Uptime"] >= 0
    if store_kind == "sqlite":
        assert info["Database"].endswith("mail.db")
        assert info["DatabaseSize"] > 0
    else:
        assert (info["Database"], info["DatabaseSize"]) == ("", 0)


def test_webui(client: httpx.Client) -> None:
    webui = client.get("/api/v1/webui").json()
    assert list(webui) == [
        "Label",
        "MessageRelay",
        "SpamAssassin",
        "ChaosEnabled",
        "DuplicatesIgnored",
        "HideDeleteAllButton",
    ]
    assert webui["MessageRelay"]["Enabled"] is False
    assert webui["ChaosEnabled"] is False


def test_chaos_disabled(client: httpx.Client) -> None:
    for response in (client.get("/api/v1/chaos"), client.put("/api/v1/chaos", json={})):
        assert (response.status_code, response.text) == (400, "Chaos is not enabled")


def test_chaos_enabled(make_sink: MakeSink) -> None:
    sink = make_sink(enable_chaos=True)
    with httpx.Client(base_url=sink.url, timeout=30) as client:
        assert client.get("/api/v1/webui").json()["ChaosEnabled"] is True
        assert client.get("/api/v1/chaos").json()["Sender"] == {"ErrorCode": 451, "Probability": 0}
        updated = client.put(
            "/api/v1/chaos", json={"recipient": {"errorcode": 550, "probability": 100}}
        )
        assert updated.status_code == 200
        assert updated.json()["Recipient"] == {"ErrorCode": 550, "Probability": 100}
        bad = client.put("/api/v1/chaos", json={"Sender": {"ErrorCode": 200, "Probability": 5}})
        assert bad.status_code == 400
        assert "between 400 and 599" in bad.text
