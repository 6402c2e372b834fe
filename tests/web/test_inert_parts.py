"""Parts whose type a browser would run or render as a document are served inert from our
origin: a CSP `sandbox` on every part, script and style types as `text/plain`, bytes exact, and
the message JSON still naming the true type. (tests/ui/test_safety.py shows Chromium runs none.)"""

from __future__ import annotations

import httpx
import pytest

from mailsink import MailSink
from tests.builders import HOSTILE_PARTS, hostile_message, send_over_smtp

RUNNABLE = {"application/javascript", "text/javascript", "text/css"}


@pytest.fixture(scope="module")
def served() -> dict[str, dict[str, httpx.Response]]:
    """Each hostile part as the Mailpit and the MailHog download serve it, and the message JSON."""
    with MailSink(store="memory", http=True) as sink:
        send_over_smtp(sink, hostile_message())
        message_id = sink.messages[-1].id
        assert sink.url is not None
        with httpx.Client(base_url=sink.url, timeout=30) as client:
            responses = {"json": {"message": client.get(f"/api/v1/message/{message_id}")}}
            for index, content_type in enumerate(HOSTILE_PARTS):
                responses[content_type] = {
                    "mailpit": client.get(f"/api/v1/message/{message_id}/part/{index + 2}"),
                    "mailhog": client.get(
                        f"/mailhog/api/v1/messages/{message_id}/mime/part/{index + 1}/download"
                    ),
                }
    return responses


@pytest.mark.parametrize("api", ["mailpit", "mailhog"])
@pytest.mark.parametrize("content_type", HOSTILE_PARTS)
def test_hostile_parts_are_served_inert_and_exact(
    served: dict[str, dict[str, httpx.Response]], api: str, content_type: str
) -> None:
    response = served[content_type][api]
    assert response.status_code == 200
    assert response.content == HOSTILE_PARTS[content_type]
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = [d.strip() for d in response.headers["content-security-policy"].split(";")]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    served_type = response.headers["content-type"].split(";")[0]
    assert served_type == ("text/plain" if content_type in RUNNABLE else content_type)


def test_the_message_json_keeps_the_true_types(
    served: dict[str, dict[str, httpx.Response]],
) -> None:
    attachments = served["json"]["message"].json()["Attachments"]
    assert [a["ContentType"] for a in attachments] == list(HOSTILE_PARTS)


def test_the_ui_page_runs_only_its_nonced_entry_script() -> None:
    with MailSink(store="memory", http=True, webroot="/mail/") as sink:
        assert sink.url is not None
        with httpx.Client(base_url=sink.url, timeout=30) as client:
            pages = [client.get(path) for path in ("", "index.html", "")]
    nonces = []
    for page in pages:
        assert page.status_code == 200
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in page.headers["content-security-policy"].split(";")
        )
        [source] = policy["script-src"].split()
        assert source.startswith("'nonce-"), policy  # no 'self', no 'unsafe-inline'
        nonce = source.removeprefix("'nonce-").removesuffix("'")
        assert f'<script nonce="{nonce}" type="module" src="app.js">' in page.text
        assert page.text.count("<script") == 1
        assert page.headers["cache-control"] == "no-store"
        nonces.append(nonce)
    assert len(set(nonces)) == len(nonces)
