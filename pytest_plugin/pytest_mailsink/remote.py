"""Remote mode (`--mailsink-url`): the same views over a running mailsink's HTTP API.

Messages are listed with Mailpit's `GET /api/v1/messages` and `GET /api/v1/search`, read with
`GET /api/v1/message/{ID}` (for our `Envelope` and `Seq`) and `GET /api/v1/message/{ID}/raw`,
and waited for with our long poll `GET /api/v1/wait`, so a wait costs one request, not a poll
loop. Only the standard library is used: the plugin needs nothing beyond mailsink itself.

A remote sink is shared (by other workers, other runs, other people), so a test's view is kept
apart by its mailbox (`mailsink_mailbox`, or the session's `--mailsink-mailbox`): it sees only
mail filed there; or by its `mailsink_address` domain: it sees only mail from or to that domain.
A test that uses neither sees everything that arrived after it started.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from base64 import b64encode
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from mailsink.message.captured import CapturedMessage
from mailsink.message.envelope import Envelope, Recipient
from mailsink.sink import MailView
from pytest_mailsink.view import SinkView

PAGE_SIZE = 200
# How much longer than the server's long-poll timeout the HTTP client waits for its answer.
HTTP_GRACE_SECONDS = 10.0
REQUEST_TIMEOUT_SECONDS = 30.0


class RemoteApi:
    """The few routes of a mailsink's HTTP API the views need."""

    def __init__(self, url: str) -> None:
        """`url` may carry credentials for a sink behind `--ui-auth-file`: http://user:pw@host/."""
        parts = urllib.parse.urlsplit(url)
        self._headers = {}
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self._headers["Authorization"] = "Basic " + b64encode(credentials.encode()).decode()
            parts = parts._replace(netloc=parts.netloc.rpartition("@")[2])
        self.url = urllib.parse.urlunsplit(parts).rstrip("/") + "/"

    def _get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> bytes | None:
        """The body of a 200 answer; None on 404; `ConnectionError` when the sink is unreachable."""
        target = self.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            request = urllib.request.Request(target, headers=self._headers)
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as error:
            error.close()
            if error.code == 404:
                return None
            if error.code == 401:
                raise ConnectionError(
                    f"mailsink at {self.url} wants credentials: give them in the URL, "
                    "http://USER:PASSWORD@HOST:PORT/"
                ) from None
            raise ConnectionError(
                f"mailsink at {self.url} answered {error.code} to {target}"
            ) from None
        except (OSError, urllib.error.URLError) as error:
            raise ConnectionError(f"cannot reach mailsink at {self.url}: {error}") from None

    def _json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        body = self._get(path, params)
        return None if body is None else json.loads(body)

    def summaries(self, query: str, *, start: int, limit: int) -> list[dict[str, Any]]:
        """A page of message summaries, newest first."""
        params = {"start": start, "limit": limit}
        if query:
            page = self._json("api/v1/search", {"query": query, **params})
        else:
            page = self._json("api/v1/messages", params)
        return list(page["messages"]) if page else []

    def message(self, message_id: str) -> tuple[dict[str, Any], bytes] | None:
        """The message JSON and exact bytes; None when it has been deleted meanwhile."""
        quoted = urllib.parse.quote(message_id, safe="")
        details = self._json(f"api/v1/message/{quoted}")
        raw = self._get(f"api/v1/message/{quoted}/raw")
        if details is None or raw is None:
            return None
        return details, raw

    def wait(self, query: str, since: int, timeout: float) -> None:
        """Return when a message matching `query` above Seq `since` exists, or at `timeout`."""
        params = {"query": query, "since": since, "timeout": f"{max(timeout, 0):.3f}"}
        self._get("api/v1/wait", params, timeout=timeout + HTTP_GRACE_SECONDS)


def envelope_from_json(data: dict[str, Any]) -> Envelope:
    """The inverse of the API's `Envelope` object (docs/interface.md, Our additions)."""
    tls = data.get("TLS") or {}
    return Envelope(
        mail_from=data.get("MailFrom", ""),
        recipients=tuple(
            Recipient(r["Address"], dict(r.get("Params") or {})) for r in data.get("RcptTo", [])
        ),
        received=datetime.fromisoformat(data["Received"]),
        mail_from_params=dict(data.get("MailFromParams") or {}),
        helo=data.get("Helo", ""),
        peer=data.get("RemoteAddr", ""),
        auth_user=data.get("Username") or None,
        tls=tls.get("Version"),
        tls_cipher=tls.get("Cipher"),
        mailbox=data.get("Mailbox", "default"),
    )


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].rstrip(">").casefold()


def concerns_domain(message: CapturedMessage, domain: str) -> bool:
    """Whether `message` is from or to an address at `domain` (envelope or headers)."""
    addresses = [
        message.envelope.mail_from,
        *message.envelope.rcpt_tos,
        message.from_,
        *message.to,
        *message.cc,
    ]
    wanted = domain.casefold()
    return any(_domain_of(address) == wanted for address in addresses if address)


class RemoteSource:
    """A `MessageSource` over HTTP, optionally narrowed to the mail of one address domain."""

    def __init__(self, api: RemoteApi, domain: str | None = None) -> None:
        self._api = api
        self._domain = domain
        self._query = f"addressed:{domain}" if domain else ""
        self._cache: dict[str, CapturedMessage] = {}

    def _query_in(self, mailbox: str | None) -> str:
        return f"{self._query} mailbox:{mailbox}".strip() if mailbox else self._query

    def _summaries_after(self, seq: int, mailbox: str | None) -> list[dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        start = 0
        query = self._query_in(mailbox)
        while True:
            page = self._api.summaries(query, start=start, limit=PAGE_SIZE)
            found.update((s["ID"], s) for s in page if s["Seq"] > seq)
            if len(page) < PAGE_SIZE or any(s["Seq"] <= seq for s in page):
                return sorted(found.values(), key=lambda s: s["Seq"])
            start += PAGE_SIZE

    def _load(self, message_id: str) -> CapturedMessage | None:
        message = self._cache.get(message_id)
        if message is None:
            fetched = self._api.message(message_id)
            if fetched is None:
                return None
            details, raw = fetched
            envelope = envelope_from_json(details["Envelope"])
            message = CapturedMessage(message_id, details["Seq"], raw, envelope)
            self._cache[message_id] = message
        return message

    def messages_after(self, seq: int, mailbox: str | None = None) -> list[CapturedMessage]:
        found = []
        for summary in self._summaries_after(seq, mailbox):
            message = self._load(summary["ID"])
            if message is not None and (
                self._domain is None or concerns_domain(message, self._domain)
            ):
                found.append(message)
        return found

    def last_seq(self, mailbox: str | None = None) -> int:
        newest = self._api.summaries(self._query_in(mailbox), start=0, limit=1)
        return int(newest[0]["Seq"]) if newest else 0

    def wait_for_new(self, after_seq: int, timeout: float, mailbox: str | None = None) -> None:
        self._api.wait(self._query_in(mailbox), after_seq, timeout)


class RemoteSink(MailView):
    """What `mailsink_server` is in remote mode: a view of every message on the remote sink,
    with the SMTP address tests send to. `clear()` forgets what is there; it deletes nothing,
    since the sink is shared."""

    def __init__(self, url: str, *, smtp_host: str, smtp_port: int, timeout: float) -> None:
        self._api = RemoteApi(url)
        super().__init__(RemoteSource(self._api), timeout=timeout)
        self.host = smtp_host
        self.port = smtp_port
        self.smtps_port: int | None = None
        self.url: str | None = self._api.url

    def check_reachable(self) -> None:
        """Raise `ConnectionError` now, not in the first test, when the URL is wrong."""
        self._api.summaries("", start=0, limit=1)

    def view(
        self, domain: str | None = None, mailbox: str | None = None, *, fresh: bool = False
    ) -> SinkView:
        """A view that starts empty: only mail of `domain` and/or `mailbox`, from the start
        when `fresh` (they are this test's own), else what arrives from now."""
        source = RemoteSource(self._api, domain)
        return SinkView(
            self,
            source,
            after_seq=0 if fresh else source.last_seq(mailbox),
            timeout=self.timeout,
            mailbox=mailbox,
        )
