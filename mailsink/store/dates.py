"""Dates in search queries (`after:`/`before:`), read as flexibly as Mailpit's `dateparse` reads
them, and the millisecond clock both stores compare received times on.

Accepted, with an optional time (`10:30`, `10:30:15.5`, `3pm`) and zone (`Z`, `+02:00`, `UTC`):
`2024-01-31`, `2024/01/31`, `2024.1.31`, `2024-01` (the 1st), `2024`, `20240131`,
`01/31/2024` and `1-31-24` (US order, month first; day first when the first number can only be
a day), `31 Jan 2024`, `Jan 31 2024`, `January 31, 2024`, `Wed, 31 Jan 2024 10:00:00 +0000`,
`2024-01-31T10:30:00Z`, and Unix time in seconds (10 digits) or milliseconds (13 digits).
Without a zone in the text, the date is in the `tz` zone, else the server's local zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = re.compile(
    r"\b(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|nesday|urday|sday)?\b\.?"
)
_DATE_TIME_T = re.compile(r"(\d)t(\d)")
_TIME = re.compile(
    r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(am|pm)?|(\d{1,2})\s*(am|pm)"
)
_ZONE = re.compile(r"(?:\s*(z|utc|gmt)|\s*([+-])(\d{2}):?(\d{2}))$")
_PARTS = re.compile(r"[a-z]+|\d+")
_COMPACT_FIELDS = ((0, 4, "1"), (4, 2, "1"), (6, 2, "1"), (8, 2, "0"), (10, 2, "0"), (12, 2, "0"))


def to_unix_ms(when: datetime) -> int:
    """Milliseconds since the epoch (a naive datetime is taken as local time)."""
    if when.tzinfo is None:
        when = when.astimezone()
    return (when - _EPOCH) // _ONE_MS


def parse_search_date(text: str, tz: str | None = None) -> datetime | None:
    """An aware datetime for `text`, or None when it is not a date we can read."""
    text = text.strip().lower()
    if text.isascii() and text.isdigit():
        return _from_digits(text, tz)
    text = _WEEKDAYS.sub(" ", _DATE_TIME_T.sub(r"\1 \2", text))
    text, zone = _take_zone(text)
    text, clock = _take_time(text)
    if clock is None:
        return None
    day = _read_date(_PARTS.findall(text))
    if day is None:
        return None
    try:
        naive = datetime(*day, *clock)
    except ValueError:
        return None
    return _localize(naive, zone, tz)


def _from_digits(text: str, tz: str | None) -> datetime | None:
    match len(text):
        case 10:
            return datetime.fromtimestamp(int(text), UTC)
        case 13:
            return _EPOCH + int(text) * _ONE_MS
        case 4 | 6 | 8 | 12 | 14:  # yyyy[mm[dd[HHMM[SS]]]]
            year, month, day, hour, minute, second = (
                int(text[start : start + width] or default)
                for start, width, default in _COMPACT_FIELDS
            )
            try:
                return _localize(datetime(year, month, day, hour, minute, second), None, tz)
            except ValueError:
                return None
    return None


def _take_zone(text: str) -> tuple[str, tzinfo | None]:
    found = _ZONE.search(text)
    if found is None:
        return text, None
    # A numeric offset counts only after a clock: in "2024-01-0200" it would be part of the date.
    if found[1] is None and ":" not in text[: found.start()]:
        return text, None
    if found[1] is not None:
        return text[: found.start()], UTC
    offset = timedelta(hours=int(found[3]), minutes=int(found[4]))
    return text[: found.start()], timezone(-offset if found[2] == "-" else offset)


def _take_time(text: str) -> tuple[str, tuple[int, int, int, int] | None]:
    """The text without its time of day, and (hour, minute, second, microsecond)."""
    found = _TIME.search(text)
    if found is None:
        return text, (0, 0, 0, 0)
    if found[6] is not None:
        hour, minute, second, fraction, meridiem = int(found[6]), 0, 0, "", found[7]
    else:
        hour, minute = int(found[1]), int(found[2])
        second, fraction, meridiem = int(found[3] or 0), found[4] or "", found[5]
    if meridiem is not None:
        if not 1 <= hour <= 12:
            return text, None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    microsecond = int(fraction[:6].ljust(6, "0")) if fraction else 0
    return text[: found.start()] + " " + text[found.end() :], (hour, minute, second, microsecond)


def _read_date(parts: list[str]) -> tuple[int, int, int] | None:
    """(year, month, day) from the date's words and numbers, or None."""
    months = [_MONTHS[p] for p in parts if p in _MONTHS]
    words = [
        p
        for p in parts
        if p.isalpha() and p not in _MONTHS and p not in ("st", "nd", "rd", "th", "of")
    ]
    numbers = [p for p in parts if p.isascii() and p.isdigit()]
    if words or len(months) > 1:
        return None
    if months:
        return _with_month_name(months[0], numbers)
    return _numeric_date(numbers)


def _with_month_name(month: int, numbers: list[str]) -> tuple[int, int, int] | None:
    if len(numbers) == 1 and len(numbers[0]) == 4:
        return int(numbers[0]), month, 1
    if len(numbers) != 2:
        return None
    first, second = numbers
    if len(first) == 4:
        return int(first), month, int(second)
    return _full_year(second), month, int(first)


def _numeric_date(numbers: list[str]) -> tuple[int, int, int] | None:
    if len(numbers) == 1 and len(numbers[0]) == 4:
        return int(numbers[0]), 1, 1
    if len(numbers) == 2 and len(numbers[0]) == 4:
        return int(numbers[0]), int(numbers[1]), 1
    if len(numbers) != 3:
        return None
    if len(numbers[0]) == 4:
        return int(numbers[0]), int(numbers[1]), int(numbers[2])
    month, day = int(numbers[0]), int(numbers[1])
    if month > 12 >= day:
        month, day = day, month
    return _full_year(numbers[2]), month, day


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) <= 2:
        return year + (2000 if year < 69 else 1900)
    return year


def _localize(naive: datetime, zone: tzinfo | None, tz: str | None) -> datetime:
    """`naive` in its zone. At the ends of the calendar (`before:0001-01-01`), where the local
    zone cannot be looked up, UTC: a few hours cannot matter there."""
    if zone is None and tz:
        zone = _named_zone(tz)
    if zone is None:
        try:
            return naive.astimezone()  # the server's local zone
        except (OverflowError, ValueError):
            return naive.replace(tzinfo=UTC)
    return naive.replace(tzinfo=zone)


def _named_zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
