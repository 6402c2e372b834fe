"""The `--database` of `mailsink ingest` and `mailsink dump`: a SQLite file or a PostgreSQL URL,
opened as the server opens it (`mailsink.server.open_store`), with the few connections a command
needs on PostgreSQL. A running PostgreSQL node hears of what a command stores there, as it hears
of another node's mail."""

from __future__ import annotations

from pathlib import Path

from mailsink.cli import Option
from mailsink.config import Config, is_postgres_url, parse_database
from mailsink.store.base import Store, StoreUnavailable

# A command reads or writes on one thread; the store's listener borrows the other connection.
COMMAND_POOL_SIZE = 2


def database_option(help_text: str, env_prefix: str) -> Option:
    return Option(
        "--database",
        "database",
        help_text,
        parse_database,
        metavar="FILE|URL",
        env_prefix=env_prefix,
    )


def open_database(database: Path | str, *, existing: bool) -> Store:
    """The store in `database`; with `existing`, a SQLite file that is not there is
    `StoreUnavailable` rather than made (a PostgreSQL database must exist anyway)."""
    from mailsink.events import ChangeHub  # the store stack only when a database is used
    from mailsink.server import open_store

    if existing and not is_postgres_url(database) and not Path(database).is_file():
        raise StoreUnavailable(f"no database file at {str(database)!r}")
    config = Config(database=database, database_pool_size=COMMAND_POOL_SIZE)
    store, _ = open_store(config, ChangeHub())
    return store
