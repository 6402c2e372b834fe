"""pytest plugin for mailsink: fixtures `mailsink`, `mailsink_server` and `mailsink_address`.

`SinkView` (the `mailsink` fixture's type, for annotations) is imported on first use, so that
importing this package, as pytest does at start-up, does not import the sink.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["SinkView"]

if TYPE_CHECKING:
    from pytest_mailsink.view import SinkView


def __getattr__(name: str) -> Any:
    if name != "SinkView":
        raise AttributeError(f"module 'pytest_mailsink' has no attribute {name!r}")
    from pytest_mailsink.view import SinkView

    return SinkView
