"""One POP3 session: the AUTHORIZATION and TRANSACTION states of RFC 1939, plus CAPA and STLS.

Replies follow RFC 1939 and RFC 2449's response codes (`-ERR [AUTH] …` for a refused login,
`-ERR [SYS/TEMP] …` when the store fails). A command that is unknown, malformed or out of place
gets `-ERR` with the reason, and the session goes on.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import ssl
from collections.abc import Awaitable, Callable

from mailsink.context import SinkContext
from mailsink.mailaccess.login import LoginPolicy
from mailsink.mailaccess.mailboxes import login_mailbox, mailbox_messages
from mailsink.mailaccess.stream import LineStream, LineTooLong
from mailsink.pop3.maildrop import Maildrop, NoSuchMessage, multiline, top

log = logging.getLogger(__name__)


class Pop3State(enum.Enum):
    AUTHORIZATION = "authorization"
    TRANSACTION = "transaction"
    DONE = "done"  # QUIT answered: the connection closes


class Pop3Error(Exception):
    """A command refused: the text follows `-ERR `."""


Command = Callable[[str], Awaitable[bytes]]


class Pop3Session:
    def __init__(
        self,
        context: SinkContext,
        policy: LoginPolicy,
        upgrade: ssl.SSLContext | None,
        stream: LineStream,
    ) -> None:
        self._context = context
        self._policy = policy
        self._upgrade = upgrade
        self._stream = stream
        self.state = Pop3State.AUTHORIZATION
        self._user: str | None = None
        self._maildrop = Maildrop([])
        self._commands: dict[Pop3State, dict[str, Command]] = {
            Pop3State.AUTHORIZATION: {
                "CAPA": self._capa,
                "USER": self._user_command,
                "PASS": self._pass,
                "STLS": self._stls,
                "QUIT": self._quit,
                "NOOP": self._noop,
            },
            Pop3State.TRANSACTION: {
                "CAPA": self._capa,
                "STAT": self._stat,
                "LIST": self._list,
                "UIDL": self._uidl,
                "RETR": self._retr,
                "TOP": self._top,
                "DELE": self._dele,
                "RSET": self._rset,
                "NOOP": self._noop,
                "QUIT": self._quit,
            },
        }

    async def run(self) -> None:
        await self._stream.write(b"+OK mailsink POP3 server ready\r\n")
        while self.state is not Pop3State.DONE:
            try:
                line = await self._stream.read_line()
            except LineTooLong:
                await self._stream.write(b"-ERR line too long\r\n")
                continue
            name, _, argument = line.rstrip(b"\r\n").decode("utf-8", "replace").partition(" ")
            reply = await self._dispatch(name.upper(), argument)
            await self._stream.write(reply)
            if name.upper() == "STLS" and reply.startswith(b"+OK") and self._upgrade:
                await self._stream.start_tls(self._upgrade)
                self._upgrade = None  # encrypted now: STLS is neither offered nor accepted

    async def _dispatch(self, name: str, argument: str) -> bytes:
        command = self._commands[self.state].get(name)
        if command is None:
            known = any(name in commands for commands in self._commands.values())
            if known:
                return f"-ERR {name} is not allowed in the {self.state.value} state\r\n".encode()
            return f"-ERR unknown command {name[:40]!r}\r\n".encode()
        try:
            return await command(argument)
        except (Pop3Error, NoSuchMessage) as error:
            return f"-ERR {error}\r\n".encode()
        except Exception:
            log.exception("POP3 %s failed", name)
            return f"-ERR [SYS/TEMP] {name} failed in the store; try again\r\n".encode()

    async def _capa(self, argument: str) -> bytes:
        capabilities = ["TOP", "UIDL", "USER", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
        if self._upgrade is not None and self.state is Pop3State.AUTHORIZATION:
            capabilities.append("STLS")
        capabilities.append("IMPLEMENTATION mailsink")
        return b"+OK capability list follows\r\n" + multiline("\r\n".join(capabilities).encode())

    async def _noop(self, argument: str) -> bytes:
        return b"+OK\r\n"

    async def _user_command(self, argument: str) -> bytes:
        if not argument.strip():
            raise Pop3Error("USER needs a name")
        self._user = argument.strip()
        return b"+OK send PASS\r\n"

    async def _pass(self, argument: str) -> bytes:
        user, self._user = self._user, None
        if user is None:
            raise Pop3Error("PASS must follow USER")
        if not await self._policy.check(user, argument):
            raise Pop3Error(f"[AUTH] {self._policy.refusal}")
        store = self._context.store
        messages = await asyncio.to_thread(
            lambda: mailbox_messages(store, login_mailbox(store, user))
        )
        self._maildrop = Maildrop(messages)
        self.state = Pop3State.TRANSACTION
        return f"+OK {len(messages)} message(s) for {user}\r\n".encode()

    async def _stls(self, argument: str) -> bytes:
        if self._upgrade is None:
            raise Pop3Error("STLS is not offered: already encrypted, or no certificate is set")
        if self._stream.pipelined_before_tls():
            raise Pop3Error("nothing may follow STLS before the TLS handshake")
        return b"+OK begin TLS negotiation\r\n"

    async def _stat(self, argument: str) -> bytes:
        listed = self._maildrop.listed()
        return f"+OK {len(listed)} {sum(m.size for _, m in listed)}\r\n".encode()

    async def _list(self, argument: str) -> bytes:
        if argument:
            number, message = self._maildrop.message(argument)
            return f"+OK {number} {message.size}\r\n".encode()
        listed = self._maildrop.listed()
        lines = "".join(f"{number} {message.size}\r\n" for number, message in listed)
        return f"+OK {len(listed)} message(s)\r\n".encode() + multiline(lines.encode())

    async def _uidl(self, argument: str) -> bytes:
        if argument:
            number, message = self._maildrop.message(argument)
            return f"+OK {number} {message.id}\r\n".encode()
        lines = "".join(f"{number} {message.id}\r\n" for number, message in self._maildrop.listed())
        return b"+OK unique-id listing follows\r\n" + multiline(lines.encode())

    async def _raw(self, argument: str) -> bytes:
        _, message = self._maildrop.message(argument)
        raw = await asyncio.to_thread(self._context.store.raw, message.id)
        if raw is None:
            raise Pop3Error(f"message {argument} was deleted meanwhile")
        return raw

    async def _retr(self, argument: str) -> bytes:
        raw = await self._raw(argument.strip())
        return f"+OK {len(raw)} octets\r\n".encode() + multiline(raw)

    async def _top(self, argument: str) -> bytes:
        number, _, lines = argument.strip().partition(" ")
        if not (lines.strip().isascii() and lines.strip().isdigit()):
            raise Pop3Error(f"TOP needs a message number and a line count, got {argument!r}")
        raw = await self._raw(number)
        return b"+OK top of message follows\r\n" + multiline(top(raw, int(lines)))

    async def _dele(self, argument: str) -> bytes:
        number, _ = self._maildrop.message(argument.strip())
        self._maildrop.deleted.add(number)
        return f"+OK message {number} deleted\r\n".encode()

    async def _rset(self, argument: str) -> bytes:
        self._maildrop.deleted.clear()
        return f"+OK {len(self._maildrop.messages)} message(s)\r\n".encode()

    async def _quit(self, argument: str) -> bytes:
        self.state, entered = Pop3State.DONE, self.state
        if entered is Pop3State.TRANSACTION and self._maildrop.deleted:
            ids = self._maildrop.deleted_ids()
            try:
                deleted = await asyncio.to_thread(self._context.store.delete, ids)
            except Exception:
                log.exception("POP3 QUIT could not delete %d message(s)", len(ids))
                return b"-ERR [SYS/TEMP] the marked messages could not be deleted\r\n"
            self._context.stats.messages_deleted += len(deleted)
            return f"+OK mailsink signing off ({len(deleted)} message(s) deleted)\r\n".encode()
        return b"+OK mailsink signing off\r\n"
