"""Mailpit's `ListUnsubscribe` object: the List-Unsubscribe header, its links and what is wrong
with it (RFC 2369/8058), with Mailpit's checks and error texts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mailsink.message.headers import HeaderMap

_BRACKETED = re.compile(r"<(.*?)>")
_BETWEEN = re.compile(r">(.*?)<", re.S)
_JOIN = re.compile(r"^\s*,\s*$", re.S)
_WRAPPED = re.compile(r"^<.*>$", re.S)
_MAILTO = re.compile(r"^mailto:[a-zA-Z0-9]")
_HTTP = re.compile(r"^https?://[a-zA-Z0-9]", re.I)
_COMMENT = re.compile(r"\(.*?\)", re.S)


@dataclass(frozen=True, slots=True)
class ListUnsubscribe:
    header: str = ""
    links: list[str] = field(default_factory=list)
    errors: str = ""
    header_post: str = ""


def parse_list_unsubscribe(headers: HeaderMap) -> ListUnsubscribe:
    value = headers.get("List-Unsubscribe") or ""
    if not value:
        return ListUnsubscribe()
    links, errors = _links(value)
    return ListUnsubscribe(value, links, errors, headers.get("List-Unsubscribe-Post") or "")


def _links(header: str) -> tuple[list[str], str]:
    value = header.strip()
    for comment in _COMMENT.findall(value):
        value = value.replace(comment, "").strip()
    if not _BRACKETED.search(value):
        return [], f'"{value}" no valid unsubscribe links found'
    if not _WRAPPED.match(value):
        return [], f'"{value}" should be enclosed in <>'
    candidates = _BRACKETED.findall(value)
    if len(candidates) > 2:
        return [], f'"{value}" should include a maximum of one email and one HTTP link'
    if any(not _JOIN.match(between) for between in _BETWEEN.findall(value)):
        return [], f'"{value}" <> should be split with a comma and optional spaces'
    links: list[str] = []
    errors: list[str] = []
    seen_mailto = seen_http = False
    for link in candidates:
        if re.search(r"\s", link):
            errors.append(f'"{link}" should not contain spaces')
        elif _MAILTO.match(link):
            if seen_mailto:
                errors.append(f'"{link}" should only contain one mailto:')
            else:
                seen_mailto = True
                links.append(link)
        elif _HTTP.match(link):
            if seen_http:
                errors.append(f'"{link}" should only contain one HTTP link')
            elif not _is_request_uri(link):
                errors.append(f'parse "{link}": invalid URI for request')
            else:
                seen_http = True
                links.append(link)
        else:
            errors.append(f'"{link}" should start with either http(s):// or mailto:')
    return links, ", ".join(errors)


def _is_request_uri(link: str) -> bool:
    try:
        urlsplit(link)
    except ValueError:
        return False
    return True
