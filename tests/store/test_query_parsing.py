"""Parsing of the search language and of tag names (docs/mailpit-api.md), without a store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from mailsink.store.dates import parse_search_date, to_unix_ms
from mailsink.store.search import (
    Flag,
    FlagTerm,
    ReceivedTerm,
    SearchQuery,
    SizeTerm,
    TagTerm,
    TextField,
    TextTerm,
    clean_search_value,
    parse_search_query,
    parse_size,
    split_tokens,
)
from mailsink.store.tags import clean_tag


def test_the_documented_example() -> None:
    query = parse_search_query("subject:invoice !from:admin@example.com is:tagged")
    assert query == SearchQuery(
        "subject:invoice !from:admin@example.com is:tagged",
        (
            TextTerm(TextField.SUBJECT, "invoice"),
            TextTerm(TextField.FROM, "admin@example.com", negated=True),
            FlagTerm(Flag.TAGGED),
        ),
    )
    assert hash(query) == hash(parse_search_query(query.text))


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("john doe", ["john", "doe"]),
        ('"john doe"', ["john doe"]),
        ('to:"john doe" x', ["to:john doe", "x"]),
        ('-"a b"', ["-a b"]),
        ("  spaced   out ", ["spaced", "out"]),
        ('"unclosed phrase', ["unclosed phrase"]),
        ('""', []),
    ],
)
def test_tokens(text: str, tokens: list[str]) -> None:
    assert split_tokens(text) == tokens


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Hello", TextTerm(TextField.TEXT, "hello")),
        ("<Hello>,", TextTerm(TextField.TEXT, "hello")),
        ("-hello", TextTerm(TextField.TEXT, "hello", negated=True)),
        ("!hello", TextTerm(TextField.TEXT, "hello", negated=True)),
        ("TO:Bob", TextTerm(TextField.TO, "bob")),
        ("reply-to:x", TextTerm(TextField.REPLY_TO, "x")),
        ("addressed:x", TextTerm(TextField.ADDRESSED, "x")),
        ("message-id:<A@B>", TextTerm(TextField.MESSAGE_ID, "a@b")),
        ("subject:(Re:)", TextTerm(TextField.SUBJECT, "(re:)")),  # subjects are not cleaned
        ("tag:Work", TagTerm("work")),
        ("-tag:work", TagTerm("work", negated=True)),
        ("is:unread", FlagTerm(Flag.READ, negated=True)),
        ("-is:unread", FlagTerm(Flag.READ)),
        ("has:inlines", FlagTerm(Flag.INLINE)),
        ("!has:attachment", FlagTerm(Flag.ATTACHMENT, negated=True)),
        ("larger:2kb", SizeTerm(2048, larger=True)),
        ("-larger:2kb", SizeTerm(2048, larger=False)),
        ("smaller:1.5M", SizeTerm(1572864, larger=False)),
        ("larger:nope", TextTerm(TextField.TEXT, "larger:nope")),
        ("is:nothing", TextTerm(TextField.TEXT, "is:nothing")),
        ("after:2024-01-02T03:04:05Z", ReceivedTerm(1704164645000, on_or_after=True)),
        ("-after:2024-01-02T03:04:05Z", ReceivedTerm(1704164645000, on_or_after=False)),
        ("-before:2024-01-02T03:04:05Z", ReceivedTerm(1704164645000, on_or_after=True)),
    ],
)
def test_one_token(text: str, term: object) -> None:
    assert parse_search_query(text).terms == (term,)


@pytest.mark.parametrize(
    "text", ["", " ", "-", "!", "--", "to:", "tag:", "subject:", "after:x", "before:", "()", "…"]
)
def test_tokens_mailpit_ignores(text: str) -> None:
    assert parse_search_query(text).terms == ()


def test_cleaning_matches_mailpit() -> None:
    assert clean_search_value(' A\t"b"\r\n<c>, (d);\ufeffE ') == "a b c d e"


@pytest.mark.parametrize(
    ("text", "size"),
    [("10", 10), ("2k", 2048), ("2KB", 2048), ("1.5m", 1572864), ("3 mb", 3145728), ("0", 0),
     ("1g", 0), ("k", 0), ("-5", 0), ("1.", 0)],
)  # fmt: skip
def test_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("2024/01/31", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("2024.1.31", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("2024-01", datetime(2024, 1, 1, tzinfo=BERLIN)),
        ("2024", datetime(2024, 1, 1, tzinfo=BERLIN)),
        ("20240131", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("01/31/2024", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("01/04/2024", datetime(2024, 1, 4, tzinfo=BERLIN)),  # US: month first
        ("31/01/2024", datetime(2024, 1, 31, tzinfo=BERLIN)),  # only a day can be 31
        ("1-31-24", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("31 jan 2024", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("Jan 31 2024", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("january 31 2024", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("31-Jan-2024", datetime(2024, 1, 31, tzinfo=BERLIN)),
        ("2024-01-31 10:30", datetime(2024, 1, 31, 10, 30, tzinfo=BERLIN)),
        ("2024-01-31 10:30:15.25", datetime(2024, 1, 31, 10, 30, 15, 250000, tzinfo=BERLIN)),
        ("2024-01-31 3pm", datetime(2024, 1, 31, 15, tzinfo=BERLIN)),
        ("2024-01-31 12:05 am", datetime(2024, 1, 31, 0, 5, tzinfo=BERLIN)),
        ("2024-01-31T10:30:00Z", datetime(2024, 1, 31, 10, 30, tzinfo=UTC)),
        ("2024-01-31T10:30:00+05:30", datetime(2024, 1, 31, 5, 0, tzinfo=UTC)),
        ("2024-01-31 10:30 -0100", datetime(2024, 1, 31, 11, 30, tzinfo=UTC)),
        ("2024-01-31 UTC", datetime(2024, 1, 31, tzinfo=UTC)),
        ("Wed, 31 Jan 2024 10:00:00 +0000", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        ("1706695200", datetime(2024, 1, 31, 10, tzinfo=UTC)),
        ("1706695200123", datetime(2024, 1, 31, 10, 0, 0, 123000, tzinfo=UTC)),
    ],
)
def test_dates(text: str, expected: datetime) -> None:
    assert parse_search_date(text.lower(), "Europe/Berlin") == expected


@pytest.mark.parametrize(
    "text",
    ["", "someday", "2024-13-01", "2024-02-30", "13/13/2024", "25:00", "2024-01-01 25:00",
     "jan feb 2024", "123", "31 jan", "2024-01-31 13pm", "mon"],
)  # fmt: skip
def test_not_dates(text: str) -> None:
    assert parse_search_date(text, "UTC") is None


def test_a_date_without_zone_uses_tz_else_local_time() -> None:
    assert parse_search_date("2024-06-01", "America/New_York") == datetime(
        2024, 6, 1, 4, tzinfo=UTC
    )
    local = datetime(2024, 6, 1).astimezone()
    assert parse_search_date("2024-06-01", None) == local
    assert parse_search_date("2024-06-01", "No/Such_Zone") == local
    assert parse_search_date("2024-06-01", "../../etc/passwd") == local


def test_unix_milliseconds() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, 678999, tzinfo=timezone(timedelta(hours=-3)))
    assert to_unix_ms(when) == 1704175445678


def test_nothing_raises_on_random_input() -> None:
    rng = random.Random(5)
    alphabet = 'ab:-!" \t\n<>,;()%_*?[]\\\x00\ud800é日/.0123456789'
    keywords = ["to:", "after:", "before:", "larger:", "tag:", "is:", "has:", "subject:"]
    for _ in range(3000):
        text = "".join(
            rng.choice(keywords) if rng.random() < 0.1 else rng.choice(alphabet)
            for _ in range(rng.randint(0, 40))
        )
        query = parse_search_query(text, rng.choice([None, "UTC", "bogus", ""]))
        values = [t.value for t in query.terms if isinstance(t, TextTerm)]
        values += [t.name for t in query.terms if isinstance(t, TagTerm)]
        assert all(values), text  # an empty value would match everything: dropped instead
        assert not any("\ud800" in value for value in values), text  # SQLite cannot bind it


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Urgent!", "Urgent"),
        ("  two   words ", "two words"),
        ("a/b\\c", "a b c"),
        ("ok.tag@x_y-z", "ok.tag@x_y-z"),
        ("日本", ""),
        ("x" * 150, "x" * 100),
    ],
)
def test_tag_cleaning(raw: str, clean: str) -> None:
    assert clean_tag(raw) == clean
