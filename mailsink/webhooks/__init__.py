"""Webhooks: a POST of each new message's summary (Mailpit's JSON shape) to `--webhook-url`s.

`start_webhooks` subscribes a `Webhooks` to the change hub; each URL gets its own `Endpoint`,
so a slow or dead receiver delays only itself, and never SMTP.
"""

from mailsink.webhooks.endpoint import Endpoint
from mailsink.webhooks.subscriber import Webhooks, start_webhooks

__all__ = ["Endpoint", "Webhooks", "start_webhooks"]
