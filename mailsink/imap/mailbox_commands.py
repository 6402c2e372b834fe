"""What a logged-in IMAP user does: list and open mailboxes, read, flag and expunge messages.

Each command takes the tag and the arguments, writes its untagged responses and returns the
completion ("OK …"); it raises `CommandSyntaxError` (BAD) or `CommandRefused` (NO). INBOX is
the login's mailbox; the other mailboxes are folders beside it, named on the wire in modified
UTF-7 (`mailsink.imap.utf7`).
"""

from __future__ import annotations

import asyncio
import re
from functools import partial

from mailsink.context import SinkContext
from mailsink.imap.fetch import FetchItem, fetch_response, needs_bytes, parse_fetch_items
from mailsink.imap.search import Candidate, parse_search
from mailsink.imap.selected import SelectedMailbox
from mailsink.imap.syntax import CommandRefused, CommandSyntaxError, Token, string, text_of
from mailsink.imap.utf7 import MailboxNameError, decode_mailbox_name, encode_mailbox_name
from mailsink.mailaccess.mailboxes import login_mailbox, mailbox_messages, mailbox_names
from mailsink.mailaccess.stream import LineStream, LineTooLong
from mailsink.store.base import StoredMessage

FETCH_BATCH = 200  # messages rendered per worker-thread call: bounded memory, few thread hops


class MailboxCommands:
    def __init__(self, context: SinkContext, stream: LineStream) -> None:
        self._context = context
        self._store = context.store
        self._stream = stream
        self.own_mailbox = ""  # the login's mailbox (INBOX), set at login
        self.selected: SelectedMailbox | None = None

    def _open(self) -> SelectedMailbox:
        assert self.selected is not None
        return self.selected

    async def log_in(self, user: str) -> None:
        """Find the login's own mailbox, the one INBOX shows."""
        self.own_mailbox = await asyncio.to_thread(login_mailbox, self._store, user)

    def updates(self) -> bytes:
        """Changes to report at NOOP or CHECK (nothing when no mailbox is open)."""
        return self.selected.updates() if self.selected is not None else b""

    async def _folders(self) -> dict[str, str]:
        """Folder name → mailbox: INBOX is the login's mailbox, the others keep their names."""
        own = self.own_mailbox
        names = await asyncio.to_thread(mailbox_names, self._store)
        folders = {"INBOX": own}
        folders.update((name, name) for name in names if name != own and name.upper() != "INBOX")
        return folders

    async def _mailbox(self, token: Token) -> tuple[str, str]:
        """The folder name (decoded from modified UTF-7) and the mailbox it shows."""
        wire = text_of(token)
        try:
            name = decode_mailbox_name(wire)
        except MailboxNameError as error:
            raise CommandRefused(
                f"mailbox name {wire[:100]!a} is not valid modified UTF-7: {error}"
            ) from None
        if name.upper() == "INBOX":  # no need to list every mailbox for the common case
            return "INBOX", self.own_mailbox
        folders = await self._folders()
        if name not in folders:
            raise CommandRefused(f"[NONEXISTENT] no mailbox named {wire[:100]!a}")
        return name, folders[name]

    async def select(self, tag: str, arguments: list[Token], *, read_only: bool) -> str:
        self.deselect()
        if len(arguments) != 1:
            raise CommandSyntaxError("SELECT and EXAMINE need one mailbox name")
        _, mailbox = await self._mailbox(arguments[0])
        selected = SelectedMailbox(mailbox, read_only, self._context.hub)
        selected.load(await asyncio.to_thread(mailbox_messages, self._store, mailbox))
        self.selected = selected
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

    def deselect(self) -> None:
        if self.selected is not None:
            self.selected.close()
            self.selected = None

    async def list_mailboxes(self, tag: str, arguments: list[Token], *, kind: str) -> str:
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
        for name in map(encode_mailbox_name, await self._folders()):
            # Patterns match names as sent; INBOX is INBOX in any case, others are exact.
            if re.fullmatch(wanted, name, re.IGNORECASE if name == "INBOX" else 0):
                lines.append(b'* %s (\\HasNoChildren) "/" %s\r\n' % (kind.encode(), string(name)))
        await self._stream.write(b"".join(lines))
        return f"OK {kind} completed"

    async def status(self, tag: str, arguments: list[Token]) -> str:
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
        answer = b"* STATUS %s (%s)\r\n" % (
            string(encode_mailbox_name(name)),
            " ".join(items).encode(),
        )
        await self._stream.write(answer)
        return "OK STATUS completed"

    async def namespace(self, tag: str, arguments: list[Token]) -> str:
        await self._stream.write(b'* NAMESPACE (("" "/")) NIL NIL\r\n')
        return "OK NAMESPACE completed"

    async def idle(self, tag: str, arguments: list[Token]) -> str:
        """Report changes as they happen until the client sends DONE."""
        await self._stream.write(b"+ idling\r\n")
        done_line = asyncio.ensure_future(self._stream.read_line())
        try:
            while True:
                selected = self.selected
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

    async def uid(self, tag: str, arguments: list[Token]) -> str:
        name = text_of(arguments[0]).upper() if arguments else ""
        if name == "EXPUNGE":  # sent by clients that assume UIDPLUS without asking
            raise CommandSyntaxError(
                "UID EXPUNGE is not offered (no UIDPLUS): EXPUNGE removes the messages "
                "flagged \\Deleted"
            )
        commands = {"FETCH": self.fetch, "STORE": self.store_flags, "SEARCH": self.search}
        if name not in commands:
            raise CommandSyntaxError(f"expected UID FETCH, UID STORE or UID SEARCH, got {name!r}")
        await commands[name](tag, arguments[1:], by_uid=True)
        return f"OK UID {name} completed"

    async def close(self, tag: str, arguments: list[Token]) -> str:
        selected = self._open()
        if not selected.read_only and selected.deleted:
            await asyncio.to_thread(self._store.delete, list(selected.deleted))
        self.deselect()
        return "OK CLOSE completed"

    async def unselect(self, tag: str, arguments: list[Token]) -> str:
        self.deselect()
        return "OK UNSELECT completed"

    async def expunge(self, tag: str, arguments: list[Token]) -> str:
        selected = self._open()
        if selected.read_only:
            raise CommandRefused("[READ-ONLY] the mailbox was opened with EXAMINE")
        doomed = set(selected.deleted)
        if doomed:
            await asyncio.to_thread(self._store.delete, list(doomed))
        await self._stream.write(selected.expunged(doomed) + selected.updates())
        return "OK EXPUNGE completed"

    async def fetch(self, tag: str, arguments: list[Token], *, by_uid: bool) -> str:
        if len(arguments) < 2:
            raise CommandSyntaxError("FETCH needs a sequence set and data items")
        selected = self._open()
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

    async def store_flags(self, tag: str, arguments: list[Token], *, by_uid: bool) -> str:
        if len(arguments) != 3:
            raise CommandSyntaxError("STORE needs a sequence set, FLAGS/+FLAGS/-FLAGS and flags")
        selected = self._open()
        if selected.read_only:
            raise CommandRefused("[READ-ONLY] the mailbox was opened with EXAMINE")
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

    async def search(self, tag: str, arguments: list[Token], *, by_uid: bool) -> str:
        selected = self._open()
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
