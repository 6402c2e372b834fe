"""Chaos triggers: parsing, the Mailpit JSON shape, and the errors they cause in sessions."""

from __future__ import annotations

import smtplib

import pytest

from mailsink.chaos import ChaosError, ChaosTriggers

from .harness import MakeSink

DEFAULTS = {
    "Sender": {"ErrorCode": 451, "Probability": 0},
    "Recipient": {"ErrorCode": 451, "Probability": 0},
    "Authentication": {"ErrorCode": 535, "Probability": 0},
}


def test_defaults_match_mailpit() -> None:
    assert ChaosTriggers.from_spec(None).as_json() == DEFAULTS


def test_spec_sets_the_named_triggers() -> None:
    triggers = ChaosTriggers.from_spec("Sender:550:10, recipients:452:100,auth:454:5")
    assert triggers.as_json() == {
        "Sender": {"ErrorCode": 550, "Probability": 10},
        "Recipient": {"ErrorCode": 452, "Probability": 100},
        "Authentication": {"ErrorCode": 454, "Probability": 5},
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Sender:451", "expected STAGE:CODE:PERCENT"),
        ("Helo:451:10", "unknown chaos trigger 'Helo'"),
        ("Sender:399:10", "between 400 and 599"),
        ("Sender:451:101", "between 0 and 100"),
    ],
)
def test_bad_specs_are_refused_with_the_reason(spec: str, message: str) -> None:
    with pytest.raises(ChaosError, match=message):
        ChaosTriggers.from_spec(spec)


def test_update_from_json_resets_what_is_left_out() -> None:
    triggers = ChaosTriggers.from_spec("Sender:550:10,Recipient:452:20")
    answer = triggers.update_from_json({"recipient": {"errorcode": 421, "probability": 50}})
    assert answer == {**DEFAULTS, "Recipient": {"ErrorCode": 421, "Probability": 50}}
    assert triggers.update_from_json({}) == DEFAULTS


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "expected a JSON object"),
        ({"Sender": 5}, "Sender: expected an object"),
        ({"Sender": {"ErrorCode": "451"}}, "Sender.ErrorCode: expected an integer"),
        ({"Sender": {"Probability": 200}}, "between 0 and 100"),
        ({"Bogus": {}}, "unknown chaos trigger 'bogus'"),
    ],
)
def test_bad_json_is_refused_and_changes_nothing(body: object, message: str) -> None:
    triggers = ChaosTriggers.from_spec("Sender:550:10")
    before = triggers.as_json()
    with pytest.raises(ChaosError, match=message):
        triggers.update_from_json(body)
    assert triggers.as_json() == before


def test_chaos_is_off_unless_enabled(make_sink: MakeSink) -> None:
    sink = make_sink(chaos_triggers="Sender:550:100")
    assert sink.context.chaos is None
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: calm\r\n\r\nx\r\n")


def test_triggers_fail_mail_rcpt_and_auth(make_sink: MakeSink) -> None:
    sink = make_sink(enable_chaos=True, chaos_triggers="Sender:550:100")
    assert sink.context.chaos is not None
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as client:
        client.ehlo()
        assert client.mail("a@example.com") == (550, b"5.0.0 Chaos sender error")
        client.rset()
        sink.context.chaos.update_from_json(
            {
                "Recipient": {"ErrorCode": 452, "Probability": 100},
                "Authentication": {"ErrorCode": 454, "Probability": 100},
            }
        )
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt("b@example.com")[0] == 452
        client.rset()
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login("user", "password")
        assert refused.value.smtp_code == 454
        sink.context.chaos.update_from_json({})
        client.login("user", "password")
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: calm again\r\n\r\nx\r\n")
    assert sink.wait_for_messages(1)
    for text in ("sender error 550", "recipient error 452", "authentication error 454"):
        assert sink.wait_for_incident(text)
