"""Recipe: mail sent by a background job after the request has returned.

The endpoint answers 202 at once and a worker thread sends the mail later, as a job queue
(Celery, RQ, a thread pool) would. The test does not sleep: `wait_for_one` blocks until the
message is there (or fails after the timeout, listing what did arrive).
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pytest_mailsink import SinkView


def create_app(jobs: ThreadPoolExecutor, smtp_host: str, smtp_port: int) -> Starlette:
    """The application under test: `POST /exports` queues a job that mails a CSV export."""

    def export_job(address: str) -> None:
        message = EmailMessage()
        message["From"] = "reports@example.com"
        message["To"] = address
        message["Subject"] = "Your export is ready"
        message.set_content("Your export is attached.\n")
        message.add_attachment(
            b"id,total\r\n1,9.50\r\n", maintype="text", subtype="csv", filename="export.csv"
        )
        with smtplib.SMTP(smtp_host, smtp_port, timeout=30) as client:
            client.send_message(message)

    async def start_export(request: Request) -> JSONResponse:
        form = await request.json()
        jobs.submit(export_job, form["email"])
        return JSONResponse({"status": "queued"}, status_code=202)

    return Starlette(routes=[Route("/exports", start_export, methods=["POST"])])


@pytest.fixture
def jobs() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


def test_export_is_mailed_after_the_response(
    mailsink: SinkView, mailsink_address: Callable[[str], str], jobs: ThreadPoolExecutor
) -> None:
    app = create_app(jobs, mailsink.host, mailsink.port)
    bob = mailsink_address("bob")

    async def request_export() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
            return await http.post("/exports", json={"email": bob})

    assert asyncio.run(request_export()).status_code == 202

    export = mailsink.wait_for_one(to=bob, subject="Your export is ready", timeout=10)
    (attachment,) = export.attachments
    assert attachment.filename == "export.csv"
    assert attachment.content_type == "text/csv"
    assert attachment.data == b"id,total\r\n1,9.50\r\n"
