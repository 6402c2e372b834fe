"""mailsink: a local SMTP test sink. Catch every message, see it in a browser, assert on it.

The public surface is what `__all__` lists; everything else may change between releases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailsink.version import __version__

__all__ = [
    "CapturedMessage",
    "Envelope",
    "MailSink",
    "MailTimeout",
    "MailView",
    "Recipient",
    "__version__",
]

if TYPE_CHECKING:
    from mailsink.message.captured import CapturedMessage
    from mailsink.message.envelope import Envelope, Recipient
    from mailsink.sink import MailSink, MailTimeout, MailView

_LAZY = {
    "CapturedMessage": "mailsink.message.captured",
    "Envelope": "mailsink.message.envelope",
    "Recipient": "mailsink.message.envelope",
    "MailSink": "mailsink.sink",
    "MailTimeout": "mailsink.sink",
    "MailView": "mailsink.sink",
}


def __getattr__(name: str) -> Any:
    """Import lazily, so `import mailsink` (the pytest plugin's entry point) costs nothing."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mailsink' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
