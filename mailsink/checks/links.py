"""The link check: every http(s) link, image and stylesheet URL of a message with the HTTP
status it answers, requested through `SafeFetcher` a few at a time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from mailsink.checks.html_scan import scan_html
from mailsink.checks.safe_fetch import LinkStatus, SafeFetcher

PARALLEL_REQUESTS = 5
MAX_LINKS = 200  # a message with more is checked for its first 200


@dataclass(frozen=True, slots=True)
class LinkCheck:
    links: list[LinkStatus] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """Links that answered 400 or above, or not at all (Mailpit's `Errors`)."""
        return sum(1 for link in self.links if not link.ok)

    def status_of(self, url: str) -> LinkStatus:
        for link in self.links:
            if link.url == url:
                return link
        raise KeyError(f"{url!r} is not among the checked links: {[x.url for x in self.links]}")


def message_urls(links: list[str], html: str | None) -> list[str]:
    """http(s) URLs to check: the message's links (text and HTML), then images and
    stylesheets, each once."""
    urls = list(links)
    if html:
        document = scan_html(html)
        urls += document.attribute_values("img", "src") + document.stylesheet_links
    checked = (u for u in urls if u.lower().startswith(("http://", "https://")))
    return list(dict.fromkeys(checked))[:MAX_LINKS]


def check_links(urls: list[str], fetcher: SafeFetcher, *, follow: bool) -> LinkCheck:
    if not urls:
        return LinkCheck()
    with ThreadPoolExecutor(min(PARALLEL_REQUESTS, len(urls))) as pool:
        statuses = list(pool.map(lambda url: fetcher.status(url, follow=follow), urls))
    return LinkCheck(statuses)
