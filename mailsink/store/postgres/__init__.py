"""The PostgreSQL store (`--database postgresql://…`): see `store.py`; needs the
`mailsink[postgres]` extra (psycopg 3 and psycopg-pool)."""

from mailsink.store.postgres.connect import upgrade_database
from mailsink.store.postgres.store import PostgresStore

__all__ = ["PostgresStore", "upgrade_database"]
