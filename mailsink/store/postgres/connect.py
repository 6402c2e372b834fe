"""Connecting to the database: a bounded connect timeout, and failures as one clear line.

A node that cannot open its database stops at start with one line naming the database
without its password (`StoreUnavailable`), whatever the cause: nothing listening, a wrong
password, a missing database, a URL libpq refuses, a schema from a newer mailsink.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from mailsink.config import shown_database
from mailsink.store.base import StoreUnavailable
from mailsink.store.postgres.schema import migrate

# Each connection attempt gives up after this long, unless the URL (or PGCONNECT_TIMEOUT) says
# otherwise: a database that does not answer stops the start, it does not hang it.
CONNECT_TIMEOUT_SECONDS = 10


def upgrade_database(conninfo: str) -> list[int]:
    """Bring the database's schema up to this mailsink's; the versions it migrated to.
    `StoreUnavailable` when the database cannot be opened or used."""
    where = shown_database(conninfo)
    try:
        with psycopg.connect(with_connect_timeout(conninfo), autocommit=True) as db:
            return migrate(db, where)
    except psycopg.Error as error:
        raise unavailable(conninfo, error) from None


def with_connect_timeout(conninfo: str) -> str:
    """`conninfo` with `CONNECT_TIMEOUT_SECONDS` unless it sets a timeout of its own (psycopg
    waits 130 s by default). Not a valid conninfo: `psycopg.ProgrammingError`."""
    if "connect_timeout" in conninfo_to_dict(conninfo) or "PGCONNECT_TIMEOUT" in os.environ:
        return conninfo
    return make_conninfo(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS)


def unavailable(conninfo: str, error: Exception) -> StoreUnavailable:
    """`error` (psycopg's, often several lines) as one line that names the database without
    its password."""
    text = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
    for secret in _passwords(conninfo):  # libpq quotes a bad %-escape, say, as it was given
        text = text.replace(secret, "***")
    return StoreUnavailable(
        f"cannot open {shown_database(conninfo)} as a mailsink database: {text or repr(error)}"
    )


def _passwords(conninfo: str) -> set[str]:
    """The password of a postgresql:// URL, as written and %-decoded."""
    try:
        password = urlsplit(conninfo).password
    except ValueError:
        return set()
    return {password, unquote(password)} - {""} if password else set()
