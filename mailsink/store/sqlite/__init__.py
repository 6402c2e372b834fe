"""The SQLite store (the default): see `store.py`; `SqliteStore` is imported from here."""

from mailsink.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
