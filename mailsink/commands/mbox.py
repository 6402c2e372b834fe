"""The mbox format, as `ingest` reads it and `dump --mbox` writes it (mboxrd).

Each message starts with a `From ` line (`From sender asctime-date`) and ends with an empty
line; a body line that starts with `From ` after any number of `>` gets one more `>` when
written and loses one when read, so that no message line is taken for a separator. Lines end
with LF in the file; messages read from one get CRLF back, as SMTP carries them.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from mailsink.commands.smtp_delivery import with_crlf_lines

_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_FROM_TO_QUOTE = re.compile(rb"^(>*From )", re.MULTILINE)
NO_SENDER = "MAILER-DAEMON"


@dataclass(frozen=True, slots=True)
class MboxMessage:
    raw: bytes  # CRLF line endings, `>From ` unquoted
    sender: str | None  # from the `From ` line; None for MAILER-DAEMON or a missing one
    date: datetime | None  # from the `From ` line, when it can be read (taken as UTC)


def _from_line_parts(line: bytes) -> tuple[str | None, datetime | None]:
    words = line.decode("utf-8", "replace").split(None, 2)[1:]
    sender = words[0] if words and words[0] != NO_SENDER else None
    date = None
    if len(words) == 2:
        with contextlib.suppress(ValueError):
            date = datetime.strptime(" ".join(words[1].split()), "%a %b %d %H:%M:%S %Y")
    return sender, date.replace(tzinfo=UTC) if date else None


def read_mbox(stream: BinaryIO) -> Iterator[MboxMessage]:
    """The messages of an mbox file, one at a time (the file is not read whole). A `From `
    line starts a message only at the start of the file or after an empty line."""
    from_line: bytes | None = None
    lines: list[bytes] = []
    previous_blank = True
    for line in stream:
        if line.startswith(b"From ") and previous_blank:
            if from_line is not None:
                yield _message(from_line, lines)
            from_line, lines = line, []
        elif from_line is not None:
            lines.append(line)
        previous_blank = line in (b"\n", b"\r\n")
    if from_line is not None:
        yield _message(from_line, lines)


def _message(from_line: bytes, lines: list[bytes]) -> MboxMessage:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]  # the separator, not the message's
    body = _QUOTED_FROM.sub(rb"\1", b"".join(lines))
    sender, date = _from_line_parts(from_line)
    return MboxMessage(with_crlf_lines(body), sender, date)


def write_mbox_message(
    stream: BinaryIO, raw: bytes, sender: str | None, received: datetime
) -> None:
    """Append one message: its `From ` line, its lines (LF, `From ` quoted), an empty line."""
    envelope_sender = "".join((sender or NO_SENDER).split()) or NO_SENDER
    stamp = received.astimezone(UTC).ctime()  # asctime, as every mbox writer dates it
    body = _FROM_TO_QUOTE.sub(rb">\1", raw.replace(b"\r\n", b"\n"))
    if body and not body.endswith(b"\n"):
        body += b"\n"
    stream.write(f"From {envelope_sender} {stamp}\n".encode() + body + b"\n")
