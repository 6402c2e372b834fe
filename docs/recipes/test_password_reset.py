"""Recipe: a password-reset flow that follows the link from the mail, and a one-time code.

`links()` gives the links of the text and HTML parts, decoded (quoted-printable `=3D` and HTML
`&amp;` undone) and de-duplicated; `code()` finds a one-time code. The test acts as the user:
it reads the mail and follows the link.
"""

from __future__ import annotations

import asyncio
import secrets
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from pytest_mailsink import SinkView

BASE_URL = "http://app.test"


def create_app(smtp_host: str, smtp_port: int, passwords: dict[str, str]) -> Starlette:
    """The application under test: reset by mailed link, log in with a mailed code."""
    reset_tokens: dict[str, str] = {}
    login_codes: dict[str, str] = {}

    def send(to: str, subject: str, text: str, html: str) -> None:
        message = EmailMessage()
        message["From"] = "accounts@example.com"
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text, cte="quoted-printable")
        message.add_alternative(html, subtype="html", cte="quoted-printable")
        with smtplib.SMTP(smtp_host, smtp_port, timeout=30) as client:
            client.send_message(message)

    async def forgot(request: Request) -> Response:
        address = (await request.json())["email"]
        if address in passwords:
            token = secrets.token_urlsafe(16)
            reset_tokens[token] = address
            link = f"{BASE_URL}/reset?token={token}&lang=en"
            await run_in_threadpool(
                send,
                address,
                "Reset your password",
                f"Choose a new password: {link}\n",
                f'<p><a href="{link.replace("&", "&amp;")}">Choose a new password</a></p>',
            )
        return Response(status_code=202)  # the same answer whether the account exists or not

    async def reset(request: Request) -> Response:
        token = request.query_params["token"]
        if token not in reset_tokens:
            return Response("unknown or used link", status_code=404)
        if request.method == "GET":
            return HTMLResponse('<form method="post">New password: <input name="password">')
        passwords[reset_tokens.pop(token)] = (await request.json())["password"]
        return Response(status_code=204)

    async def login(request: Request) -> Response:
        form = await request.json()
        address = form["email"]
        if passwords.get(address) != form["password"]:
            return Response(status_code=401)
        if "code" not in form:
            login_codes[address] = f"{secrets.randbelow(10**6):06d}"
            text = f"Your login code is {login_codes[address]}.\n"
            await run_in_threadpool(send, address, "Your login code", text, f"<p>{text}</p>")
            return JSONResponse({"status": "code sent"})
        ok = secrets.compare_digest(login_codes.pop(address, ""), form["code"])
        return JSONResponse({"status": "logged in"}) if ok else Response(status_code=401)

    return Starlette(
        routes=[
            Route("/forgot", forgot, methods=["POST"]),
            Route("/reset", reset, methods=["GET", "POST"]),
            Route("/login", login, methods=["POST"]),
        ]
    )


def http_client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


def test_reset_password_by_following_the_mailed_link(
    mailsink: SinkView, mailsink_address: Callable[[str], str]
) -> None:
    carol = mailsink_address("carol")
    app = create_app(mailsink.host, mailsink.port, passwords={carol: "forgotten"})

    async def scenario() -> None:
        async with http_client(app) as http:
            assert (await http.post("/forgot", json={"email": carol})).status_code == 202
            (mail,) = await mailsink.wait_for_async(to=carol, subject="Reset your password")
            (link,) = mail.links()  # the same link in text and HTML, given once
            assert link.startswith(f"{BASE_URL}/reset?token=")
            assert link.endswith("&lang=en")

            assert "New password" in (await http.get(link)).text  # the page the user sees
            assert (await http.post(link, json={"password": "n3w"})).status_code == 204
            assert (await http.post(link, json={"password": "again"})).status_code == 404
            login = await http.post("/login", json={"email": carol, "password": "n3w"})
            assert login.status_code == 200

    asyncio.run(scenario())


def test_log_in_with_the_mailed_code(
    mailsink: SinkView, mailsink_address: Callable[[str], str]
) -> None:
    dave = mailsink_address("dave")
    app = create_app(mailsink.host, mailsink.port, passwords={dave: "pw"})

    async def scenario() -> None:
        async with http_client(app) as http:
            await http.post("/login", json={"email": dave, "password": "pw"})
            (mail,) = await mailsink.wait_for_async(to=dave, subject="Your login code")
            code = mail.code(r"\b\d{6}\b")
            login = await http.post("/login", json={"email": dave, "password": "pw", "code": code})
            assert login.json() == {"status": "logged in"}

    asyncio.run(scenario())
