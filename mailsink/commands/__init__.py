"""The commands beside the server: `mailsink sendmail`, `mailsink ingest`, `mailsink dump`,
`mailsink db`.

Each lives in its own module with a `main(argv) -> int` that returns a process exit status;
they are imported only when run, so `mailsink` itself starts no slower for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

COMMANDS = {
    "sendmail": "mailsink.commands.sendmail",
    "ingest": "mailsink.commands.ingest",
    "dump": "mailsink.commands.dump",
    "db": "mailsink.commands.db",
}


def run_command(name: str, argv: Sequence[str]) -> int:
    """Run the command `name` (a key of `COMMANDS`) with its arguments; its exit status."""
    module = importlib.import_module(COMMANDS[name])
    status: int = module.main(list(argv))
    return status
