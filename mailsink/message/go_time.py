"""Times written as Go's `time.Time` marshals them, as Mailpit's JSON carries them."""

from __future__ import annotations

from datetime import UTC, datetime


def go_time(moment: datetime) -> str:
    """RFC 3339 as Go's `time.Time` marshals it: fraction trimmed of trailing zeros (omitted
    when zero), `Z` for UTC, else the `±hh:mm` offset.

    >>> go_time(datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=UTC))
    '2024-01-02T03:04:05.12Z'
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    offset = moment.utcoffset()
    if not offset:
        return text + "Z"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def go_time_ms_local(moment: datetime) -> str:
    """A received time as Mailpit lists it: Unix milliseconds shown in the server's local zone."""
    truncated = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return go_time(truncated.astimezone())
