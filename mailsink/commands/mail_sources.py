"""Finds the messages under the paths given to `mailsink ingest`: `.eml` files, mbox files,
Maildir folders, and directories holding any of these.

A path named on the command line is read whatever its name: as mbox when it starts with a
`From ` line, else as one message. Inside a directory only `.eml` and `.mbox` files are taken
(and every message of a Maildir: a folder with `cur/` and `new/`; `tmp/` holds unfinished
deliveries), so that stray files are not imported as mail. Everything is taken in name order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mailsink.commands.mbox import read_mbox
from mailsink.commands.smtp_delivery import with_crlf_lines

MBOX_SUFFIXES = (".mbox", ".mbx")
MESSAGE_SUFFIXES = (".eml",)
MAILDIR_SUBFOLDERS = ("cur", "new")


@dataclass(frozen=True, slots=True)
class MailFile:
    path: Path
    is_mbox: bool
    size: int


@dataclass(frozen=True, slots=True)
class SourceMessage:
    raw: bytes  # CRLF line endings
    origin: str  # the file, and the message's number in an mbox: for error lines
    sender: str | None = None  # the mbox `From ` line's sender
    date: datetime | None = None  # the mbox `From ` line's date


def _starts_as_mbox(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(5) == b"From "


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in MAILDIR_SUBFOLDERS)


def _walk(folder: Path) -> Iterator[MailFile]:
    if _is_maildir(folder):
        for sub in MAILDIR_SUBFOLDERS:
            for entry in sorted((folder / sub).iterdir()):
                if entry.is_file():
                    yield MailFile(entry, False, entry.stat().st_size)
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            if entry.name in (*MAILDIR_SUBFOLDERS, "tmp") and _is_maildir(folder):
                continue
            yield from _walk(entry)
        elif entry.is_file() and entry.suffix.lower() in (*MBOX_SUFFIXES, *MESSAGE_SUFFIXES):
            is_mbox = entry.suffix.lower() in MBOX_SUFFIXES or _starts_as_mbox(entry)
            yield MailFile(entry, is_mbox, entry.stat().st_size)


def find_mail_files(paths: Iterable[Path]) -> list[MailFile]:
    """The files to read under `paths`; raises `FileNotFoundError` for a path that is neither
    a file nor a directory."""
    found: list[MailFile] = []
    for path in paths:
        if path.is_dir():
            found.extend(_walk(path))
        elif path.is_file():
            found.append(MailFile(path, _starts_as_mbox(path), path.stat().st_size))
        else:
            raise FileNotFoundError(f"no file or directory at {str(path)!r}")
    return found


def read_mail_file(mail_file: MailFile) -> Iterator[SourceMessage]:
    """The messages of one file: every message of an mbox, or the file as one message."""
    if not mail_file.is_mbox:
        yield SourceMessage(with_crlf_lines(mail_file.path.read_bytes()), str(mail_file.path))
        return
    with mail_file.path.open("rb") as stream:
        for number, message in enumerate(read_mbox(stream), 1):
            origin = f"{mail_file.path} (message {number})"
            yield SourceMessage(message.raw, origin, message.sender, message.date)
