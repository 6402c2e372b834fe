"""What a failed test's report shows of its mail, and the `.eml` files of `--mailsink-dump`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailsink.message.captured import CapturedMessage

_NOT_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_FILE_NAME_PREFIX_LENGTH = 80


def captured_mail_section(messages: Sequence[CapturedMessage], dumped: Sequence[Path]) -> str:
    """One line per message (time, envelope, subject), like pytest's captured log lines."""
    from mailsink.matching import MessageFilter, explain_arrivals

    text = explain_arrivals(MessageFilter(), messages)
    if dumped:
        text += "\n" + "\n".join(f"  saved as {path}" for path in dumped)
    return text


def dump_file_stem(nodeid: str) -> str:
    """A file name from the test's node ID: safe characters only, and a hash so that two node IDs
    that clean up to the same text still get different names."""
    cleaned = _NOT_IN_FILE_NAME.sub("_", nodeid).strip("._")[-_FILE_NAME_PREFIX_LENGTH:]
    digest = hashlib.sha256(nodeid.encode()).hexdigest()[:8]
    return f"{cleaned.lstrip('._') or 'test'}-{digest}"


def dump_messages(directory: Path, nodeid: str, messages: Sequence[CapturedMessage]) -> list[Path]:
    """Write each message's exact bytes to `directory`; the names never come from the message."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = dump_file_stem(nodeid)
    paths = []
    for number, message in enumerate(messages, 1):
        path = directory / f"{stem}-{number}.eml"
        path.write_bytes(message.raw)
        paths.append(path)
    return paths
