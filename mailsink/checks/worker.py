"""Where the HTTP API runs checks: one worker process at low CPU priority.

A check can be CPU work (HTML of hundreds of kilobytes, DKIM over a large body) or minutes of
waiting (link timeouts, spamd). In the server's own process, CPU work would hold the GIL that
the event loop needs to serve SMTP; in a separate process at a lower priority (`nice`), the
operating system gives SMTP the CPU first, and checks queue behind each other instead of
multiplying. The process is started on the first check and stopped with the server.

The worker is `python -m mailsink.checks.worker`, not a `multiprocessing` child: spawn and
forkserver import the parent's `__main__` again in the child, which runs a user's script a
second time when it starts a `MailSink` at its top level. Requests and answers are pickled
(the worker is our own child process), each prefixed with its length.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import struct
import sys
from typing import Any, BinaryIO

from mailsink.checks.settings import CheckSettings
from mailsink.message.envelope import Envelope

WORKER_NICENESS = 10
_LENGTH = struct.Struct("!Q")


class CheckWorkerError(RuntimeError):
    """The worker process ended before it answered (it is started again for the next check)."""


def run_check(
    check: str, raw: bytes, envelope: Envelope, settings: CheckSettings, follow: bool
) -> Any:
    """In the worker: the result of `message.checks.<check>` (`links` with `follow`)."""
    from mailsink.message.captured import CapturedMessage

    message = CapturedMessage("", 0, raw, envelope, check_settings=settings)
    if check == "links":
        return message.checks.check_links(follow=follow)
    return getattr(message.checks, check)


class CheckWorker:
    """Runs checks in the worker process, one at a time; `close()` stops it."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._turn = asyncio.Lock()

    async def run(
        self,
        check: str,
        raw: bytes,
        envelope: Envelope,
        settings: CheckSettings,
        *,
        follow: bool = False,
    ) -> Any:
        """The check's result, or the exception it raised, raised here."""
        request = pickle.dumps((check, raw, envelope, settings, follow))
        async with self._turn:
            # Twice at most: a worker that died since the last check (killed, out of memory)
            # may not be known as dead yet when this request is written to it.
            for attempt in (1, 2):
                process = await self._started()
                try:
                    ok, value = await _exchange(process, request)
                    break
                except (ConnectionError, asyncio.IncompleteReadError) as error:
                    await self._stop()
                    if attempt == 2:
                        raise CheckWorkerError(
                            f"the check worker ended while running the {check} check"
                        ) from error
                except asyncio.CancelledError:  # its answer would be read as the next one's
                    self._abandon()
                    raise
        if not ok:
            raise value
        return value

    async def _started(self) -> asyncio.subprocess.Process:
        if self._process is None or self._process.returncode is not None:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "mailsink.checks.worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        return self._process

    def _abandon(self) -> None:
        """Kill the worker without waiting; the loop reaps it."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.kill()

    async def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the worker's loop ends at end of input
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:  # a check still waiting on the network
            process.kill()
            await process.wait()

    async def close(self) -> None:
        async with self._turn:
            await self._stop()


async def _exchange(process: asyncio.subprocess.Process, request: bytes) -> tuple[bool, Any]:
    """Send one pickled request, framed by its length, and read the answer framed the same
    way: (True, the result) or (False, the exception the check raised)."""
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(_LENGTH.pack(len(request)) + request)
    await process.stdin.drain()
    (length,) = _LENGTH.unpack(await process.stdout.readexactly(_LENGTH.size))
    answer: tuple[bool, Any] = pickle.loads(await process.stdout.readexactly(length))
    return answer


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """The worker's loop: answer each request until the input ends."""
    while header := requests.read(_LENGTH.size):
        (length,) = _LENGTH.unpack(header)
        check, raw, envelope, settings, follow = pickle.loads(requests.read(length))
        try:
            answer = pickle.dumps((True, run_check(check, raw, envelope, settings, follow)))
        except Exception as error:  # raised again in the server, as the check's answer
            try:
                answer = pickle.dumps((False, error))
            except Exception:  # an exception that does not pickle: its text, at least
                answer = pickle.dumps((False, RuntimeError(f"{type(error).__name__}: {error}")))
        answers.write(_LENGTH.pack(len(answer)) + answer)
        answers.flush()


if __name__ == "__main__":
    # Where lowering the priority is not allowed, the process still keeps checks off the loop.
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    serve(sys.stdin.buffer, sys.stdout.buffer)
