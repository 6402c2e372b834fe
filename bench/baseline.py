"""The baseline: stock aiosmtpd with `aiosmtpd.handlers.Sink`, which discards every message.

It is what `python -m aiosmtpd -n -c aiosmtpd.handlers.Sink` runs (same SMTP class, defaults and
default event loop), except that it binds the port it is given (0 = any free port) and announces
it on stdout the way mailsink does, so `run.py` can start both alike. It is the floor of any
aiosmtpd-based catcher: everything mailsink does beyond this costs time.

    python bench/baseline.py [--smtp 127.0.0.1:0]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from functools import partial

from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP


async def serve(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(partial(SMTP, Sink()), host=host, port=port)
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    print(f"SMTP listening on {bound_host}:{bound_port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smtp", default="127.0.0.1:0", metavar="HOST:PORT")
    host, _, port = parser.parse_args().smtp.rpartition(":")
    logging.basicConfig(level=logging.ERROR)  # as `python -m aiosmtpd` does
    asyncio.run(serve(host, int(port)))


if __name__ == "__main__":
    main()
