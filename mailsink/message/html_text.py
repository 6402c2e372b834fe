"""Text out of an HTML body: for snippets and search (one line, as Mailpit's html2text.Strip),
for the text of a message that has no text part (readable lines), and its links.

Not a full HTML parser: linear scans with regular expressions that cannot be made to backtrack
by hostile markup. Comments and the contents of script, style, title, noscript and head are
dropped first; character references are decoded. `strip_html` runs on every HTML message at
ingest, so it works with whole-string substitutions rather than a Python loop over tags.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

_BLOCK_NAMES = (
    "address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|figure|footer|form|h[1-6]"
    "|header|hr|img|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)


@dataclass(frozen=True, slots=True)
class _Patterns:
    """The expressions `strip_html` needs, for mixed-case or for lower-case markup: with
    `re.IGNORECASE` they are several times slower, so search text (lower-cased anyway) is
    stripped from lower-cased markup without it, and so is markup whose tag names are all
    lower-case (most mail). `anchor` matches an `<a>` with an http(s) link."""

    hidden_start: re.Pattern[str]
    hidden_start_but_head: re.Pattern[str]
    closers: dict[str, re.Pattern[str]]
    block: re.Pattern[str]
    anchor: re.Pattern[str]

    @classmethod
    def compile(cls, flags: int) -> _Patterns:
        hidden = ("script", "style", "title", "noscript", "head")
        return cls(
            re.compile(r"<!--|<(script|style|title|noscript|head)\b", flags),
            re.compile(r"<!--|<(script|style|title|noscript)\b", flags),
            {name: re.compile(rf"</{name}\s*>", flags) for name in hidden},
            re.compile(rf"<(?:/?(?:{_BLOCK_NAMES}))\b[^<>]*>?", flags),
            re.compile(
                r"""<a\s[^<>]*?(?<![\w-])href\s*=\s*"""
                r"""(?:"(http[^"]*)"|'(http[^']*)'|(http[^\s"'<>]*))[^<>]*>?""",
                flags,
            ),
        )


_ANY_CASE = _Patterns.compile(re.IGNORECASE)
_LOWER_CASE = _Patterns.compile(0)
_UPPER_CASE_TAG_NAME = re.compile(r"</?[a-z0-9]*[A-Z]")
_BLOCK_NAME = re.compile(rf"(?:{_BLOCK_NAMES})", re.I)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)([^<>]*)>?|<[!?/][^<>]*>?")
_HREF = re.compile(r"""(?:^|\s)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")
_SPACES_IN_LINE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_URL = re.compile(r"""\b(?:https?://|mailto:)[^\s<>"'`]+""", re.I)
_URL_TRAILER = ".,;:!?)]}'\""


def _visible(markup: str, patterns: _Patterns = _ANY_CASE) -> str:
    """The markup without comments and hidden elements (script, style, title, noscript, head).

    An unclosed comment, script or style hides the rest, as in a browser; an unclosed head is
    just a tag.
    """
    out: list[str] = []
    pos = 0
    search = patterns.hidden_start.search
    while (found := search(markup, pos)) is not None:
        out.append(markup[pos : found.start()])
        name = found.group(1)
        if name is None:
            end = markup.find("-->", found.end())
            pos = len(markup) if end < 0 else end + 3
            continue
        name = name.lower()
        closer = patterns.closers[name].search(markup, found.end())
        if closer is not None:
            pos = closer.end()
        elif name == "head":  # no </head> anywhere after: every further <head> is a plain tag
            out.append(found.group(0))
            pos = found.end()
            search = patterns.hidden_start_but_head.search
        else:
            pos = len(markup)
    out.append(markup[pos:])
    return "".join(out)


def _href(attributes: str) -> str:
    found = _HREF.search(attributes)
    if found is None:
        return ""
    return html.unescape(found.group(1) or found.group(2) or found.group(3) or "").strip()


def strip_html(markup: str, *, include_links: bool = False) -> str:
    """One line of text, as Mailpit's `html2text.Strip`: with `include_links`, each http(s)
    link's URL is written before its text (so search finds it)."""
    if include_links or _UPPER_CASE_TAG_NAME.search(markup):
        return _strip(markup, include_links, _ANY_CASE)
    return _strip(markup, include_links, _LOWER_CASE)


def search_words_of_html(markup: str) -> str:
    """`strip_html(markup, include_links=True)`, lower-cased (for search text), faster."""
    return _strip(markup.lower(), True, _LOWER_CASE)


def _strip(markup: str, include_links: bool, patterns: _Patterns) -> str:
    if "<" not in markup and "&" not in markup:
        return one_line(markup)
    text = patterns.block.sub(" ", _visible(markup, patterns))
    if include_links:
        text = patterns.anchor.sub(_link_before_text, text)
    return one_line(html.unescape(_TAG.sub("", text)))


def _link_before_text(anchor: re.Match[str]) -> str:
    # A function, not the template r" \1\2\3 ": before Python 3.12 templates expand in Python.
    return f" {anchor[1] or anchor[2] or anchor[3]} "


def one_line(text: str) -> str:
    """Whitespace collapsed, control characters as spaces (`split` is much faster than a regex,
    and the regex runs only when something unprintable is left)."""
    line = " ".join(text.split())
    if not line.isprintable():
        line = " ".join(_CONTROL.sub(" ", line).split())
    return line


# Events of `_scan`: text, an opening tag (name, href) or a closing tag (name).
_TEXT, _OPEN, _CLOSE = 0, 1, 2


def _scan(markup: str) -> Iterator[tuple[int, str, str]]:
    """The visible markup as a stream of text and tags, for the readers that need its order."""
    markup = _visible(markup)
    pos = 0
    for tag in _TAG.finditer(markup):
        if tag.start() > pos:
            yield _TEXT, html.unescape(markup[pos : tag.start()]), ""
        pos = tag.end()
        name = tag.group(2)
        if name is None:
            continue  # doctype, processing instruction, stray end tag
        name = name.lower()
        if tag.group(1):
            yield _CLOSE, name, ""
        else:
            yield _OPEN, name, _href(tag.group(3)) if name in ("a", "area") else ""
    if pos < len(markup):
        yield _TEXT, html.unescape(markup[pos:]), ""


def html_to_text(markup: str) -> str:
    """Readable text for a message with only an HTML body: one line per block, links as
    `text ( URL )` like enmime's down-conversion."""
    out: list[str] = []
    anchor_href = ""
    anchor_start = 0
    for kind, value, href in _scan(markup):
        if kind == _TEXT:
            out.append(_collapse_spaces(value))
        elif kind == _OPEN and value == "a":
            anchor_href, anchor_start = href, len(out)
        elif kind == _CLOSE and value == "a" and anchor_href:
            text = "".join(out[anchor_start:]).strip()
            if _is_link(anchor_href) and anchor_href != text:
                out.append(f" ( {anchor_href} )" if text else anchor_href)
            anchor_href = ""
        elif _BLOCK_NAME.fullmatch(value):
            out.append("\n")
    text = _CONTROL.sub(" ", "".join(out))
    lines = (line.strip() for line in _SPACES_IN_LINE.sub(" ", text).split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()


def _collapse_spaces(text: str) -> str:
    """Runs of whitespace as one space, as HTML renders text (the ends keep one space)."""
    inner = " ".join(text.split())
    if not inner:
        return " " if text else ""
    return f"{' ' if text[0].isspace() else ''}{inner}{' ' if text[-1].isspace() else ''}"


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
    return [url.rstrip(_URL_TRAILER) for url in _URL.findall(text)]


def _is_link(href: str) -> bool:
    return not href.startswith("#") and not href.lower().startswith("javascript:")


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def html_meta_charset(data: bytes) -> str | None:
    """The charset a `<meta>` tag declares in the first 4 KB, for HTML parts without one."""
    found = _META_CHARSET.search(data, 0, 4096)
    return found.group(1).decode("ascii") if found else None
