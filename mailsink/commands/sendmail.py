"""`mailsink sendmail`: a sendmail-compatible command that hands a message to a running sink.

Point PHP's `sendmail_path`, cron, `git send-email --sendmail-cmd` or anything else that pipes
mail into `sendmail` at it. The message is read from standard input and delivered over SMTP to
`--smtp-addr`, unchanged apart from line endings (made CRLF, as any sendmail does); the sink
records the envelope, so Bcc recipients given with `-t` stay visible there.

Sendmail's flags that matter to a sink are honoured, those about queues, delivery modes and
reports are accepted and ignored (so existing command lines keep working), anything else is a
usage error. Exit statuses are sendmail's (sysexits.h), see `mailsink.commands.smtp_delivery`;
64 (`EX_USAGE`) for bad arguments and a message without recipients, 74 (`EX_IOERR`) when
standard input cannot be read.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from mailsink.commands.addressing import header_recipients, header_sender, local_sender
from mailsink.commands.smtp_delivery import DeliveryError, SmtpDelivery, with_crlf_lines
from mailsink.config import HostPort, parse_host_port

DEFAULT_SMTP_ADDR = "127.0.0.1:1025"
SMTP_ADDR_ENV = "MAILSINK_SENDMAIL_SMTP_ADDR"
# Flags that take a value (attached, `-FCron`, or as the next argument) and are ignored:
# full name, body type, DSN notify/return/envelope ID, log and config files, hop count.
IGNORED_WITH_VALUE = frozenset("FBNRVLXOCh")
# Flags ignored whole, with anything attached: `-o` options (`-oem`, `-odb`), `-e` error modes,
# `-A` submission mode, and the verbose/initial-submission/metoo switches.
IGNORED_PREFIXES = ("-o", "-e", "-A")
IGNORED_SWITCHES = frozenset({"-v", "-U", "-G", "-m", "-n", "-bm"})
RELAY_CHUNK = 64 * 1024

USAGE = f"""\
usage: mailsink sendmail [-t] [-i | -oi] [-f SENDER] [-bs] [--smtp-addr HOST:PORT] [RECIPIENT ...]

Reads a message from standard input and delivers it to a running mailsink.

  RECIPIENT ...           envelope recipients
  -t                      also send to the To, Cc and Bcc addresses of the message
  -i, -oi                 a line with a single dot does not end the message
  -f SENDER, -r SENDER    envelope sender (default: Sender or From of the message, else
                          user@host)
  -bs                     speak SMTP on standard input and output (relayed to the sink)
  -bm                     read a message from standard input (the default)
  --smtp-addr HOST:PORT   the sink's SMTP listener (default: {DEFAULT_SMTP_ADDR};
                          env {SMTP_ADDR_ENV})
  -F, -B, -N, -R, -V, -L, -X, -O, -C, -h (with a value), -o*, -e*, -A*, -v, -U, -G, -m, -n
                          accepted and ignored, as they concern queues and reports

Exit status: 0 delivered, 64 usage, 65 sender or message refused, 67 recipient refused,
69 sink unreachable, 74 standard input unreadable, 75 temporary failure (4xx, timeout).
"""


class UsageError(ValueError):
    """Arguments sendmail would refuse; the text says which and why."""


@dataclass(slots=True)
class SendmailRequest:
    recipients: list[str] = field(default_factory=list)
    sender: str | None = None
    recipients_from_headers: bool = False  # -t
    dot_ends_message: bool = True  # cleared by -i / -oi
    smtp_session: bool = False  # -bs
    smtp_addr: HostPort = field(default_factory=lambda: parse_host_port(DEFAULT_SMTP_ADDR))
    show_help: bool = False


def parse_arguments(args: Sequence[str], environ: dict[str, str]) -> SendmailRequest:
    """Sendmail's command line. Raises `UsageError`.

    >>> parse_arguments(["-t", "-oi", "-fme@x", "you@y"], {}).sender
    'me@x'
    """
    request = SendmailRequest()
    smtp_addr = environ.get(SMTP_ADDR_ENV)
    pending = list(args)

    def value_of(flag: str, attached: str) -> str:
        if attached:
            return attached
        if not pending:
            raise UsageError(f"{flag} needs a value")
        return pending.pop(0)

    while pending:
        arg = pending.pop(0)
        if arg == "--":
            request.recipients.extend(pending)
            break
        if arg in ("--help", "-help"):
            request.show_help = True
        elif arg == "--smtp-addr" or arg.startswith("--smtp-addr="):
            smtp_addr = value_of("--smtp-addr", arg.partition("=")[2])
        elif arg.startswith("--"):
            raise UsageError(f"unknown option {arg}")
        elif not arg.startswith("-") or arg == "-":
            request.recipients.append(arg)
        elif arg == "-t":
            request.recipients_from_headers = True
        elif arg in ("-i", "-oi"):
            request.dot_ends_message = False
        elif arg == "-bs":
            request.smtp_session = True
        elif arg in IGNORED_SWITCHES or arg.startswith(IGNORED_PREFIXES):
            continue
        elif arg[1] in "fr":
            request.sender = value_of(arg[:2], arg[2:]).strip().removeprefix("<").removesuffix(">")
        elif arg[1] in IGNORED_WITH_VALUE:
            value_of(arg[:2], arg[2:])
        elif arg.startswith("-b"):
            raise UsageError(f"{arg}: only -bm (the default) and -bs are supported")
        else:
            raise UsageError(f"unknown option {arg}")
    if smtp_addr is not None:
        try:
            request.smtp_addr = parse_host_port(smtp_addr)
        except ValueError as error:
            raise UsageError(f"--smtp-addr: {error}") from None
    return request


def read_message(stream: BinaryIO, dot_ends_message: bool) -> bytes:
    """Standard input up to its end, or (without -i) up to a line holding a single dot."""
    if not dot_ends_message:
        return stream.read()
    lines = []
    for line in stream:
        if line.rstrip(b"\r\n") == b".":
            break
        lines.append(line)
    return b"".join(lines)


def deliver(request: SendmailRequest, raw: bytes) -> int:
    recipients = list(request.recipients)
    if request.recipients_from_headers:
        known = {r.lower() for r in recipients}
        recipients += [r for r in header_recipients(raw) if r.lower() not in known]
    if not recipients:
        return fail(
            "no recipients: name them as arguments, or use -t to read the headers", os.EX_USAGE
        )
    sender = request.sender
    if sender is None:
        sender = header_sender(raw) or local_sender()
    try:
        with SmtpDelivery(request.smtp_addr) as delivery:
            refused = delivery.send(sender, recipients, with_crlf_lines(raw))
    except DeliveryError as error:
        return fail(str(error), error.status)
    if refused:
        reasons = "; ".join(f"{address}: {reply}" for address, reply in refused.items())
        return fail(
            f"some recipients were refused (the others have the message): {reasons}", os.EX_NOUSER
        )
    return 0


def relay_smtp_session(address: HostPort, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """`-bs`: the caller speaks SMTP on standard input and output, straight to the sink (its
    greeting, its replies), until either side closes."""
    try:
        connection = socket.create_connection((address.host, address.port), timeout=None)
    except OSError as error:
        stdout.write(b"421 4.3.0 mailsink sendmail: the sink is unreachable\r\n")
        stdout.flush()
        return fail(
            f"cannot reach the sink at {address}: {error.strerror or error}", os.EX_UNAVAILABLE
        )

    def client_to_sink() -> None:
        # os.read, not the buffered reader: this thread may still be blocked in it when the
        # sink has closed and the interpreter exits, and a buffered read holds a lock.
        try:
            while chunk := os.read(stdin.fileno(), RELAY_CHUNK):
                connection.sendall(chunk)
            connection.shutdown(socket.SHUT_WR)
        except OSError:  # the sink closed first: the main loop sees it
            pass

    threading.Thread(target=client_to_sink, daemon=True).start()
    with connection:
        while chunk := connection.recv(RELAY_CHUNK):
            stdout.write(chunk)
            stdout.flush()
    return 0


def fail(reason: str, status: int) -> int:
    print(f"mailsink sendmail: {reason}", file=sys.stderr)
    return status


def main(argv: Sequence[str]) -> int:
    try:
        request = parse_arguments(argv, dict(os.environ))
    except UsageError as error:
        print(USAGE, file=sys.stderr)
        return fail(str(error), os.EX_USAGE)
    if request.show_help:
        print(USAGE, end="")
        return 0
    if request.smtp_session:
        return relay_smtp_session(request.smtp_addr, sys.stdin.buffer, sys.stdout.buffer)
    try:
        raw = read_message(sys.stdin.buffer, request.dot_ends_message)
    except OSError as error:
        return fail(f"cannot read the message from standard input: {error}", os.EX_IOERR)
    return deliver(request, raw)
