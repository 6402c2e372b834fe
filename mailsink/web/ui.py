"""The web UI: the static files of the package `mailsink.frontend`, `index.html` at `/`.

Only the UI's own assets are served: Python files, caches and dot-files of the package are not,
whatever the path says. The UI's own routes live in the URL's hash, so every page is `/`.

The page's Content-Security-Policy runs only the script that carries this response's nonce: the
entry module `app.js`, whose imports inherit the nonce. A `<script>` that anything else puts in
the page (a message part, should one ever be linked there) does not run, even from our origin.
"""

from __future__ import annotations

import importlib.resources
import os
import secrets
from functools import cache
from pathlib import Path, PurePosixPath

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

FRONTEND_PACKAGE = "mailsink.frontend"
HIDDEN_SUFFIXES = (".py", ".pyc", ".pyi", ".typed")

# The UI may frame its own pages (the message view) but nobody else may frame the UI.
UI_HEADERS = {"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "no-referrer"}
PAGE = "index.html"
ENTRY_SCRIPT = b'<script type="module" src="app.js">'


def page_policy(nonce: str) -> str:
    return f"script-src 'nonce-{nonce}'; object-src 'none'; base-uri 'self'"


@cache
def page_template(path: str) -> bytes:
    html = Path(path).read_bytes()
    if ENTRY_SCRIPT not in html:
        raise RuntimeError(f"{path} does not load {ENTRY_SCRIPT.decode()}; the UI would not run")
    return html


def frontend_directory() -> Path:
    return Path(str(importlib.resources.files(FRONTEND_PACKAGE)))


class FrontendFiles(StaticFiles):
    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        parts = PurePosixPath(path.replace("\\", "/")).parts
        if path.endswith(HIDDEN_SUFFIXES) or any(p.startswith((".", "__")) for p in parts):
            return "", None
        return super().lookup_path(path)

    def file_response(
        self,
        full_path: os.PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        if Path(full_path).name == PAGE:
            return page_response(str(full_path), status_code)
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(UI_HEADERS)
        return response


def page_response(path: str, status_code: int) -> Response:
    """The UI page with a fresh nonce on its entry script, and the policy naming it. Never
    cached: a page kept from an earlier response would carry an older nonce."""
    nonce = secrets.token_urlsafe(18)
    tag = ENTRY_SCRIPT.replace(b"<script ", f'<script nonce="{nonce}" '.encode())
    html = page_template(path).replace(ENTRY_SCRIPT, tag, 1)
    headers = {
        **UI_HEADERS,
        "Content-Security-Policy": page_policy(nonce),
        "Cache-Control": "no-store",
    }
    return Response(html, status_code, headers=headers, media_type="text/html")


def ui_routes() -> list[BaseRoute]:
    """The UI's route; it goes last, since the static mount answers every other path."""
    return [Mount("/", app=FrontendFiles(directory=frontend_directory(), html=True))]
