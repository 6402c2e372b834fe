"""`message.checks`: the checks of one captured message, each run on first use and then kept.

Example::

    message = sink.wait_for_one(to="alice@example.test")
    assert message.checks.auth.dkim[0].result == "pass"
    assert "css-display-flex" not in message.checks.html.slugs
    assert message.checks.deliverability.one_click
"""

from __future__ import annotations

import functools
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from mailsink.checks.settings import CheckNotEnabled, CheckSettings

if TYPE_CHECKING:
    from mailsink.checks.authentication import AuthReport
    from mailsink.checks.deliverability import Deliverability
    from mailsink.checks.html_compat import HtmlCheck
    from mailsink.checks.links import LinkCheck
    from mailsink.checks.resolver import CheckResolver
    from mailsink.checks.spamassassin import SpamResult
    from mailsink.message.captured import CapturedMessage


def resolver_for(path: Path | None) -> CheckResolver:
    """The resolver for an override file, read again only when the file changes."""
    stamp = path.stat().st_mtime_ns if path is not None else 0
    return _resolver(path, stamp)


@functools.lru_cache(maxsize=4)
def _resolver(path: Path | None, stamp: int) -> CheckResolver:
    from mailsink.checks.resolver import CheckResolver

    return CheckResolver.from_file(path)


class MessageChecks:
    """The checks of `message` under `settings` (what the sink was started with)."""

    def __init__(self, message: CapturedMessage, settings: CheckSettings) -> None:
        self._message = message
        self.settings = settings

    @cached_property
    def html(self) -> HtmlCheck | None:
        """HTML and CSS compatibility; None when the message has no HTML body."""
        from mailsink.checks.html_compat import check_html

        html = self._message.mime.html
        return check_html(html) if html else None

    @cached_property
    def links(self) -> LinkCheck:
        """Every link's status, redirects not followed (see `check_links`)."""
        return self.check_links(follow=False)

    def check_links(self, *, follow: bool) -> LinkCheck:
        """Request every link now; with `follow`, report where redirects end.

        Raises CheckNotEnabled unless the sink runs with `enable_link_check`."""
        from mailsink.checks.links import check_links, message_urls
        from mailsink.checks.safe_fetch import SafeFetcher

        if not self.settings.enable_link_check:
            raise CheckNotEnabled(
                "the link check is off: start mailsink with --enable-link-check "
                "(MailSink(enable_link_check=True))"
            )
        fetcher = SafeFetcher(
            resolver_for(self.settings.dns_override),
            allow_private=self.settings.link_check_allow_private,
        )
        urls = message_urls(self._message.links(), self._message.mime.html)
        return check_links(urls, fetcher, follow=follow)

    @cached_property
    def spam(self) -> SpamResult:
        """spamd's score. Raises CheckNotEnabled unless the sink runs with `spamassassin`."""
        from mailsink.checks.spamassassin import check_spam

        if self.settings.spamassassin is None:
            raise CheckNotEnabled(
                "no SpamAssassin configured: start mailsink with --spamassassin HOST:PORT "
                "(a running spamd)"
            )
        return check_spam(self._message.raw, self.settings.spamassassin)

    @cached_property
    def auth(self) -> AuthReport:
        """DKIM, SPF, DMARC and ARC results."""
        from mailsink.checks.authentication import check_authentication

        return check_authentication(
            self._message.raw,
            self._message.envelope,
            self._message.from_,
            resolver_for(self.settings.dns_override),
        )

    @cached_property
    def deliverability(self) -> Deliverability:
        from mailsink.checks.deliverability import check_deliverability

        return check_deliverability(self._message.headers, self._message.warnings)
