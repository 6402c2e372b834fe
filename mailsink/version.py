"""The installed distribution's version, in a module of its own so the faces (HTTP, CLI) can
show it without importing the package root."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mailsink")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
