"""`mailsink ingest PATH...`: import `.eml` files, mbox files and Maildir folders.

Messages go over SMTP to a running sink (`--smtp-addr`, the default), or straight into a
`--database` (a SQLite file or a postgresql:// URL) through the same store and ingest path the
server uses, so summaries, tags, warnings and search indexes are what SMTP delivery would have
made. Only the second can keep the original dates (`--keep-dates`: the Date header, else the
mbox `From ` line's date, becomes the received time); over SMTP the sink stamps its own. The
envelope comes from the message: the mbox sender, or Sender/From, and the To, Cc and Bcc
addresses (SMTP needs one recipient at least: a message without any goes to
`undisclosed-recipients@localhost`).

`--mailbox NAME` files them in that mailbox without touching their bytes: into a database
directly, and over SMTP by AUTH as `mailbox:NAME`, which the sink honours as it does for any
client (unless its `--mailbox-rules`, its `--smtp-auth-file` or a message's own
`X-Mailsink-Mailbox` header decide otherwise).

A message that cannot be imported is named on standard error and the others go on; the exit
status is then 65 (`EX_DATAERR`), or 69 (`EX_UNAVAILABLE`) when the sink cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mailsink.cli import ENVIRONMENT_HELP, Option, add_options, parse_bool, read_options
from mailsink.commands.addressing import header_recipients, header_sender
from mailsink.commands.mail_sources import MailFile, SourceMessage, find_mail_files, read_mail_file
from mailsink.commands.progress import ProgressBar
from mailsink.commands.smtp_delivery import DeliveryError, SinkUnreachable, SmtpDelivery
from mailsink.commands.store_option import database_option, open_database
from mailsink.config import HostPort, parse_host_port, shown_database
from mailsink.mailboxes.names import check_mailbox_name
from mailsink.mailboxes.router import AUTH_PREFIX
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.headers import HeaderMap, parse_date
from mailsink.store.base import Store, StoreUnavailable

NO_RECIPIENT = "undisclosed-recipients@localhost"
# Messages handed to the store at once: enough for the store to commit them in large groups.
STORE_IN_FLIGHT = 256


@dataclass(frozen=True, slots=True)
class IngestOptions:
    smtp_addr: HostPort = field(default_factory=lambda: HostPort("127.0.0.1", 1025))
    database: Path | str | None = None
    keep_dates: bool = False
    mailbox: str | None = None


OPTIONS = (
    Option(
        "--smtp-addr",
        "smtp_addr",
        "deliver over SMTP to the sink listening here",
        parse_host_port,
        metavar="HOST:PORT",
        env_prefix="MAILSINK_INGEST_",
    ),
    database_option(
        "store straight into this SQLite file instead (made if missing; stop a server that"
        " uses it first, or it will not see the new mail until restarted), or into this"
        " PostgreSQL database (postgresql://…; its running nodes show the new mail at once)",
        env_prefix="MAILSINK_INGEST_",
    ),
    Option(
        "--keep-dates",
        "keep_dates",
        "with --database: the Date header (else the mbox date) becomes the received time",
        parse_bool,
        boolean=True,
        env_prefix="MAILSINK_INGEST_",
    ),
    Option(
        "--mailbox",
        "mailbox",
        "file the messages in this mailbox (over SMTP: by AUTH as mailbox:NAME)",
        check_mailbox_name,
        metavar="NAME",
        env_prefix="MAILSINK_INGEST_",
    ),
)


@dataclass(slots=True)
class Tally:
    """What an import did, for the summary line and the exit status."""

    imported: int = 0
    failed: int = 0
    unreachable: bool = False
    bytes_read: int = 0

    def fail(self, origin: str, reason: str) -> None:
        self.failed += 1
        print(f"mailsink ingest: {origin}: {reason}", file=sys.stderr)

    @property
    def status(self) -> int:
        if self.unreachable:
            return os.EX_UNAVAILABLE
        return os.EX_DATAERR if self.failed else 0


def sender_of(message: SourceMessage) -> str:
    return message.sender or header_sender(message.raw) or ""


def original_date(message: SourceMessage) -> datetime | None:
    header_end = message.raw.find(b"\r\n\r\n")
    headers = HeaderMap.from_bytes(message.raw if header_end < 0 else message.raw[:header_end])
    return parse_date(headers.get("Date")) or message.date


def messages_with_progress(files: list[MailFile], tally: Tally) -> Iterator[SourceMessage]:
    """Every message of `files`, drawing the progress bar (by bytes) as they are read."""
    bar = ProgressBar(sum(f.size for f in files))
    done_before = 0
    try:
        for mail_file in files:
            read_here = 0
            for message in read_mail_file(mail_file):
                read_here += len(message.raw)
                tally.bytes_read = done_before + min(read_here, mail_file.size)
                yield message
                bar.advance(tally.bytes_read, tally.imported + tally.failed)
            done_before += mail_file.size
    finally:
        bar.finish()


def ingest_over_smtp(
    address: HostPort, messages: Iterator[SourceMessage], mailbox: str | None, tally: Tally
) -> None:
    login = None if mailbox is None else f"{AUTH_PREFIX}{mailbox}"
    with SmtpDelivery(address, login=login) as delivery:
        for message in messages:
            recipients = header_recipients(message.raw) or [NO_RECIPIENT]
            try:
                refused = delivery.send(sender_of(message), recipients, message.raw)
            except SinkUnreachable as error:
                tally.fail(message.origin, f"{error}; stopped")
                tally.unreachable = True
                return
            except DeliveryError as error:
                tally.fail(message.origin, str(error))
                continue
            tally.imported += 1
            if refused:
                print(f"mailsink ingest: {message.origin}: refused {refused}", file=sys.stderr)


async def ingest_into_database(
    store: Store, messages: Iterator[SourceMessage], options: IngestOptions, tally: Tally
) -> None:
    from mailsink.ingest import Ingest  # the ingest stack only when storing directly
    from mailsink.stats import RuntimeStats

    ingest = Ingest(store, RuntimeStats())
    in_flight: set[asyncio.Task[None]] = set()

    async def store_one(message: SourceMessage) -> None:
        received = (original_date(message) if options.keep_dates else None) or datetime.now(UTC)
        envelope = Envelope(
            mail_from=sender_of(message),
            recipients=tuple(Recipient(address) for address in header_recipients(message.raw)),
            received=received,
        )
        try:
            await ingest.deliver(envelope, message.raw, mailbox=options.mailbox)
        except Exception as error:  # one message that cannot be stored must not stop the rest
            tally.fail(message.origin, f"not stored: {error}")
        else:
            tally.imported += 1

    for message in messages:
        task = asyncio.create_task(store_one(message))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        if len(in_flight) >= STORE_IN_FLIGHT:
            await asyncio.wait(set(in_flight), return_when=asyncio.FIRST_COMPLETED)
    await asyncio.gather(*in_flight)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailsink ingest",
        description="Import .eml files, mbox files and Maildir folders (or directories of"
        " them) into a sink: over SMTP to a running one, or straight into its database.",
        epilog=ENVIRONMENT_HELP,
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="file or directory")
    add_options(parser, OPTIONS, IngestOptions(), plain_switches=True)
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    options = IngestOptions(**read_options(parser, args, OPTIONS, dict(os.environ)))
    if options.keep_dates and options.database is None:
        parser.error("--keep-dates needs --database: over SMTP the sink stamps its own time")
    try:
        files = find_mail_files(args.paths)
    except OSError as error:
        parser.error(str(error))
    tally = Tally()
    try:
        if options.database is not None:
            store = open_database(options.database, existing=False)
            try:
                messages = messages_with_progress(files, tally)
                asyncio.run(ingest_into_database(store, messages, options, tally))
            finally:
                store.close()
        else:
            ingest_over_smtp(
                options.smtp_addr, messages_with_progress(files, tally), options.mailbox, tally
            )
    except StoreUnavailable as error:
        print(f"mailsink ingest: {error}", file=sys.stderr)
        return os.EX_UNAVAILABLE
    except OSError as error:
        print(f"mailsink ingest: {error}", file=sys.stderr)
        return os.EX_IOERR
    if options.database is not None:
        target = shown_database(options.database)
    else:
        target = f"the sink at {options.smtp_addr}"
    print(
        f"imported {tally.imported} messages into {target}"
        + (f"; {tally.failed} failed" if tally.failed else ""),
        file=sys.stderr,
    )
    return tally.status
