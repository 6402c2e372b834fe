"""One SMTP connection: aiosmtpd's protocol with mailsink's DATA reader, AUTH, limits and replies.

aiosmtpd 1.4.6 parses commands and runs STARTTLS; this subclass replaces what mailsink needs to
behave differently (docs/interface.md, SMTP):
- DATA is read by `mailsink.smtp.data` in large chunks, and each message goes through
  `Ingest.deliver` before its `250`;
- MAIL and RCPT refuse what Postfix refuses (`envelope_syntax`: bad paths and parameters, and
  non-ASCII addresses without SMTPUTF8) and record every parameter they accept, DSN's included
  (aiosmtpd answers 555 to those);
- on the implicit-TLS listener the session counts as TLS (aiosmtpd neither offers AUTH there nor
  records TLS: upstream issues #274/#281);
- AUTH is offered on plain connections too, without aiosmtpd's "AUTH required without TLS"
  warning on every connection: AUTH is never required through aiosmtpd, only by `check_auth_needed`;
- every reply carries an enhanced status code, the idle timeout answers `421` before closing;
- the idle timer is pushed back, not replaced, on each command, and aiosmtpd's per-command
  log lines are not built when their level is off (`_quiet_sanitized_log`): both cost time on
  every command of every session.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import re
import secrets
import ssl
import time
from base64 import b64decode
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

import aiosmtpd.smtp
from aiosmtpd.smtp import SMTP, AuthResult, Session, syntax
from aiosmtpd.smtp import Envelope as AiosmtpdEnvelope

from mailsink.context import ListenAddress, SinkContext
from mailsink.events import Change, ChangeKind, SmtpIncident
from mailsink.message.envelope import Envelope, Recipient
from mailsink.message.spool import as_bytes
from mailsink.message.standards import line_problems
from mailsink.smtp.auth import MECHANISMS, Credentials
from mailsink.smtp.data import DataCollector, ReceivedData, take_buffered
from mailsink.smtp.envelope_syntax import (
    MAIL_PARAMETERS,
    RCPT_PARAMETERS,
    RECIPIENT,
    SENDER,
    EnvelopeSyntaxError,
    PathKind,
    ValueCheck,
    bad_path,
    check_path,
    parse_parameters,
    shown,
    unicode_refusal,
)
from mailsink.smtp.replies import with_enhanced_code
from mailsink.stats import Refusal
from mailsink.tls import tls_facts

log = logging.getLogger(__name__)

# The StreamReader's limit, for command lines (DATA does not go through the StreamReader: see
# `mailsink.smtp.data`); the transport pauses at twice this much unread input.
READ_CHUNK = 256 * 1024


@dataclass(slots=True)
class SessionPool:
    """What every session of one `SmtpService` shares, and the sessions currently connected."""

    context: SinkContext
    credentials: Credentials
    starttls: ssl.SSLContext | None
    active: set[SmtpSession] = field(default_factory=set)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)  # every session's handler task
    # Set whenever a session ends a transaction or disconnects; `SmtpService.stop` waits on it.
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def report(self, peer: Any, reason: str, cause: Refusal) -> None:
        """Count a refused client (by `cause`) and publish why (Mailpit's `error` event)."""
        self.context.stats.smtp_rejected += 1
        self.context.stats.smtp_refusals[cause] += 1
        incident = SmtpIncident(level="error", type="smtpd", ip=peer_host(peer), message=reason)
        self.context.hub.publish(Change(ChangeKind.ERROR, error=incident))

    def busy(self) -> list[SmtpSession]:
        """Sessions in the middle of a transaction (between MAIL and the reply to DATA)."""
        return [s for s in self.active if s.in_transaction()]


class _Transaction(AiosmtpdEnvelope):
    """aiosmtpd's envelope, with each parameter kept as sent and each recipient's own."""

    def __init__(self) -> None:
        super().__init__()
        self.mail_params: dict[str, str] = {}
        self.recipients: list[Recipient] = []


class _QuietSession(Session):
    # aiosmtpd's smtp_AUTH sets the deprecated `login_data`, whose property logs a warning on
    # every AUTH; a plain attribute takes its place.
    login_data: Any = None


_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
_sanitized_log = aiosmtpd.smtp.sanitized_log


def _quiet_sanitized_log(log_call: Any, message: str, *args: Any, **kwargs: Any) -> None:
    """aiosmtpd's `sanitized_log`, skipped when the logger would drop the line anyway: it
    sanitizes its arguments first, twice for every command line."""
    logger = getattr(log_call, "__self__", None)
    level = _LEVELS.get(getattr(log_call, "__name__", ""))
    if isinstance(logger, logging.Logger) and level is not None and not logger.isEnabledFor(level):
        return
    _sanitized_log(log_call, message, *args, **kwargs)


aiosmtpd.smtp.sanitized_log = _quiet_sanitized_log  # same lines logged, less work when off

# What `SmtpSession.__dir__` lists, per class.
_PREFIXED_NAMES: dict[type, list[str]] = {}

# The common MAIL/RCPT argument, `<local@domain>` with dot-atoms only (then any parameters): read
# without aiosmtpd's `_getaddr`, which builds a class and runs the email header parser per call,
# and without `check_path`, since nothing it refuses can match.
_PLAIN_ADDRESS = re.compile(
    r"<([A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(?:[ \t]++(?!\()|\Z)"  # a comment: the parser's job
)


class SmtpSession(SMTP):
    command_size_limit = 2048  # RFC 5321's 512 is too tight for SMTPUTF8 addresses + DSN
    # aiosmtpd keeps per-command limits in a class-level dict; this class has its own.
    command_size_limits: ClassVar[collections.defaultdict[str, int]] = collections.defaultdict(
        lambda: SmtpSession.command_size_limit
    )
    line_length_limit = READ_CHUNK  # aiosmtpd gives this to the StreamReader as its limit

    def __init__(self, pool: SessionPool, *, implicit_tls: bool) -> None:
        self._pool = pool
        self._config = pool.context.config
        self._implicit_tls = implicit_tls
        self._idle_deadline = 0.0  # loop time after which the idle timeout closes the session
        self._listener_kind = "SMTPS" if implicit_tls else "SMTP"
        self._listener: ListenAddress | None = None  # the local address, for mailbox rules
        self._collector: DataCollector | None = None  # set while DATA is being received
        self._data_done: asyncio.Future[bytes] | None = None
        super().__init__(
            handler=None,
            data_size_limit=self._config.smtp_max_size or None,
            enable_SMTPUTF8=True,
            hostname=self._config.smtp_hostname,
            ident="ESMTP mailsink",
            # STARTTLS is not offered on a connection that is TLS from its first byte.
            tls_context=None if implicit_tls else pool.starttls,
            timeout=self._config.smtp_timeout,
            auth_require_tls=False,
            auth_exclude_mechanism=[m for m in MECHANISMS if m not in pool.credentials.mechanisms],
        )

    def __dir__(self) -> list[str]:
        """Only the names aiosmtpd's constructor looks up by prefix (auth_, smtp_, handle_).

        aiosmtpd 1.4.6 builds its method tables on every connection with `inspect.getmembers`
        and `dir` over the whole instance, a large part of a short connection's time."""
        names = _PREFIXED_NAMES.get(type(self))
        if names is None:
            everything = object.__dir__(self)
            names = [n for n in everything if n.startswith(("auth_", "smtp_", "handle_"))]
            _PREFIXED_NAMES[type(self)] = names
        return names

    # Connection life

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # STARTTLS calls this again for the TLS layer
        super().connection_made(transport)
        stats = self._pool.context.stats
        if first:
            stats.smtp_sessions += 1
        if not first or self._implicit_tls:
            stats.smtp_tls_sessions += 1
        if first:
            local = transport.get_extra_info("sockname")
            if isinstance(local, tuple):
                self._listener = ListenAddress(self._listener_kind, local[0], local[1])
        if first and self._handler_coroutine is not None:
            self._pool.active.add(self)
            self._pool.tasks.add(self._handler_coroutine)
            self._handler_coroutine.add_done_callback(self._pool.tasks.discard)

    def connection_lost(self, error: Exception | None) -> None:
        if self._collector is not None:
            self._end_data(None)
        super().connection_lost(error)
        self._pool.active.discard(self)
        self._pool.changed.set()

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    def _create_envelope(self) -> _Transaction:
        return _Transaction()

    def _set_post_data_state(self) -> None:
        super()._set_post_data_state()
        self._pool.changed.set()

    def in_transaction(self) -> bool:
        return isinstance(self.envelope, _Transaction) and self.envelope.mail_from is not None

    def shut_down(self) -> None:
        """Tell the client the server is stopping, then close (the handler task is cancelled)."""
        if self.transport is not None and not self.transport.is_closing():
            self._writer.write(f"421 4.3.2 {self.hostname} Service shutting down\r\n".encode())
            self.transport.close()

    def abort(self) -> None:
        """Drop the connection at once (a client that does not read its `421`)."""
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self._pool.context.ingest.input_arrived()
        collector = self._collector
        if collector is None:
            super().data_received(data)
            return
        self._reset_timeout()  # a large message may take longer than the idle timeout
        rest = collector.feed(data)
        if rest is not None:
            self._end_data(rest)

    def eof_received(self) -> bool | None:
        if self._collector is not None:
            self._end_data(None)
        return super().eof_received()

    def _reset_timeout(self, duration: float | None = None) -> None:
        """Push the idle deadline back. aiosmtpd cancels and creates a timer on every command;
        here one timer stays armed and, when it fires before the deadline, re-arms for the rest."""
        now = self.loop.time()
        self._idle_deadline = now + (duration or self._timeout_duration)
        timer = self._timeout_handle
        if timer is None or timer.cancelled() or self._idle_deadline < timer.when():
            if timer is not None:
                timer.cancel()
            self._timeout_handle = self.loop.call_later(self._idle_deadline - now, self._check_idle)

    def _check_idle(self) -> None:
        remaining = self._idle_deadline - self.loop.time()
        if remaining > 0:
            self._timeout_handle = self.loop.call_later(remaining, self._check_idle)
        else:
            self._timeout_cb()

    def _timeout_cb(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            peer = self.session.peer if self.session else None
            self._pool.report(peer, "idle timeout", Refusal.IDLE_TIMEOUT)
            self._writer.write(f"421 4.4.2 {self.hostname} Error: timeout exceeded\r\n".encode())
        super()._timeout_cb()

    def _is_tls(self) -> bool:
        return tls_facts(self.transport) is not None

    # Replies

    async def push(self, status: str | bytes) -> None:
        if isinstance(status, str) and "\r\n" not in status:
            status = with_enhanced_code(status)
        await super().push(status)

    async def _refuse(self, reply: str, reason: str, cause: Refusal) -> None:
        """Answer `reply` and publish `reason`, for refusals worth showing in the UI."""
        assert self.session is not None
        self._pool.report(self.session.peer, reason, cause)
        await self.push(reply)

    def _chaos_code(self, stage: str) -> int | None:
        chaos = self._pool.context.chaos
        return chaos.fire(stage) if chaos is not None else None

    # Greeting commands

    @syntax("HELO hostname")
    async def smtp_HELO(self, hostname: str) -> None:
        if not hostname:
            await self.push("501 5.5.4 Syntax: HELO hostname")
            return
        self._set_rset_state()
        assert self.session is not None
        self.session.extended_smtp = False
        self.session.host_name = hostname
        await super().push(f"250 {self.hostname}")

    @syntax("EHLO hostname")
    async def smtp_EHLO(self, hostname: str) -> None:
        if not hostname:
            await self.push("501 5.5.4 Syntax: EHLO hostname")
            return
        self._set_rset_state()
        assert self.session is not None
        self.session.extended_smtp = True
        self.session.host_name = hostname
        max_size = self._config.smtp_max_size
        lines = [
            self.hostname,
            f"SIZE {max_size}" if max_size else "SIZE",
            "8BITMIME",
            "SMTPUTF8",
            "PIPELINING",
            "DSN",
            "ENHANCEDSTATUSCODES",
        ]
        if self.tls_context is not None and not self._is_tls():
            lines.append("STARTTLS")
        lines.append("AUTH " + " ".join(self._pool.credentials.mechanisms))
        lines.append("HELP")
        reply = "\r\n".join(f"250-{line}" for line in lines[:-1]) + f"\r\n250 {lines[-1]}"
        await super().push(reply)

    # Transaction commands

    async def check_auth_needed(self, caller_method: str) -> bool:
        assert self.session is not None
        if self._config.smtp_auth_required and not self.session.authenticated:
            await self._refuse(
                "530 5.7.0 Authentication required",
                f"{caller_method} refused: AUTH required",
                Refusal.AUTH_REQUIRED,
            )
            return True
        return False

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("MAIL"):
            return
        if self._config.smtp_require_starttls and not self._is_tls():
            await self._refuse(
                "530 5.7.0 Must issue a STARTTLS command first",
                "MAIL refused: STARTTLS required",
                Refusal.STARTTLS_REQUIRED,
            )
            return
        transaction = self.envelope
        assert isinstance(transaction, _Transaction)
        if transaction.mail_from is not None:
            await self.push("503 5.5.1 Error: nested MAIL command")
            return
        parsed = await self._address_and_parameters(
            "FROM:", arg, "MAIL FROM:<address>", SENDER, MAIL_PARAMETERS
        )
        if parsed is None:
            return
        address, params = parsed
        if refusal := unicode_refusal(address, "SMTPUTF8" in params):
            await self.push(refusal)
            return
        size = params.get("SIZE", "0")
        max_size = self._config.smtp_max_size
        if max_size and int(size) > max_size:
            await self._refuse(
                f"552 5.3.4 Message size exceeds fixed maximum message size ({max_size} bytes)",
                f"message of {size} bytes refused: over the {max_size}-byte limit",
                Refusal.TOO_LARGE,
            )
            return
        if code := self._chaos_code("Sender"):
            await self._refuse(
                f"{code} Chaos sender error", f"chaos: sender error {code}", Refusal.CHAOS
            )
            return
        transaction.mail_from = "" if address == "<>" else address  # "<>" is the null sender
        transaction.mail_params = params
        transaction.smtp_utf8 = "SMTPUTF8" in params
        await self.push("250 2.1.0 OK")

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg: str | None) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("RCPT"):
            return
        transaction = self.envelope
        assert isinstance(transaction, _Transaction)
        if transaction.mail_from is None:
            await self.push("503 5.5.1 Error: need MAIL command")
            return
        parsed = await self._address_and_parameters(
            "TO:", arg, "RCPT TO:<address>", RECIPIENT, RCPT_PARAMETERS
        )
        if parsed is None:
            return
        address, params = parsed
        if refusal := unicode_refusal(address, transaction.smtp_utf8):
            await self.push(refusal)
            return
        if address == "<>":
            await self.push("501 5.1.3 Error: a recipient cannot be the null address <>")
            return
        limit = self._config.smtp_max_recipients
        if limit and len(transaction.recipients) >= limit:
            await self._refuse(
                "452 4.5.3 Error: too many recipients",
                f"recipient {address} refused: over the limit of {limit} recipients",
                Refusal.TOO_MANY_RECIPIENTS,
            )
            return
        if code := self._chaos_code("Recipient"):
            await self._refuse(
                f"{code} Chaos recipient error", f"chaos: recipient error {code}", Refusal.CHAOS
            )
            return
        transaction.recipients.append(Recipient(address, params))
        transaction.rcpt_tos.append(address)
        await self.push("250 2.1.5 OK")

    async def _address_and_parameters(
        self,
        keyword: str,
        arg: str | None,
        usage: str,
        kind: PathKind,
        known: Mapping[str, ValueCheck],
    ) -> tuple[str, dict[str, str]] | None:
        """The address and ESMTP parameters of MAIL/RCPT, or None once a 5xx has been sent."""
        text = self._strip_command_keyword(keyword, arg or "")
        if not text:
            await self.push(f"501 5.5.4 Syntax: {usage} [SP <parameters>]")
            return None
        try:
            address, rest = self._address_of(text, kind)
            if not address:
                await self.push(f"501 5.5.4 Syntax: {usage} [SP <parameters>]")
                return None
            return address, parse_parameters(rest, known)
        except EnvelopeSyntaxError as error:
            await self.push(error.reply)
            return None

    def _address_of(self, text: str, kind: PathKind) -> tuple[str, str]:
        """`_getaddr`'s answer, without its cost for a plain `<local@domain>`; raises
        `EnvelopeSyntaxError` for a path no MTA would take."""
        plain = _PLAIN_ADDRESS.match(text)
        address: str | None
        rest: str | None
        if plain is not None:
            address, rest = plain.group(1), text[plain.end() :]
        else:
            check_path(text, kind)
            try:
                address, rest = self._getaddr(text)
            except Exception:  # the email parser trips over some malformed addresses: "<a@[1.2.3>"
                address, rest = None, None
        if address is None or (
            self.local_part_limit and address.rfind("@") > self.local_part_limit
        ):
            raise bad_path(kind, f"malformed address {shown(text)}")
        return address, rest or ""

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        transaction = self.envelope
        assert isinstance(transaction, _Transaction)
        if not transaction.recipients:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            received = await self._receive_data()
        except asyncio.IncompleteReadError:
            self._drop_connection("disconnected during DATA; nothing stored")
            return
        try:
            await self._store(transaction, received)
        finally:
            received.release()
            self._set_post_data_state()

    async def _receive_data(self) -> ReceivedData:
        """The message after `354`: the chunks the transport delivers go to a `DataCollector`
        (see `data_received`), starting with any the client sent before the `354`; what
        follows the end marker goes back to the StreamReader, for the commands."""
        collector = DataCollector(self._config.smtp_max_size, self._pool.context.store.spool())
        self._data_done = self.loop.create_future()
        try:
            rest = collector.feed(early) if (early := take_buffered(self._reader)) else None
            if rest is None:
                if self._reader.at_eof():
                    raise asyncio.IncompleteReadError(b"", None)
                self._collector = collector
                try:
                    rest = await self._data_done
                finally:
                    self._collector = None
        except BaseException:  # the client went away, or the server is stopping
            collector.discard()
            raise
        if rest:
            self._reader.feed_data(rest)
        return collector.received()

    def _end_data(self, outcome: bytes | None) -> None:
        """Wake `_receive_data`: the bytes after the end marker, or None when the client went
        away first."""
        self._collector = None
        assert self._data_done is not None
        if not self._data_done.done():
            if outcome is None:
                self._data_done.set_exception(asyncio.IncompleteReadError(b"", None))
            else:
                self._data_done.set_result(outcome)

    async def _store(self, transaction: _Transaction, received: ReceivedData) -> None:
        max_size = self._config.smtp_max_size
        raw, size = received.raw, received.size
        if received.failed:
            await self._refuse(
                f"451 4.3.0 Error: {received.failed}, try again",
                f"message of {size} bytes not stored: {received.failed}",
                Refusal.STORE_FAILED,
            )
            return
        if raw is None:
            await self._refuse(
                f"552 5.3.4 Message size exceeds fixed maximum message size ({max_size} bytes)",
                f"message of {size} bytes refused: over the {max_size}-byte limit",
                Refusal.TOO_LARGE,
            )
            return
        if self._config.smtp_strict and (problems := line_problems(as_bytes(raw))):
            await self._refuse(
                f"550 5.6.0 Message refused in strict mode: {'; '.join(problems)}",
                f"message refused in strict mode: {'; '.join(problems)}",
                Refusal.STRICT,
            )
            return
        try:
            stored = await self._pool.context.ingest.deliver(
                self._envelope(transaction), raw, self._listener, spooled=received.spooled
            )
        except Exception:
            log.exception("could not store a message from %s", peer_text(self.session))
            await self.push("451 4.3.0 Error: the message could not be stored, try again")
            return
        await self.push(f"250 2.0.0 OK queued as {stored.id}")

    def _envelope(self, transaction: _Transaction) -> Envelope:
        assert self.session is not None
        assert transaction.mail_from is not None
        tls = tls_facts(self.transport)
        return Envelope(
            mail_from=transaction.mail_from,
            recipients=tuple(transaction.recipients),
            received=datetime.now(UTC),
            mail_from_params=transaction.mail_params,
            helo=self.session.host_name or "",
            peer=peer_text(self.session),
            auth_user=self.session.auth_data if self.session.authenticated else None,
            tls=tls.version if tls else None,
            tls_cipher=tls.cipher if tls else None,
        )

    def _drop_connection(self, reason: str) -> None:
        """Close without a reply, the way aiosmtpd's QUIT ends the handler task."""
        log.info("%s %s", peer_text(self.session), reason)
        assert self._handler_coroutine is not None
        self._handler_coroutine.cancel()
        if self.transport is not None:
            self.transport.close()

    # AUTH mechanisms: aiosmtpd calls them as `method(self, args)` on the bound method.

    async def auth_PLAIN(self, _: SMTP, args: list[str]) -> AuthResult:
        if len(args) == 1:
            response = await self.challenge_auth("")
        else:
            response = _b64(args[1])
        if not isinstance(response, bytes):
            return await self._malformed_auth(response)
        parts = response.split(b"\0")
        if len(parts) != 3:
            return await self._malformed_auth(None)
        _, user, password = (p.decode("utf-8", "replace") for p in parts)
        return await self._auth_result(
            user, await self._pool.credentials.check_password(user, password)
        )

    async def auth_LOGIN(self, _: SMTP, args: list[str]) -> AuthResult:
        if len(args) == 1:
            login = await self.challenge_auth("Username:")
        else:
            login = _b64(args[1])
        if not isinstance(login, bytes):
            return await self._malformed_auth(login)
        password = await self.challenge_auth("Password:")
        if not isinstance(password, bytes):
            return await self._malformed_auth(password)
        user = login.decode("utf-8", "replace")
        ok = await self._pool.credentials.check_password(user, password.decode("utf-8", "replace"))
        return await self._auth_result(user, ok)

    async def auth_CRAM__MD5(self, _: SMTP, args: list[str]) -> AuthResult:
        if len(args) != 1:
            await self.push("501 5.5.4 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        challenge = f"<{secrets.token_hex(8)}.{int(time.time())}@{self.hostname}>".encode()
        response = await self.challenge_auth(challenge)
        if not isinstance(response, bytes):
            return await self._malformed_auth(response)
        user, _, digest = response.decode("utf-8", "replace").rpartition(" ")
        if not user:
            return await self._malformed_auth(None)
        ok = self._pool.credentials.check_cram_md5(user, challenge, digest)
        return await self._auth_result(user, ok)

    async def _malformed_auth(self, response: object) -> AuthResult:
        """`challenge_auth` has already answered a `*` or bad base64 (it returns MISSING)."""
        if response is None:
            await self.push("501 5.5.2 Error: cannot decode the AUTH response")
        return AuthResult(success=False, handled=True)

    async def _auth_result(self, user: str, ok: bool) -> AuthResult:
        assert self.session is not None
        if code := self._chaos_code("Authentication"):
            self._pool.context.stats.smtp_auth_failed += 1
            self._pool.report(
                self.session.peer, f"chaos: authentication error {code}", Refusal.CHAOS
            )
            return AuthResult(
                success=False, handled=False, message=f"{code} Chaos authentication error"
            )
        if not ok:
            self._pool.context.stats.smtp_auth_failed += 1
            failed = f"authentication failed for user {user!r}"
            self._pool.report(self.session.peer, failed, Refusal.AUTH_FAILED)
            return AuthResult(success=False, handled=False)
        self._pool.context.stats.smtp_auth_succeeded += 1
        return AuthResult(success=True, auth_data=user)


def _b64(text: str) -> bytes | None:
    try:
        return b64decode(text, validate=True)
    except ValueError:
        return None


def peer_host(peer: Any) -> str:
    return str(peer[0]) if isinstance(peer, tuple) and peer else ""


def peer_text(session: Session | None) -> str:
    """The client address as "host:port", IPv6 hosts in brackets."""
    peer = session.peer if session is not None else None
    if not isinstance(peer, tuple) or len(peer) < 2:
        return ""
    host = f"[{peer[0]}]" if ":" in str(peer[0]) else str(peer[0])
    return f"{host}:{peer[1]}"
