"""The web UI: the static files of the package `mailsink.frontend`, `index.html` at `/`.

Only the UI's own assets are served: Python files, caches and dot-files of the package are not,
whatever the path says. The UI's own routes live in the URL's hash, so every page is `/`.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path, PurePosixPath

from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

FRONTEND_PACKAGE = "mailsink.frontend"
HIDDEN_SUFFIXES = (".py", ".pyc", ".pyi", ".typed")

# The UI may frame its own pages (the message view) but nobody else may frame the UI.
UI_HEADERS = {"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "no-referrer"}


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
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(UI_HEADERS)
        return response


def ui_routes() -> list[BaseRoute]:
    """The UI's route; it goes last, since the static mount answers every other path."""
    return [Mount("/", app=FrontendFiles(directory=frontend_directory(), html=True))]
