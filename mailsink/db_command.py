"""`mailsink db upgrade --database PATH|URL`: bring a database's schema up to this mailsink's.

A node migrates its database when it starts, so this is for doing it beforehand: before a
rolling update of several nodes on one PostgreSQL database, or to check that a SQLite file
opens. `--database` falls back to `MAILSINK_DATABASE`, as for the server.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mailsink.config import is_postgres_url, parse_database
from mailsink.events import ChangeHub


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailsink db", description="Manage mailsink's database.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    upgrade = commands.add_parser(
        "upgrade", help="migrate the database's schema to this mailsink's version"
    )
    upgrade.add_argument(
        "--database",
        metavar="PATH|URL",
        help="SQLite file or postgresql://USER@HOST/DB (default: env MAILSINK_DATABASE)",
    )
    return parser


def main(argv: Sequence[str], environ: dict[str, str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    text = args.database or environ.get("MAILSINK_DATABASE")
    if not text:
        parser.error("upgrade needs --database PATH|URL (or MAILSINK_DATABASE)")
    try:
        print(upgrade(text))
    except RuntimeError as error:
        print(f"mailsink db upgrade: {error}", file=sys.stderr)
        return 1
    return 0


def upgrade(text: str) -> str:
    """Migrate the database named by `text`; says what was done."""
    database = parse_database(text)
    if is_postgres_url(database):
        from mailsink.store.postgres import upgrade_database
        from mailsink.store.postgres.schema import SCHEMA_VERSION

        done = upgrade_database(str(database))
        if not done:
            return f"the schema is at version {SCHEMA_VERSION} already"
        return f"migrated the schema to version {', then '.join(map(str, done))}"
    from mailsink.store.sqlite import SqliteStore
    from mailsink.store.sqlite.schema import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION

    SqliteStore(Path(database), ChangeHub()).close()  # opening migrates
    return f"the schema is at version {SQLITE_SCHEMA_VERSION}"
