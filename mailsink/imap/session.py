"""One IMAP session: RFC 3501's states and the commands of mailsink's read-only subset.

Mail is read, never written: \\Seen maps to the store's read flag, \\Deleted is kept for the
session and EXPUNGE (or CLOSE) deletes those messages from the store; APPEND, COPY, MOVE (UID
COPY and UID MOVE too), CREATE and the other commands that would write answer `NO [CANNOT]`,
in any state and whatever the size of their literals, so a client such as Thunderbird tells
its user why. INBOX is the login's mailbox; the other mailboxes are folders beside it.

A command that cannot be read gets `BAD` with the reason, one that cannot be done `NO`; either
way the session goes on.
"""

from __future__ import annotations

import base64
import binascii
import enum
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from functools import partial

from mailsink.context import SinkContext
from mailsink.imap.mailbox_commands import MailboxCommands
from mailsink.imap.syntax import (
    LITERAL_AT_END,
    CommandRefused,
    CommandSyntaxError,
    Token,
    text_of,
    tokenize,
)
from mailsink.mailaccess.login import LoginPolicy
from mailsink.mailaccess.stream import ClientGone, LineStream, LineTooLong

log = logging.getLogger(__name__)

LITERAL_LIMIT = 64 * 1024  # nothing mailsink accepts (logins, search strings) needs more
CAPABILITIES = "IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN IDLE UNSELECT ID NAMESPACE"
WRITING_COMMANDS = frozenset(
    {"APPEND", "COPY", "MOVE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE"}
)
_TAG = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\+]+")


class LiteralTooLarge(Exception):
    """A command with a literal over `LITERAL_LIMIT`, which was not read whole."""

    def __init__(self, first_line: bytes) -> None:
        super().__init__("literal too large")
        self.first_line = first_line


def read_only_refusal(command: str) -> str:
    return f"[CANNOT] {command} is not offered: mailsink's IMAP is read-only"


def literal_too_large(command: bytes) -> str:
    """The completion for a command (after its tag) whose literal was over the limit: a
    command that would write is refused for what it is, not for its size."""
    name = command.split(b" ", 1)[0].decode("ascii", "replace").upper()
    if name in WRITING_COMMANDS:
        return f"NO {read_only_refusal(name)}"
    return f"BAD literal over {LITERAL_LIMIT} bytes"


class ImapState(enum.Enum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"


# A command: given the tag and arguments, it answers with the completion ("OK …"), or None
# when it has sent the tagged reply itself (STARTTLS).
Handler = Callable[[str, list[Token]], Awaitable[str | None]]


class ImapSession:
    def __init__(
        self,
        context: SinkContext,
        policy: LoginPolicy,
        upgrade: ssl.SSLContext | None,
        stream: LineStream,
    ) -> None:
        self._context = context
        self._store = context.store
        self._policy = policy
        self._upgrade = upgrade
        self._stream = stream
        self._authenticated = False
        self._logged_out = False
        self._mailbox = mailbox = MailboxCommands(context, stream)
        anywhere = set(ImapState) - {ImapState.LOGOUT}
        logged_in = {ImapState.AUTHENTICATED, ImapState.SELECTED}
        selected = {ImapState.SELECTED}
        not_yet = {ImapState.NOT_AUTHENTICATED}
        self._handlers: dict[str, tuple[set[ImapState], Handler]] = {
            "CAPABILITY": (anywhere, self._capability),
            "NOOP": (anywhere, self._noop),
            "LOGOUT": (anywhere, self._logout),
            "ID": (anywhere, self._id),
            "STARTTLS": (not_yet, self._starttls),
            "LOGIN": (not_yet, self._login),
            "AUTHENTICATE": (not_yet, self._authenticate),
            "SELECT": (logged_in, partial(mailbox.select, read_only=False)),
            "EXAMINE": (logged_in, partial(mailbox.select, read_only=True)),
            "LIST": (logged_in, partial(mailbox.list_mailboxes, kind="LIST")),
            "LSUB": (logged_in, partial(mailbox.list_mailboxes, kind="LSUB")),
            "STATUS": (logged_in, mailbox.status),
            "NAMESPACE": (logged_in, mailbox.namespace),
            "IDLE": (logged_in, mailbox.idle),
            "CHECK": (selected, self._noop),
            "CLOSE": (selected, mailbox.close),
            "UNSELECT": (selected, mailbox.unselect),
            "EXPUNGE": (selected, mailbox.expunge),
            "FETCH": (selected, partial(mailbox.fetch, by_uid=False)),
            "STORE": (selected, partial(mailbox.store_flags, by_uid=False)),
            "SEARCH": (selected, partial(mailbox.search, by_uid=False)),
            "UID": (selected, mailbox.uid),
        }

    @property
    def state(self) -> ImapState:
        if self._logged_out:
            return ImapState.LOGOUT
        if not self._authenticated:
            return ImapState.NOT_AUTHENTICATED
        return ImapState.SELECTED if self._mailbox.selected else ImapState.AUTHENTICATED

    async def run(self) -> None:
        try:
            await self._stream.write(
                f"* OK [CAPABILITY {self._capabilities()}] mailsink\r\n".encode()
            )
            while self.state is not ImapState.LOGOUT:
                await self._next_command()
        finally:
            self._mailbox.deselect()

    def _capabilities(self) -> str:
        if self._upgrade is not None and self.state is ImapState.NOT_AUTHENTICATED:
            return CAPABILITIES + " STARTTLS"
        return CAPABILITIES

    async def _next_command(self) -> None:
        too_large = False
        try:
            data = await self._read_command()
        except LineTooLong:
            await self._stream.write(b"* BAD line too long\r\n")
            return
        except LiteralTooLarge as error:
            data, too_large = error.first_line, True
        found = _TAG.match(data)
        if found is None or data[found.end() : found.end() + 1] != b" ":
            await self._stream.write(b"* BAD expected a tag and a command\r\n")
            return
        tag = found[0].decode()
        if too_large:
            completion = literal_too_large(data[found.end() + 1 :])
            await self._stream.write(f"{tag} {completion}\r\n".encode())
            return
        try:
            tokens = tokenize(data[found.end() + 1 :])
            if not tokens or not isinstance(tokens[0], str):
                raise CommandSyntaxError("expected a command after the tag")
            name = tokens[0].upper()
            completion = await self._dispatch(tag, name, tokens[1:])
        except CommandSyntaxError as error:
            completion = f"BAD {error}"
        except CommandRefused as error:
            completion = f"NO {error}"
        except (ClientGone, LineTooLong):
            raise
        except Exception:  # a bug answers this command, not the whole session
            log.exception("IMAP command failed: %r", data[:200])
            completion = "NO [SERVERBUG] the command failed; the server log says why"
        if completion is not None:
            await self._stream.write(f"{tag} {completion}\r\n".encode())

    async def _read_command(self) -> bytes:
        """A whole command, literals included, without its final line break. A literal over
        the limit is refused (a synchronizing one never sent, a non-synchronizing one read
        and dropped), then `LiteralTooLarge` raised with the command's first line."""
        parts: list[bytes] = []
        too_large = False
        while True:
            line = await self._stream.read_line()
            parts.append(line)
            literal = LITERAL_AT_END.search(line)
            if literal is None:
                break
            size, synchronizing = int(literal[1]), not literal[2]
            if size > LITERAL_LIMIT:
                too_large = True
                if synchronizing:
                    break
                while size:
                    size -= len(await self._stream.read_exactly(min(size, 65536)))
                continue
            if synchronizing:
                await self._stream.write(b"+ go ahead\r\n")
            parts.append(await self._stream.read_exactly(size))
        if too_large:
            raise LiteralTooLarge(parts[0])
        return b"".join(parts).removesuffix(b"\n").removesuffix(b"\r")

    async def _dispatch(self, tag: str, name: str, arguments: list[Token]) -> str | None:
        if name in WRITING_COMMANDS:
            raise CommandRefused(read_only_refusal(name))
        if (
            name == "UID"
            and arguments
            and (sub := text_of(arguments[0]).upper()) in WRITING_COMMANDS
        ):
            raise CommandRefused(read_only_refusal(f"UID {sub}"))
        entry = self._handlers.get(name)
        if entry is None:
            raise CommandSyntaxError(f"unknown command {name[:40]!r}")
        states, handler = entry
        if self.state not in states:
            need = "log in first" if self.state is ImapState.NOT_AUTHENTICATED else "not now"
            if ImapState.SELECTED in states and ImapState.AUTHENTICATED not in states:
                need = "select a mailbox first"
            raise CommandSyntaxError(
                f"{name} is not allowed in the {self.state.value} state: {need}"
            )
        return await handler(tag, arguments)

    # --- any state ---------------------------------------------------------------------------

    async def _capability(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(f"* CAPABILITY {self._capabilities()}\r\n".encode())
        return "OK CAPABILITY completed"

    async def _noop(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(self._mailbox.updates())
        return "OK done"

    async def _logout(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(b"* BYE mailsink logging out\r\n")
        self._logged_out = True
        return "OK LOGOUT completed"

    async def _id(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(b'* ID ("name" "mailsink")\r\n')
        return "OK ID completed"

    # --- not authenticated -------------------------------------------------------------------

    async def _starttls(self, tag: str, arguments: list[Token]) -> None:
        if self._upgrade is None:
            raise CommandRefused(
                "STARTTLS is not offered: already encrypted, or no certificate is set"
            )
        if self._stream.pipelined_before_tls():
            raise CommandSyntaxError("nothing may follow STARTTLS before the TLS handshake")
        await self._stream.write(f"{tag} OK begin TLS negotiation now\r\n".encode())
        await self._stream.start_tls(self._upgrade)
        self._upgrade = None

    async def _login(self, tag: str, arguments: list[Token]) -> str:
        if len(arguments) != 2:
            raise CommandSyntaxError("LOGIN needs a username and a password")
        return await self._log_in(text_of(arguments[0]), text_of(arguments[1]))

    async def _authenticate(self, tag: str, arguments: list[Token]) -> str:
        if not arguments or text_of(arguments[0]).upper() != "PLAIN":
            raise CommandRefused("only AUTHENTICATE PLAIN is offered")
        if len(arguments) > 1:
            response = text_of(arguments[1]).encode()
        else:
            await self._stream.write(b"+ \r\n")
            response = (await self._stream.read_line()).strip()
        if response == b"*":
            raise CommandSyntaxError("AUTHENTICATE cancelled")
        try:
            _authzid, user, password = base64.b64decode(response, validate=True).split(b"\0")
        except (binascii.Error, ValueError):
            raise CommandSyntaxError("expected base64 of authzid NUL user NUL password") from None
        return await self._log_in(
            user.decode("utf-8", "replace"), password.decode("utf-8", "replace")
        )

    async def _log_in(self, user: str, password: str) -> str:
        if not await self._policy.check(user, password):
            raise CommandRefused(f"[AUTHENTICATIONFAILED] {self._policy.refusal}")
        await self._mailbox.log_in(user)
        self._authenticated = True
        return f"OK [CAPABILITY {self._capabilities()}] logged in"
