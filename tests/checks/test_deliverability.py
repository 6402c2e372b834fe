"""The deliverability summary on real messages: unsubscribe headers (RFC 2369/8058), Date and
Message-ID, the message's standards warnings, and the score."""

from __future__ import annotations

import httpx

from .conftest import StartSink, compose, deliver

ONE_CLICK = {
    "List-Unsubscribe": "<https://app.test/unsub/abc>, <mailto:unsub@app.test>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def test_a_well_formed_newsletter_scores_full(start_sink: StartSink) -> None:
    sink = start_sink()
    message = deliver(sink, compose(headers=ONE_CLICK))
    summary = message.checks.deliverability
    assert (summary.score, summary.codes, summary.one_click) == (100, [], True)
    assert summary.unsubscribe_links == ["https://app.test/unsub/abc", "mailto:unsub@app.test"]
    body = httpx.get(
        f"{sink.url}api/v1/message/{message.id}/deliverability-check", timeout=30
    ).json()
    assert body == {
        "Score": 100,
        "Findings": [],
        "UnsubscribeLinks": summary.unsubscribe_links,
        "OneClick": True,
    }


def test_missing_headers_and_broken_unsubscribe_cost_points(start_sink: StartSink) -> None:
    sink = start_sink()
    raw = (
        b"From: app@app.test\r\nTo: alice@example.test\r\nSubject: news\r\n"
        b"List-Unsubscribe: http://app.test/unsub\r\n"
        b"List-Unsubscribe-Post: yes please\r\n\r\n" + b"x" * 1200 + b"\r\n"
    )
    message = deliver(sink, raw)
    summary = message.checks.deliverability
    assert summary.codes == [
        "list-unsubscribe-invalid",
        "one-click-invalid",
        "one-click-without-https",
        "missing-date",
        "missing-message-id",
        "standards-warning",
    ]
    assert "1,000 bytes" in summary.findings[-1].text
    assert summary.score == 0
    assert summary.one_click is False


def test_transactional_mail_without_unsubscribe_is_only_a_notice(start_sink: StartSink) -> None:
    sink = start_sink()
    summary = deliver(sink, compose()).checks.deliverability
    assert [(f.code, f.severity) for f in summary.findings] == [("no-list-unsubscribe", "notice")]
    assert summary.score == 100
    no_post = deliver(
        sink,
        compose(headers={"List-Unsubscribe": "<https://app.test/u>"}),
        to="bob@example.test",
    ).checks.deliverability
    assert (no_post.codes, no_post.score) == (["no-one-click"], 90)
