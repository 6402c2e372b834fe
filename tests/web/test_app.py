"""`create_app` on its own (no sockets): what needs a broken store or an odd webroot."""

from __future__ import annotations

import asyncio

import httpx

from mailsink.config import Config
from mailsink.context import SinkContext
from mailsink.events import ChangeHub
from mailsink.ingest import Ingest
from mailsink.stats import RuntimeStats
from mailsink.store.memory import MemoryStore
from mailsink.web.app import create_app, normalize_webroot


def get(app: object, path: str) -> httpx.Response:
    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            return await client.get(path)

    return asyncio.run(fetch())


def test_readyz_fails_when_the_store_does() -> None:
    hub = ChangeHub()
    store = MemoryStore(hub)
    stats = RuntimeStats()
    app = create_app(SinkContext(Config(), store, hub, Ingest(store, stats), stats))
    assert get(app, "/readyz").status_code == 200
    store.close()
    response = get(app, "/readyz")
    assert response.status_code == 503
    assert response.text.startswith("store not ready")
    assert get(app, "/livez").status_code == 200


def test_normalize_webroot() -> None:
    assert [normalize_webroot(w) for w in ("", "/", "mail", "/mail", "/mail/", " a/b/ ")] == [
        "/",
        "/",
        "/mail/",
        "/mail/",
        "/mail/",
        "/a/b/",
    ]
