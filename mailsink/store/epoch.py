"""The Seq epoch: a number that changes whenever Seq numbering may start again.

Seqs never repeat within one database, but a new database (or a memory store) starts them at 1
again. A client that remembers Seqs (IMAP clients do: Seqs are their UIDs, and this number
their UIDVALIDITY) must learn that its memory is void, so the number is kept beside a database
file (`PATH.epoch`) and made anew whenever the database itself is new.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

_MAX_EPOCH = 2**31 - 1  # IMAP's nz-number is 32-bit; some clients read it as signed


def seq_epoch(database: Path | None) -> int:
    """The epoch of `database`, to be called *before* the store opens it (only then can a new
    file be told from an existing one). None (memory or a temporary database): a fresh epoch."""
    fresh = secrets.randbelow(_MAX_EPOCH) + 1
    if database is None:
        return fresh
    kept = database.with_name(database.name + ".epoch")
    if database.exists():
        try:
            value = int(kept.read_text(encoding="ascii"))
        except (OSError, ValueError):
            pass  # not written yet (a database from before epochs), or damaged: start one
        else:
            if 0 < value <= _MAX_EPOCH:
                return value
    try:
        kept.write_text(f"{fresh}\n", encoding="ascii")
    except OSError as error:  # a read-only directory: the epoch lasts as long as this process
        log.warning("cannot keep the Seq epoch in %s: %s", kept, error)
    return fresh
