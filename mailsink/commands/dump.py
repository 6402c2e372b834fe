"""`mailsink dump`: export every message of a sink, oldest first, as one `.eml` file per
message in a directory, or as one mbox file (`--mbox`).

The messages come from a `--database` (a SQLite file or a postgresql:// URL), or from a
running sink's HTTP API (`--url`; any server with Mailpit's API v1 will do, and
`http://user:password@host/` sends basic auth).
Every file name is made here: `<ID>.eml` for an ID that is a mailsink/Mailpit message ID (22
characters of [0-9A-Za-z]). A server that answers any other ID (`../../etc/x`) gets that
message skipped and named on standard error, never a file outside the directory; the exit
status is then 65 (`EX_DATAERR`), and 69 (`EX_UNAVAILABLE`) when the source cannot be read.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from mailsink.cli import ENVIRONMENT_HELP, Option, add_options, read_options
from mailsink.commands.mbox import write_mbox_message
from mailsink.commands.store_option import database_option, open_database
from mailsink.config import parse_http_url
from mailsink.message.ids import is_message_id
from mailsink.store.base import StoreUnavailable

# Summaries asked for per page of `GET /api/v1/messages`.
PAGE_SIZE = 500
HTTP_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class DumpOptions:
    database: Path | str | None = None
    url: str | None = None
    mbox: Path | None = None


OPTIONS = (
    database_option(
        "read the messages from this SQLite file or PostgreSQL database (postgresql://…)",
        env_prefix="MAILSINK_DUMP_",
    ),
    Option(
        "--url",
        "url",
        "read them from the HTTP API of the sink at this base URL",
        parse_http_url,
        metavar="URL",
        env_prefix="MAILSINK_DUMP_",
    ),
    Option(
        "--mbox",
        "mbox",
        "write one mbox file instead of a directory of .eml files",
        Path,
        metavar="FILE",
        env_prefix="MAILSINK_DUMP_",
    ),
)


@dataclass(frozen=True, slots=True)
class ListedMessage:
    """A message as a source lists it; `id` is the source's word, checked before use."""

    id: str
    sender: str | None
    received: datetime


class SourceError(Exception):
    """The source cannot be read at all (a missing file, a server that does not answer)."""


class DatabaseSource:
    def __init__(self, database: Path | str) -> None:
        try:
            self._store = open_database(database, existing=True)
        except StoreUnavailable as error:
            raise SourceError(str(error)) from None

    def listing(self) -> list[ListedMessage]:
        stored = self._store.search(limit=None, oldest_first=True)
        return [ListedMessage(m.id, m.envelope.mail_from, m.received) for m in stored]

    def raw(self, message_id: str) -> bytes | None:
        return self._store.raw(message_id)

    def close(self) -> None:
        self._store.close()


class HttpSource:
    """Mailpit's API v1: the list, newest first, page by page; then each message's raw."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self._headers = {"Accept": "application/json"}
        if parts.username is not None:
            login = f"{urllib.parse.unquote(parts.username)}:"
            login += urllib.parse.unquote(parts.password or "")
            self._headers["Authorization"] = "Basic " + base64.b64encode(login.encode()).decode()
        netloc = parts.hostname or ""
        netloc = f"[{netloc}]" if ":" in netloc else netloc
        if parts.port is not None:
            netloc += f":{parts.port}"
        self._base = urllib.parse.urlunsplit(
            (parts.scheme, netloc, parts.path.rstrip("/") + "/", "", "")
        )

    def _get(self, path: str) -> bytes:
        request = urllib.request.Request(self._base + path, headers=self._headers)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as error:
            raise SourceError(f"{self._base}{path}: HTTP {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SourceError(f"cannot read {self._base}{path}: {reason}") from None

    def listing(self) -> list[ListedMessage]:
        seen: dict[str, ListedMessage] = {}
        start = 0
        while True:
            try:
                page = json.loads(self._get(f"api/v1/messages?start={start}&limit={PAGE_SIZE}"))
                summaries = page["messages"] or []
            except (ValueError, KeyError, TypeError) as error:
                raise SourceError(
                    f"{self._base}api/v1/messages: not a message list ({error})"
                ) from None
            for summary in summaries:
                message_id = str(summary.get("ID", ""))
                sender = (summary.get("From") or {}).get("Address") or None
                received = _created(summary.get("Created"))
                seen.setdefault(message_id, ListedMessage(message_id, sender, received))
            if len(summaries) < PAGE_SIZE:
                break
            start += len(summaries)
        return list(reversed(seen.values()))  # oldest first

    def raw(self, message_id: str) -> bytes | None:
        try:
            return self._get(f"api/v1/message/{urllib.parse.quote(message_id, safe='')}/raw")
        except SourceError as error:
            if "HTTP 404" in str(error):  # deleted since it was listed
                return None
            raise

    def close(self) -> None:
        pass


def _created(text: object) -> datetime:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.now(UTC)


def dumped_messages(
    source: DatabaseSource | HttpSource, problems: list[str]
) -> Iterator[tuple[ListedMessage, bytes]]:
    """Each listed message whose ID is valid, with its bytes; what is skipped, and why, goes
    to `problems`."""
    for listed in source.listing():
        if not is_message_id(listed.id):
            problems.append(
                f"skipped a message: expected a 22-character message ID, got {listed.id!r}"
            )
            continue
        raw = source.raw(listed.id)
        if raw is None:
            problems.append(f"skipped {listed.id}: deleted while the dump ran")
            continue
        yield listed, raw


def write_eml_files(messages: Iterator[tuple[ListedMessage, bytes]], directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for listed, raw in messages:
        if not is_message_id(listed.id):  # the one name taken from outside: checked again here
            raise ValueError(f"expected a 22-character message ID, got {listed.id!r}")
        (directory / f"{listed.id}.eml").write_bytes(raw)
        written += 1
    return written


def write_mbox(messages: Iterator[tuple[ListedMessage, bytes]], stream: BinaryIO) -> int:
    written = 0
    for listed, raw in messages:
        write_mbox_message(stream, raw, listed.sender, listed.received)
        written += 1
    return written


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailsink dump",
        description="Export every message, oldest first: one <ID>.eml file per message in"
        " DIR, or one mbox file with --mbox.",
        epilog=ENVIRONMENT_HELP,
    )
    parser.add_argument(
        "directory", nargs="?", type=Path, metavar="DIR", help="where the .eml files go"
    )
    add_options(parser, OPTIONS, DumpOptions(), plain_switches=True)
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    options = DumpOptions(**read_options(parser, args, OPTIONS, dict(os.environ)))
    if (options.database is None) == (options.url is None):
        parser.error("give one source: --database FILE|URL or --url URL")
    if (args.directory is None) == (options.mbox is None):
        parser.error("give one destination: a DIR for .eml files, or --mbox FILE")
    problems: list[str] = []
    try:
        with ExitStack() as stack:
            source: DatabaseSource | HttpSource = (
                DatabaseSource(options.database)
                if options.database is not None
                else HttpSource(str(options.url))
            )
            stack.callback(source.close)
            messages = dumped_messages(source, problems)
            if options.mbox is not None:
                written = write_mbox(messages, stack.enter_context(options.mbox.open("wb")))
                target = str(options.mbox)
            else:
                written = write_eml_files(messages, args.directory)
                target = str(args.directory)
    except SourceError as error:
        print(f"mailsink dump: {error}", file=sys.stderr)
        return os.EX_UNAVAILABLE
    except OSError as error:
        print(f"mailsink dump: {error}", file=sys.stderr)
        return os.EX_IOERR
    for problem in problems:
        print(f"mailsink dump: {problem}", file=sys.stderr)
    print(f"wrote {written} messages to {target}", file=sys.stderr)
    return os.EX_DATAERR if problems else 0
