"""Text out of an HTML body: for snippets and search (one line, as Mailpit's html2text.Strip),
for the text of a message that has no text part (readable lines), and its links.

Not a full HTML parser: one linear scan of tags, which is fast and cannot be made to backtrack
by hostile markup. The contents of script, style, title, noscript and head are skipped;
character references are decoded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)|<[!?][^<>]*>?|<(/?)([a-zA-Z][a-zA-Z0-9:-]*)([^<>]*)>?", re.S
)
_SKIPPED = ("script", "style", "title", "noscript", "head")
_CLOSERS = {name: re.compile(rf"</{name}\s*>", re.I) for name in _SKIPPED}
_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "img",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_HREF = re.compile(r"""(?:^|\s)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")
_SPACES_IN_LINE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
URL = re.compile(r"""\b(?:https?://|mailto:)[^\s<>"'`]+""", re.I)
_URL_TRAILER = ".,;:!?)]}'\""

# Events of the scan: text, an opening tag (name, href) or a closing tag (name).
_TEXT, _OPEN, _CLOSE = 0, 1, 2


def _scan(markup: str) -> Iterator[tuple[int, str, str]]:
    pos = 0
    search = _MARKUP.search
    unclosed: set[str] = set()  # elements with no closing tag further on: do not look again
    while True:
        found = search(markup, pos)
        if found is None:
            if pos < len(markup):
                yield _TEXT, _unescape(markup[pos:]), ""
            return
        if found.start() > pos:
            yield _TEXT, _unescape(markup[pos : found.start()]), ""
        pos = found.end()
        name = found.group(2)
        if name is None:
            continue  # comment, doctype, processing instruction
        name = name.lower()
        if found.group(1):
            yield _CLOSE, name, ""
            continue
        if name in _CLOSERS:
            closer = None if name in unclosed else _CLOSERS[name].search(markup, pos)
            if closer is not None:
                pos = closer.end()
            elif name == "head":
                unclosed.add(name)
            else:
                return  # an unclosed script or style hides the rest, as in a browser
            continue
        href = ""
        if name in ("a", "area"):
            attr = _HREF.search(found.group(3))
            if attr is not None:
                href = html.unescape(attr.group(1) or attr.group(2) or attr.group(3) or "").strip()
        yield _OPEN, name, href


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def strip_html(markup: str, *, include_links: bool = False) -> str:
    """One line of text, as Mailpit's `html2text.Strip`: with `include_links`, each http(s)
    link's URL is written before its text (so search finds it)."""
    out: list[str] = []
    for kind, value, href in _scan(markup):
        if kind == _TEXT:
            out.append(value)
        elif value in _BLOCKS:
            out.append(" ")
        elif include_links and href.lower().startswith("http"):
            out.append(f" {href} ")
    return _one_line("".join(out))


def _one_line(text: str) -> str:
    """Whitespace collapsed, control characters as spaces (`split` is much faster than a regex,
    and the regex runs only when something unprintable is left)."""
    line = " ".join(text.split())
    if not line.isprintable():
        line = " ".join(_CONTROL.sub(" ", line).split())
    return line


def html_to_text(markup: str) -> str:
    """Readable text for a message with only an HTML body: one line per block, links as
    `text ( URL )` like enmime's down-conversion."""
    out: list[str] = []
    anchor_href = ""
    anchor_start = 0
    for kind, value, href in _scan(markup):
        if kind == _TEXT:
            out.append(_SPACE.sub(" ", value))
        elif kind == _OPEN and value == "a":
            anchor_href, anchor_start = href, len(out)
        elif kind == _CLOSE and value == "a" and anchor_href:
            text = "".join(out[anchor_start:]).strip()
            if _is_link(anchor_href) and anchor_href != text:
                out.append(f" ( {anchor_href} )" if text else anchor_href)
            anchor_href = ""
        elif value in _BLOCKS:
            out.append("\n")
    text = _CONTROL.sub(" ", "".join(out))
    lines = (line.strip() for line in _SPACES_IN_LINE.sub(" ", text).split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


def html_links(markup: str) -> list[str]:
    """Link targets in document order: `<a>`/`<area>` hrefs (not `#fragments` or
    `javascript:`), and URLs written out in the text."""
    found: list[str] = []
    for kind, value, href in _scan(markup):
        if kind == _TEXT:
            found.extend(text_links(value))
        elif href and _is_link(href):
            found.append(href)
    return found


def text_links(text: str) -> list[str]:
    """http(s) and mailto URLs written in plain text, without trailing punctuation."""
    return [url.rstrip(_URL_TRAILER) for url in URL.findall(text)]


def _is_link(href: str) -> bool:
    return not href.startswith("#") and not href.lower().startswith("javascript:")


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def html_meta_charset(data: bytes) -> str | None:
    """The charset a `<meta>` tag declares in the first 4 KB, for HTML parts without one."""
    found = _META_CHARSET.search(data, 0, 4096)
    return found.group(1).decode("ascii") if found else None
