"""`POST /api/v1/message/{ID}/release` and `webui` with a relay: a second sink is the upstream."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx

from mailsink import MailSink

MakeSink = Callable[..., MailSink]


def test_release_to_an_upstream_sink(make_sink: MakeSink, tmp_path: Path) -> None:
    upstream = make_sink()
    config = tmp_path / "relay.json"
    config.write_text(
        json.dumps(
            {"host": upstream.host, "port": upstream.port, "blocked-recipients": "^blocked@"}
        )
    )
    sink = make_sink(smtp_relay_config=config)
    with httpx.Client(base_url=sink.url, timeout=30) as client:
        webui = client.get("/api/v1/webui").json()["MessageRelay"]
        assert webui["Enabled"] is True
        assert webui["SMTPServer"] == f"{upstream.host}:{upstream.port}"
        assert webui["BlockedRecipients"] == "^blocked@"
        sent = client.post(
            "/api/v1/send",
            json={
                "From": {"Email": "app@example.com"},
                "To": [{"Email": "user@example.com"}],
                "Subject": "release me",
            },
        ).json()["ID"]

        released = client.post(
            f"/api/v1/message/{sent}/release", json={"To": ["someone@example.com"]}
        )
        assert (released.status_code, released.text) == (200, "ok")
        [relayed] = upstream.wait_for(1, timeout=30)
        assert relayed.subject == "release me"
        assert relayed.envelope.rcpt_tos == ["someone@example.com"]

        blocked = client.post(f"/api/v1/message/{sent}/release", json={"To": ["blocked@x.com"]})
        assert blocked.status_code == 400
        assert blocked.text == "Failed: Address found on blocklist: blocked@x.com"
        nobody = client.post(f"/api/v1/message/{sent}/release", json={"To": []})
        assert (nobody.status_code, nobody.text) == (400, "No valid addresses found")
        latest = client.post("/api/v1/message/latest/release", json={"To": ["a@example.com"]})
        assert latest.status_code == 404
    assert len(upstream.messages) == 1
