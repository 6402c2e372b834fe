"""One pass over an HTML body with the standard library's tolerant parser, collecting what the
HTML and link checks look at: elements with their attributes, style sheets, inline styles,
comments and the doctype. Nothing is fetched and nothing is rendered."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

MAX_ELEMENTS = 100_000  # past this a hostile body is scanned no further


@dataclass(frozen=True, slots=True)
class Element:
    tag: str
    attributes: dict[str, str]


@dataclass(slots=True)
class HtmlDocument:
    elements: list[Element] = field(default_factory=list)
    style_sheets: list[str] = field(default_factory=list)
    comments: int = 0
    has_doctype: bool = False
    has_body_tag: bool = False

    def attribute_values(self, tag: str, attribute: str) -> list[str]:
        return [
            e.attributes[attribute]
            for e in self.elements
            if e.tag == tag and e.attributes.get(attribute)
        ]

    @property
    def stylesheet_links(self) -> list[str]:
        """hrefs of `<link rel="stylesheet">`: reported by the checks, never downloaded."""
        return [
            e.attributes["href"]
            for e in self.elements
            if e.tag == "link"
            and "stylesheet" in e.attributes.get("rel", "").lower().split()
            and e.attributes.get("href")
        ]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.document = HtmlDocument()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if len(self.document.elements) >= MAX_ELEMENTS:
            return
        attributes = {name.lower(): (value or "").strip() for name, value in attrs}
        self.document.elements.append(Element(tag.lower(), attributes))
        if tag == "style":
            self._in_style = True
            self.document.style_sheets.append("")
        elif tag == "body":
            self.document.has_body_tag = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and self.document.style_sheets:
            self.document.style_sheets[-1] += data

    def handle_comment(self, data: str) -> None:
        self.document.comments += 1

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype"):
            self.document.has_doctype = True


def scan_html(markup: str) -> HtmlDocument:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector.document
