"""Recipe: a Starlette (or FastAPI) app that sends mail from an endpoint.

The app reads its SMTP server from its settings; the test points them at the `mailsink` fixture,
calls the endpoint in-process (httpx's ASGI transport, on the test's own event loop) and awaits
the message that really went out over SMTP with `wait_for_async`.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mailsink import CapturedMessage
from pytest_mailsink import SinkView


def create_app(smtp_host: str, smtp_port: int) -> Starlette:
    """The application under test: `POST /signup` sends a welcome message."""

    def send_welcome(name: str, address: str) -> None:
        message = EmailMessage()
        message["From"] = "Team <hello@example.com>"
        message["To"] = address
        message["Subject"] = f"Welcome, {name}!"
        message.set_content(f"Hi {name}, your account is ready: https://app.example.com/start\n")
        message.add_alternative(
            f'<p>Hi {name}, <a href="https://app.example.com/start">start here</a>.</p>',
            subtype="html",
        )
        with smtplib.SMTP(smtp_host, smtp_port, timeout=30) as client:
            client.send_message(message)

    async def signup(request: Request) -> JSONResponse:
        form = await request.json()
        await run_in_threadpool(send_welcome, form["name"], form["email"])
        return JSONResponse({"status": "created"}, status_code=201)

    return Starlette(routes=[Route("/signup", signup, methods=["POST"])])


def test_signup_sends_a_welcome_message(
    mailsink: SinkView, mailsink_address: Callable[[str], str]
) -> None:
    app = create_app(mailsink.host, mailsink.port)
    alice = mailsink_address("alice")

    async def sign_up() -> CapturedMessage:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as http:
            response = await http.post("/signup", json={"name": "Alice", "email": alice})
        assert response.status_code == 201
        (welcome,) = await mailsink.wait_for_async(to=alice)
        return welcome

    welcome = asyncio.run(sign_up())
    assert welcome.subject == "Welcome, Alice!"
    assert welcome.from_ == "hello@example.com"
    assert "your account is ready" in welcome.text
    assert welcome.links() == ["https://app.example.com/start"]
