"""One IMAP session: RFC 3501's states and the commands of mailsink's read-only subset.

Mail is read, never written: \\Seen maps to the store's read flag, \\Deleted is kept for the
session and EXPUNGE (or CLOSE) deletes those messages from the store; APPEND, COPY, CREATE and
the other commands that would write answer `NO [CANNOT]`. INBOX is the login's mailbox; the
other mailboxes are folders beside it.

A command that cannot be read gets `BAD` with the reason, one that cannot be done `NO`; either
way the session goes on.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import enum
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from functools import partial

from mailsink.context import SinkContext
from mailsink.imap.fetch import FetchItem, fetch_response, needs_bytes, parse_fetch_items
from mailsink.imap.search import Candidate, parse_search
from mailsink.imap.selected import SelectedMailbox
from mailsink.imap.syntax import (
    LITERAL_AT_END,
    CommandSyntaxError,
    Token,
    string,
    text_of,
    tokenize,
)
from mailsink.mailaccess.login import LoginPolicy
from mailsink.mailaccess.mailboxes import login_mailbox, mailbox_messages, mailbox_names
from mailsink.mailaccess.stream import ClientGone, LineStream, LineTooLong
from mailsink.store.base import StoredMessage

log = logging.getLogger(__name__)

LITERAL_LIMIT = 64 * 1024  # nothing mailsink accepts (logins, search strings) needs more
FETCH_BATCH = 200  # messages rendered per worker-thread call: bounded memory, few thread hops
CAPABILITIES = "IMAP4rev1 LITERAL+ SASL-IR AUTH=PLAIN IDLE UNSELECT ID NAMESPACE"
WRITING_COMMANDS = frozenset(
    {"APPEND", "COPY", "MOVE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE"}
)
_TAG = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\+]+")


class ImapState(enum.Enum):
    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"


class ImapNo(Exception):
    """A command that cannot be done: answered `NO` with this text."""


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
        self.state = ImapState.NOT_AUTHENTICATED
        self._user = ""
        self._selected: SelectedMailbox | None = None
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
            "SELECT": (logged_in, partial(self._select, read_only=False)),
            "EXAMINE": (logged_in, partial(self._select, read_only=True)),
            "LIST": (logged_in, partial(self._list, kind="LIST")),
            "LSUB": (logged_in, partial(self._list, kind="LSUB")),
            "STATUS": (logged_in, self._status),
            "NAMESPACE": (logged_in, self._namespace),
            "IDLE": (logged_in, self._idle),
            "CHECK": (selected, self._noop),
            "CLOSE": (selected, self._close),
            "UNSELECT": (selected, self._unselect),
            "EXPUNGE": (selected, self._expunge),
            "FETCH": (selected, partial(self._fetch, by_uid=False)),
            "STORE": (selected, partial(self._store_flags, by_uid=False)),
            "SEARCH": (selected, partial(self._search, by_uid=False)),
            "UID": (selected, self._uid),
        }

    async def run(self) -> None:
        try:
            await self._stream.write(
                f"* OK [CAPABILITY {self._capabilities()}] mailsink\r\n".encode()
            )
            while self.state is not ImapState.LOGOUT:
                await self._next_command()
        finally:
            self._deselect()

    def _capabilities(self) -> str:
        if self._upgrade is not None and self.state is ImapState.NOT_AUTHENTICATED:
            return CAPABILITIES + " STARTTLS"
        return CAPABILITIES

    async def _next_command(self) -> None:
        try:
            data = await self._read_command()
        except LineTooLong:
            await self._stream.write(b"* BAD line too long\r\n")
            return
        found = _TAG.match(data)
        if found is None or data[found.end() : found.end() + 1] != b" ":
            await self._stream.write(b"* BAD expected a tag and a command\r\n")
            return
        tag = found[0].decode()
        if data.startswith(b"{too-large}", found.end() + 1):
            await self._stream.write(f"{tag} BAD literal over {LITERAL_LIMIT} bytes\r\n".encode())
            return
        try:
            tokens = tokenize(data[found.end() + 1 :])
            if not tokens or not isinstance(tokens[0], str):
                raise CommandSyntaxError("expected a command after the tag")
            name = tokens[0].upper()
            completion = await self._dispatch(tag, name, tokens[1:])
        except CommandSyntaxError as error:
            completion = f"BAD {error}"
        except ImapNo as error:
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
        and dropped); the command is then replaced by a marker the caller answers with BAD."""
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
            return parts[0].split(b" ", 1)[0] + b" {too-large}"
        return b"".join(parts).removesuffix(b"\n").removesuffix(b"\r")

    async def _dispatch(self, tag: str, name: str, arguments: list[Token]) -> str | None:
        if name in WRITING_COMMANDS:
            raise ImapNo(f"[CANNOT] {name} is not offered: mailsink's IMAP is read-only")
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

    def _selected_mailbox(self) -> SelectedMailbox:
        assert self._selected is not None
        return self._selected

    # --- any state ---------------------------------------------------------------------------

    async def _capability(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(f"* CAPABILITY {self._capabilities()}\r\n".encode())
        return "OK CAPABILITY completed"

    async def _noop(self, tag: str, arguments: list[Token]) -> str:
        if self._selected is not None:
            await self._stream.write(self._selected.updates())
        return "OK done"

    async def _logout(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(b"* BYE mailsink logging out\r\n")
        self.state = ImapState.LOGOUT
        return "OK LOGOUT completed"

    async def _id(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(b'* ID ("name" "mailsink")\r\n')
        return "OK ID completed"

    # --- not authenticated -------------------------------------------------------------------

    async def _starttls(self, tag: str, arguments: list[Token]) -> None:
        if self._upgrade is None:
            raise ImapNo("STARTTLS is not offered: already encrypted, or no certificate is set")
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
            raise ImapNo("only AUTHENTICATE PLAIN is offered")
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
            raise ImapNo(f"[AUTHENTICATIONFAILED] {self._policy.refusal}")
        self._user = user
        self.state = ImapState.AUTHENTICATED
        return f"OK [CAPABILITY {self._capabilities()}] logged in"

    # --- authenticated -----------------------------------------------------------------------

    async def _folders(self) -> dict[str, str]:
        """Folder name → mailbox: INBOX is the login's mailbox, the others keep their names."""
        own = login_mailbox(self._user)
        names = await asyncio.to_thread(mailbox_names, self._store)
        folders = {"INBOX": own}
        folders.update((name, name) for name in names if name != own and name.upper() != "INBOX")
        return folders

    async def _mailbox(self, token: Token) -> tuple[str, str]:
        name = text_of(token)
        if name.upper() == "INBOX":
            name = "INBOX"
        folders = await self._folders()
        if name not in folders:
            raise ImapNo(f"[NONEXISTENT] no mailbox named {name[:100]!r}")
        return name, folders[name]

    async def _select(self, tag: str, arguments: list[Token], *, read_only: bool) -> str:
        self._deselect()
        if len(arguments) != 1:
            raise CommandSyntaxError("SELECT and EXAMINE need one mailbox name")
        _, mailbox = await self._mailbox(arguments[0])
        selected = SelectedMailbox(mailbox, read_only, self._context.hub)
        selected.load(await asyncio.to_thread(mailbox_messages, self._store, mailbox))
        self._selected, self.state = selected, ImapState.SELECTED
        permanent = b"" if read_only else b"\\Seen \\Deleted"
        lines = [
            b"* FLAGS (\\Seen \\Deleted)\r\n",
            b"* %d EXISTS\r\n" % len(selected.messages),
            b"* 0 RECENT\r\n",
            b"* OK [PERMANENTFLAGS (%s)] flags kept\r\n" % permanent,
            b"* OK [UIDVALIDITY %d] UIDs valid\r\n" % self._context.seq_epoch,
            b"* OK [UIDNEXT %d] predicted next UID\r\n" % selected.uid_next,
        ]
        unseen = selected.first_unseen()
        if unseen is not None:
            lines.append(b"* OK [UNSEEN %d] first unseen\r\n" % unseen)
        await self._stream.write(b"".join(lines))
        return (
            "OK [READ-ONLY] EXAMINE completed" if read_only else "OK [READ-WRITE] SELECT completed"
        )

    def _deselect(self) -> None:
        if self._selected is not None:
            self._selected.close()
            self._selected = None
        if self.state is ImapState.SELECTED:
            self.state = ImapState.AUTHENTICATED

    async def _list(self, tag: str, arguments: list[Token], *, kind: str) -> str:
        """LIST and LSUB alike: every folder counts as subscribed."""
        if len(arguments) != 2:
            raise CommandSyntaxError(f"{kind} needs a reference and a mailbox pattern")
        reference, pattern = text_of(arguments[0]), text_of(arguments[1])
        if not pattern:
            await self._stream.write(f'* {kind} (\\Noselect) "/" ""\r\n'.encode())
            return f"OK {kind} completed"
        wanted = "".join(
            ".*" if c == "*" else "[^/]*" if c == "%" else re.escape(c) for c in reference + pattern
        )
        lines = []
        for name in await self._folders():
            # INBOX is INBOX in any case; other names are matched as they are.
            if re.fullmatch(wanted, name, re.IGNORECASE if name == "INBOX" else 0):
                lines.append(b'* %s (\\HasNoChildren) "/" %s\r\n' % (kind.encode(), string(name)))
        await self._stream.write(b"".join(lines))
        return f"OK {kind} completed"

    async def _status(self, tag: str, arguments: list[Token]) -> str:
        if len(arguments) != 2 or not isinstance(arguments[1], list):
            raise CommandSyntaxError("STATUS needs a mailbox name and a list of items")
        name, mailbox = await self._mailbox(arguments[0])
        messages = await asyncio.to_thread(mailbox_messages, self._store, mailbox)
        values = {
            "MESSAGES": len(messages),
            "RECENT": 0,
            "UIDNEXT": (messages[-1].seq if messages else 0) + 1,
            "UIDVALIDITY": self._context.seq_epoch,
            "UNSEEN": sum(not m.read for m in messages),
        }
        items = []
        for item in arguments[1]:
            key = text_of(item).upper()
            if key not in values:
                raise CommandSyntaxError(f"unknown STATUS item {key[:40]!r}")
            items.append(f"{key} {values[key]}")
        await self._stream.write(b"* STATUS %s (%s)\r\n" % (string(name), " ".join(items).encode()))
        return "OK STATUS completed"

    async def _namespace(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(b'* NAMESPACE (("" "/")) NIL NIL\r\n')
        return "OK NAMESPACE completed"

    async def _idle(self, tag: str, arguments: list[Token]) -> str:
        """Report changes as they happen until the client sends DONE."""
        await self._stream.write(b"+ idling\r\n")
        done_line = asyncio.ensure_future(self._stream.read_line())
        try:
            while True:
                selected = self._selected
                if selected is not None:
                    await self._stream.write(selected.updates())
                    changed = asyncio.ensure_future(selected.changed.wait())
                    await asyncio.wait({done_line, changed}, return_when=asyncio.FIRST_COMPLETED)
                    changed.cancel()
                else:
                    await asyncio.wait({done_line})
                if done_line.done():
                    break
        finally:
            done_line.cancel()
        try:
            line = done_line.result()
        except LineTooLong:
            raise CommandSyntaxError("line too long; IDLE ended") from None
        if line.strip().upper() != b"DONE":
            raise CommandSyntaxError("expected DONE to end IDLE")
        return "OK IDLE terminated"

    # --- selected ----------------------------------------------------------------------------

    async def _uid(self, tag: str, arguments: list[Token]) -> str:
        name = text_of(arguments[0]).upper() if arguments else ""
        commands = {"FETCH": self._fetch, "STORE": self._store_flags, "SEARCH": self._search}
        if name not in commands:
            raise CommandSyntaxError(f"expected UID FETCH, UID STORE or UID SEARCH, got {name!r}")
        await commands[name](tag, arguments[1:], by_uid=True)
        return f"OK UID {name} completed"

    async def _close(self, tag: str, arguments: list[Token]) -> str:
        selected = self._selected_mailbox()
        if not selected.read_only and selected.deleted:
            await asyncio.to_thread(self._store.delete, list(selected.deleted))
        self._deselect()
        return "OK CLOSE completed"

    async def _unselect(self, tag: str, arguments: list[Token]) -> str:
        self._deselect()
        return "OK UNSELECT completed"

    async def _expunge(self, tag: str, arguments: list[Token]) -> str:
        selected = self._selected_mailbox()
        if selected.read_only:
            raise ImapNo("[READ-ONLY] the mailbox was opened with EXAMINE")
        doomed = set(selected.deleted)
        if doomed:
            await asyncio.to_thread(self._store.delete, list(doomed))
        await self._stream.write(selected.expunged(doomed) + selected.updates())
        return "OK EXPUNGE completed"

    async def _fetch(self, tag: str, arguments: list[Token], *, by_uid: bool) -> str:
        if len(arguments) < 2:
            raise CommandSyntaxError("FETCH needs a sequence set and data items")
        selected = self._selected_mailbox()
        chosen = selected.chosen(text_of(arguments[0]), by_uid)
        items = parse_fetch_items(arguments[1] if len(arguments) == 2 else arguments[1:])
        if by_uid and not any(item.name == "UID" for item in items):
            items.insert(0, FetchItem("UID"))
        if any(item.sets_seen for item in items) and not selected.read_only:
            unseen = [m.id for _, m in chosen if not selected.seen[m.id]]
            if unseen:
                await asyncio.to_thread(self._store.set_read, unseen, True)
                selected.seen.update(dict.fromkeys(unseen, True))
                if not any(item.name == "FLAGS" for item in items):
                    items.append(FetchItem("FLAGS"))
        for start in range(0, len(chosen), FETCH_BATCH):
            batch = [(n, m, selected.flags(m)) for n, m in chosen[start : start + FETCH_BATCH]]
            await self._stream.write(await asyncio.to_thread(self._render, batch, items))
        return "OK FETCH completed"

    def _render(
        self, batch: list[tuple[int, StoredMessage, bytes]], items: list[FetchItem]
    ) -> bytes:
        """FETCH responses for a batch, in a worker thread (reads bytes, parses MIME). A message
        deleted meanwhile is left out."""
        with_bytes = needs_bytes(items)
        out = []
        for number, message, flags in batch:
            raw = self._store.raw(message.id) if with_bytes else None
            if with_bytes and raw is None:
                continue
            out.append(fetch_response(number, message, flags, raw, items))
        return b"".join(out)

    async def _store_flags(self, tag: str, arguments: list[Token], *, by_uid: bool) -> str:
        if len(arguments) != 3:
            raise CommandSyntaxError("STORE needs a sequence set, FLAGS/+FLAGS/-FLAGS and flags")
        selected = self._selected_mailbox()
        if selected.read_only:
            raise ImapNo("[READ-ONLY] the mailbox was opened with EXAMINE")
        chosen = selected.chosen(text_of(arguments[0]), by_uid)
        action = text_of(arguments[1]).upper()
        silent = action.endswith(".SILENT")
        mode = action.removesuffix(".SILENT")
        if mode not in ("FLAGS", "+FLAGS", "-FLAGS"):
            raise CommandSyntaxError(f"expected FLAGS, +FLAGS or -FLAGS, got {action!r}")
        given = arguments[2] if isinstance(arguments[2], list) else [arguments[2]]
        flags = {text_of(flag).lower() for flag in given}  # others than these two are ignored
        ids = [m.id for _, m in chosen]
        for flag, present in (("\\Seen", "\\seen" in flags), ("\\Deleted", "\\deleted" in flags)):
            if mode == "FLAGS" or present:
                value = present if mode != "-FLAGS" else False
                await self._set_flag(selected, flag, ids, value)
        if not silent:
            lines = []
            for number, message in chosen:
                uid = b" UID %d" % message.seq if by_uid else b""
                lines.append(
                    b"* %d FETCH (FLAGS %s%s)\r\n" % (number, selected.flags(message), uid)
                )
            await self._stream.write(b"".join(lines))
        return "OK STORE completed"

    async def _set_flag(
        self, selected: SelectedMailbox, flag: str, ids: list[str], on: bool
    ) -> None:
        if flag == "\\Deleted":
            if on:
                selected.deleted.update(ids)
            else:
                selected.deleted.difference_update(ids)
            return
        changing = [i for i in ids if selected.seen[i] != on]
        if changing:
            await asyncio.to_thread(self._store.set_read, changing, on)
            selected.seen.update(dict.fromkeys(changing, on))

    async def _search(self, tag: str, arguments: list[Token], *, by_uid: bool) -> str:
        selected = self._selected_mailbox()
        predicate = parse_search(arguments, len(selected.messages), selected.largest_uid)
        candidates = [
            Candidate(
                n, m, selected.seen[m.id], m.id in selected.deleted, partial(self._store.raw, m.id)
            )
            for n, m in enumerate(selected.messages, start=1)
        ]
        found = await asyncio.to_thread(lambda: [c for c in candidates if predicate(c)])
        numbers = [str(c.message.seq if by_uid else c.number) for c in found]
        await self._stream.write(("* SEARCH " + " ".join(numbers)).rstrip().encode() + b"\r\n")
        return "OK SEARCH completed"
