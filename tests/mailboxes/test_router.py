"""`MailboxRouter.route`: rules, captures, several recipients, the client's own choice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from mailsink.context import ListenAddress
from mailsink.mailboxes.router import MailboxRouter
from mailsink.mailboxes.rules import parse_mailbox_rules
from mailsink.message.envelope import Envelope, Recipient

RAW = b"From: app@shop.test\r\nSubject: hi\r\n\r\nbody\r\n"


def envelope(
    *rcpts: str, mail_from: str = "app@shop.test", auth_user: str | None = None
) -> Envelope:
    return Envelope(
        mail_from=mail_from,
        recipients=tuple(Recipient(r) for r in rcpts),
        received=datetime.now(UTC),
        auth_user=auth_user,
    )


def router(text: str) -> MailboxRouter:
    return MailboxRouter(parse_mailbox_rules(text))


TWO_TEAMS = """
[[rule]]
rcpt = "*@team-a.test"
mailbox = "team-a"

[[rule]]
domain = "team-b.test"
mailbox = "team-b"
"""


def test_first_match_wins_and_unmatched_goes_to_default() -> None:
    routing = router(TWO_TEAMS + '\n[[rule]]\nrcpt = "*"\nmailbox = "catch-all"\n')
    assert routing.route(envelope("x@TEAM-A.test"), RAW) == ("team-a",)
    assert routing.route(envelope("y@team-b.test"), RAW) == ("team-b",)
    assert routing.route(envelope("z@else.test"), RAW) == ("catch-all",)
    assert router(TWO_TEAMS).route(envelope("z@else.test"), RAW) == ("default",)


def test_each_recipient_is_routed_so_a_message_can_land_in_several_mailboxes() -> None:
    routing = router(TWO_TEAMS)
    rcpts = ("a1@team-a.test", "b@team-b.test", "a2@team-a.test", "c@else.test")
    assert routing.route(envelope(*rcpts), RAW) == ("team-a", "team-b", "default")


def test_sender_domain_counts_for_domain() -> None:
    routing = router(TWO_TEAMS)
    assert routing.route(envelope("c@else.test", mail_from="bot@team-b.test"), RAW) == ("team-b",)


def test_auth_user_capture_gives_every_user_a_mailbox() -> None:
    routing = router('[[rule]]\nauth_user = "*"\nmailbox = "{user}"\n')
    assert routing.route(envelope("a@x.test", auth_user="ci-42"), RAW) == ("ci-42",)
    assert routing.route(envelope("a@x.test"), RAW) == ("default",)


def test_plus_tags_get_their_own_mailbox_by_glob_or_regex() -> None:
    by_glob = router('[[rule]]\nrcpt = "*+*@*"\nmailbox = "{2}"\n')
    by_regex = router("[[rule]]\nrcpt_regex = '\\+([^@]+)@'\nmailbox = \"tag-{1}\"\n")
    assert by_glob.route(envelope("me+signup@x.test", "me@x.test"), RAW) == ("signup", "default")
    assert by_regex.route(envelope("me+reset@x.test"), RAW) == ("tag-reset",)


def test_header_value_glob_regex_and_presence() -> None:
    raw = b"X-Team: Billing\r\nX-Env: staging-eu\r\nSubject: s\r\n\r\nX-Team: body\r\n"
    assert router('[[rule]]\nheader = "x-team"\nvalue = "billing"\nmailbox = "bills"\n').route(
        envelope("a@x"), raw
    ) == ("bills",)
    assert router("[[rule]]\nheader = 'X-Env'\nregex = '^(\\w+)-'\nmailbox = 'env-{1}'\n").route(
        envelope("a@x"), raw
    ) == ("env-staging",)
    assert router('[[rule]]\nheader = "X-Team"\nmailbox = "t-{1}"\n').route(
        envelope("a@x"), raw
    ) == ("t-Billing",)
    assert router('[[rule]]\nheader = "X-Missing"\nmailbox = "m"\n').route(
        envelope("a@x"), raw
    ) == ("default",)


def test_listener_by_kind_or_port() -> None:
    routing = router(
        '[[rule]]\nlistener = "smtps"\nmailbox = "tls"\n'
        '[[rule]]\nlistener = ":2526"\nmailbox = "second"\n'
    )
    assert routing.route(envelope("a@x"), RAW, ListenAddress("SMTPS", "127.0.0.1", 1465)) == (
        "tls",
    )
    assert routing.route(envelope("a@x"), RAW, ListenAddress("SMTP", "127.0.0.1", 2526)) == (
        "second",
    )
    assert routing.route(envelope("a@x"), RAW, ListenAddress("SMTP", "::1", 1025)) == ("default",)


def test_all_conditions_of_a_rule_must_match() -> None:
    routing = router(
        '[[rule]]\nrcpt_domain = "x.test"\nsender_domain = "shop.test"\nmailbox = "s"\n'
    )
    assert routing.route(envelope("a@x.test"), RAW) == ("s",)
    assert routing.route(envelope("a@x.test", mail_from="a@y.test"), RAW) == ("default",)


def test_a_captured_name_that_is_not_valid_goes_to_default_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    routing = router('[[rule]]\nauth_user = "*"\nmailbox = "{user}"\n')
    with caplog.at_level(logging.WARNING):
        assert routing.route(envelope("a@x", auth_user="bad user"), RAW) == ("default",)
    assert "rule 1 names the mailbox 'bad user'" in caplog.text


def test_without_rules_the_client_chooses_by_header_or_auth(
    caplog: pytest.LogCaptureFixture,
) -> None:
    routing = MailboxRouter()
    header = b"Subject: s\r\nx-mailsink-mailbox:  team-c \r\n\r\nbody"
    assert routing.route(envelope("a@x"), header) == ("team-c",)
    assert routing.route(envelope("a@x", auth_user="mailbox:ci-7"), RAW) == ("ci-7",)
    assert routing.route(envelope("a@x", auth_user="mailbox:ci-7"), header) == ("team-c",)
    assert routing.route(envelope("a@x", auth_user="alice"), RAW) == ("default",)
    in_body = b"Subject: s\r\n\r\nX-Mailsink-Mailbox: no\r\n"
    assert routing.route(envelope("a@x"), in_body) == ("default",)
    lf_only = b"Subject: s\nX-Mailsink-Mailbox: lf\n\nX-Mailsink-Mailbox: no\n"
    assert routing.route(envelope("a@x"), lf_only) == ("lf",)
    assert routing.route(envelope("a@x"), b"X-Mailsink-Mailbox: only-headers\r\n") == (
        "only-headers",
    )
    with caplog.at_level(logging.WARNING):
        assert routing.route(envelope("a@x"), b"X-Mailsink-Mailbox: ../etc\r\n\r\n") == ("default",)
    assert "the X-Mailsink-Mailbox header names the mailbox '../etc'" in caplog.text


def test_client_choice_is_off_with_the_flag_or_a_rules_file() -> None:
    header = b"X-Mailsink-Mailbox: team-c\r\n\r\nbody"
    assert MailboxRouter(client_choice=False).route(envelope("a@x"), header) == ("default",)
    assert router(TWO_TEAMS).route(envelope("a@x"), header) == ("default",)


def test_one_line_gives_every_auth_user_or_plus_tag_a_mailbox() -> None:
    by_user = router('rule = [{auth_user = "*", mailbox = "{user}"}]')
    by_tag = router("rule = [{rcpt_regex = '\\+([^@]+)@', mailbox = '{1}'}]")
    assert by_user.route(envelope("a@x", auth_user="team-7"), RAW) == ("team-7",)
    assert by_tag.route(envelope("me+signup@x", "me+reset@x", "me@x"), RAW) == (
        "signup",
        "reset",
        "default",
    )
