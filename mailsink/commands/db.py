"""`mailsink db upgrade --database PATH|URL`: bring a database's schema up to this mailsink's.

A node migrates its database when it starts, so this is for doing it beforehand: before a
rolling update of several nodes on one PostgreSQL database, or to check that a SQLite file
opens. `--database` is the server's option, `MAILSINK_DATABASE` included.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mailsink.cli import ENVIRONMENT_HELP, OPTIONS, add_options, read_options
from mailsink.config import Config, is_postgres_url
from mailsink.events import ChangeHub

DATABASE_OPTION = next(option for option in OPTIONS if option.field == "database")


def build_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The `mailsink db` parser, and its `upgrade` command's."""
    parser = argparse.ArgumentParser(
        prog="mailsink db", description="Manage mailsink's database.", epilog=ENVIRONMENT_HELP
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    upgrade = commands.add_parser(
        "upgrade", help="migrate the database's schema to this mailsink's version"
    )
    add_options(upgrade, [DATABASE_OPTION], Config())
    return parser, upgrade


def main(argv: Sequence[str]) -> int:
    parser, upgrade_parser = build_parser()
    args = parser.parse_args(argv)
    values = read_options(upgrade_parser, args, [DATABASE_OPTION], dict(os.environ))
    if "database" not in values:
        upgrade_parser.error("needs --database PATH|URL (or MAILSINK_DATABASE)")
    try:
        print(upgrade(values["database"]))
    except RuntimeError as error:
        print(f"mailsink db upgrade: {error}", file=sys.stderr)
        return 1
    return 0


def upgrade(database: Path | str) -> str:
    """Migrate `database` (a SQLite file or a PostgreSQL URL); says what was done."""
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
