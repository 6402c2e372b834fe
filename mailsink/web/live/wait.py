"""`GET /api/v1/wait`: a long poll that answers as soon as a matching message is stored.

Nobody polls the store on a timer. While any request waits, one `MessageWaiters` per app holds a
single hub subscription; each NEW or UPDATE change wakes every pending waiter on the event loop,
and each waiter re-runs its own indexed search for matches above its cursor. An idle waiter is
one `asyncio.Event`, so hundreds of them cost nothing between arrivals.

    GET /api/v1/wait?query=to:bob&since=41&timeout=10
    → 200 the summary of the first (lowest Seq) match with Seq > 41, or after 10 s
    → 404 {"Error": "no message matching 'to:bob' within 10 s"}

With `?mailbox=NAME`, only messages of that mailbox count.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mailsink.events import Change, ChangeHub, ChangeKind
from mailsink.message.summary_json import summary_json
from mailsink.store.base import Store, StoredMessage
from mailsink.store.search import SearchQuery, narrowed_to_mailbox, parse_search_query
from mailsink.web.request_context import sink_context
from mailsink.web.responses import error_response, json_response
from mailsink.web.search_params import mailbox_param

DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_TIMEOUT_SECONDS = 300.0

# A message can start matching when it arrives, or later when its read flag or tags change.
_WAKING_KINDS = frozenset({ChangeKind.NEW, ChangeKind.UPDATE})


class MessageWaiters:
    """The pending waiters of one app, woken together by one hub subscription.

    The subscription exists only while someone waits. The hub calls `_on_change` on the
    publishing thread; wake-ups are coalesced into one `call_soon_threadsafe` until the loop runs
    them, and the flag is cleared before the events are set, so no change is ever missed.
    """

    def __init__(self, hub: ChangeHub) -> None:
        self._hub = hub
        self._events: set[asyncio.Event] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_listening: Callable[[], None] | None = None
        self._wake_scheduled = False

    @contextlib.contextmanager
    def waiter(self) -> Iterator[asyncio.Event]:
        """An event set whenever a message may have started to match; register before searching."""
        event = asyncio.Event()
        if not self._events:
            self._loop = asyncio.get_running_loop()
            self._stop_listening = self._hub.subscribe(self._on_change)
        self._events.add(event)
        try:
            yield event
        finally:
            self._events.discard(event)
            if not self._events and self._stop_listening is not None:
                self._stop_listening()
                self._stop_listening = None

    @property
    def pending(self) -> int:
        return len(self._events)

    def _on_change(self, change: Change) -> None:
        if change.kind not in _WAKING_KINDS or self._wake_scheduled or self._loop is None:
            return
        self._wake_scheduled = True
        # A closed loop means the server is stopping: nobody is left to wake.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        self._wake_scheduled = False
        for event in self._events:
            event.set()


def message_waiters(request: Request) -> MessageWaiters:
    """The app's `MessageWaiters`, made on first use (the app has no lifespan to make it)."""
    state = request.app.state
    waiters: MessageWaiters | None = getattr(state, "message_waiters", None)
    if waiters is None:
        waiters = state.message_waiters = MessageWaiters(sink_context(request).hub)
    return waiters


def parse_timeout(text: str | None) -> float:
    """Seconds to wait: 30 when absent, at most 300; raises ValueError with the reason."""
    if text is None or text.strip() == "":
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds < float("inf"):
        raise ValueError(
            f"expected timeout in seconds (0 to {MAX_TIMEOUT_SECONDS:g}), got {text!r}"
        )
    return min(seconds, MAX_TIMEOUT_SECONDS)


def parse_since(text: str | None) -> int | None:
    if text is None or text.strip() == "":
        return None
    if not (text.strip().isascii() and text.strip().isdigit()):
        raise ValueError(
            f"expected since to be a message Seq (an integer of 0 or more), got {text!r}"
        )
    return int(text)


def first_match_above(store: Store, query: SearchQuery | None, seq: int) -> StoredMessage | None:
    found = store.search(query, after_seq=seq, oldest_first=True, limit=1)
    return found[0] if found else None


def newest_match_or_cursor(
    store: Store, query: SearchQuery | None
) -> tuple[StoredMessage | None, int]:
    """The newest match already stored; else the Seq to wait above. The cursor is read first,
    so a message stored between the two reads is above it and still found by the wait."""
    newest = store.search(None, limit=1)
    cursor = newest[0].seq if newest else 0
    found = store.search(query, limit=1)
    return (found[0] if found else None), cursor


async def wait_endpoint(request: Request) -> Response:
    params = request.query_params
    text = params.get("query", "").strip()
    try:
        timeout = parse_timeout(params.get("timeout"))
        since = parse_since(params.get("since"))
    except ValueError as error:
        return error_response(str(error))
    query = narrowed_to_mailbox(
        parse_search_query(text, params.get("tz")) if text else None, mailbox_param(params)
    )
    store = sink_context(request).store
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    with message_waiters(request).waiter() as woken:
        if since is None:
            found, cursor = await run_in_threadpool(newest_match_or_cursor, store, query)
            if found is not None:
                return json_response(summary_json(found))
        else:
            cursor = since
        while True:
            woken.clear()
            found = await run_in_threadpool(first_match_above, store, query, cursor)
            if found is not None:
                return json_response(summary_json(found))
            remaining = deadline - loop.time()
            if remaining <= 0 or not await _woken_before(woken, remaining, request):
                break
    return json_response({"Error": f"no message matching '{text}' within {timeout:g} s"}, 404)


async def _woken_before(woken: asyncio.Event, seconds: float, request: Request) -> bool:
    """Wait for `woken`; False at the timeout or when the client has gone away."""
    wake = asyncio.ensure_future(woken.wait())
    gone = asyncio.ensure_future(_client_disconnected(request))
    try:
        done, _ = await asyncio.wait(
            {wake, gone}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in (wake, gone):
            task.cancel()
        await asyncio.gather(wake, gone, return_exceptions=True)
    return wake in done


async def _client_disconnected(request: Request) -> None:
    """Returns when the client closes the connection (a GET has no body left to read)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


routes: list[BaseRoute] = [Route("/api/v1/wait", wait_endpoint, methods=["GET"])]
