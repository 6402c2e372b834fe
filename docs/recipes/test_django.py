"""Recipe: a Django project sends through its real SMTP backend; the test asserts on what arrived.

No `locmem` backend and no `mail.outbox`: the message leaves through Django's SMTP email backend
over a real socket, so the test sees what a mail server would get, Bcc recipients included.
In a project with pytest-django, override `EMAIL_HOST`/`EMAIL_PORT` with its `settings` fixture
instead of `override_settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import django
import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.test.utils import override_settings

from pytest_mailsink import SinkView

# The minimal settings module this recipe needs (Django's settings are per process, so they are
# configured once; a project points DJANGO_SETTINGS_MODULE at its own instead).
MINIMAL_SETTINGS = {
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DEFAULT_FROM_EMAIL": "Shop <shop@example.com>",
    "EMAIL_TIMEOUT": 30,
    "INSTALLED_APPS": [],
    "USE_TZ": True,
}


@pytest.fixture(scope="module", autouse=True)
def django_configured() -> None:
    if not settings.configured:
        settings.configure(**MINIMAL_SETTINGS)
        django.setup()


@pytest.fixture
def django_mail(mailsink: SinkView) -> Iterator[SinkView]:
    """Django's SMTP backend pointed at this test's sink."""
    with override_settings(EMAIL_HOST=mailsink.host, EMAIL_PORT=mailsink.port):
        yield mailsink


def send_order_confirmation(customer: str, order: int) -> None:
    """The application code under test."""
    message = EmailMultiAlternatives(
        subject=f"Order #{order} confirmed",
        body=f"Thank you! Order #{order} is on its way.",
        to=[customer],
        bcc=["audit@example.com"],
    )
    message.attach_alternative(
        f"<p>Thank you! Order <b>#{order}</b> is on its way.</p>", "text/html"
    )
    message.send()


def test_order_confirmation_goes_out_through_smtp(
    django_mail: SinkView, mailsink_address: Callable[[str], str]
) -> None:
    customer = mailsink_address("customer")
    send_order_confirmation(customer, order=1001)

    confirmation = django_mail.wait_for_one(to=customer)
    assert confirmation.subject == "Order #1001 confirmed"
    assert confirmation.from_ == "shop@example.com"
    assert confirmation.to == [customer]
    assert confirmation.bcc == ["audit@example.com"]  # only the envelope knows
    assert "Order #1001 is on its way" in confirmation.text
    assert "<b>#1001</b>" in confirmation.html
