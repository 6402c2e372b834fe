"""HTML compatibility: which HTML and CSS features a message's HTML uses, and how well email
clients support each, from the caniemail data shipped in `data/caniemail.json` (see
`data/README.md` for its version, date and licence; `scripts/refresh-caniemail` updates it).

Nothing is fetched: an external stylesheet is reported as the `html-link` feature and listed in
`external_stylesheets`, never downloaded. A client's support is its most recent test result
("y" yes, "a" partial, "n" no; "u" unknown results do not count). A feature's score is the share
of clients per answer; the message's total weights each feature by how much of the document
uses it and takes the worst, so one unsupported `<video>` among a thousand table cells does not
make the message fail.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from mailsink.checks.css_features import declaration_features, stylesheet_features
from mailsink.checks.html_scan import HtmlDocument, scan_html

_ELEMENT_FEATURES = {
    **{f"h{n}": "html-h1-h6" for n in range(1, 7)},
    **dict.fromkeys(("ul", "ol", "dl"), "html-lists"),
    **dict.fromkeys(
        [
            "article",
            "aside",
            "details",
            "figcaption",
            "figure",
            "footer",
            "header",
            "main",
            "mark",
            "nav",
            "section",
            "summary",
            "time",
        ],
        "html-semantics",
    ),
    "embed": "html-object",
    "map": "html-image-maps",
}
_ATTRIBUTE_FEATURES = {
    "loading": "html-loading-attribute",
    "usemap": "html-image-maps",
    "inert": "css-inert-attribute",
}
_IMAGE_FORMATS = {"jpeg": "jpg", "tif": "tiff", "heic": "heif"}
_EXTENSION = re.compile(r"\.([a-z0-9]{2,5})$")
_NOTE = re.compile(r"#(\d+)")
_SUPPORT = {"y": "yes", "a": "partial", "n": "no"}
_NOT_CONTENT = frozenset(("html", "head", "meta", "title", "base", "link", "style"))


@dataclass(frozen=True, slots=True)
class ClientSupport:
    """One email client's most recent result: `support` is yes, partial or no."""

    name: str
    family: str
    platform: str
    version: str
    support: str
    note_number: str = ""


@dataclass(frozen=True, slots=True)
class FeatureScore:
    found: int
    supported: float
    partial: float
    unsupported: float


@dataclass(frozen=True, slots=True)
class HtmlFeature:
    slug: str
    title: str
    description: str
    url: str
    category: str
    tags: list[str]
    keywords: str
    results: list[ClientSupport]
    notes_by_number: dict[str, str]
    score: FeatureScore


@dataclass(frozen=True, slots=True)
class HtmlTotal:
    nodes: int
    tests: int
    supported: float
    partial: float
    unsupported: float


@dataclass(frozen=True, slots=True)
class HtmlCheck:
    """`warnings` are the features used that some clients do not fully support, worst first;
    `features` are all the features used."""

    warnings: list[HtmlFeature]
    features: list[HtmlFeature]
    platforms: dict[str, list[str]]
    total: HtmlTotal
    external_stylesheets: list[str] = field(default_factory=list)
    data_updated: str = ""

    @property
    def slugs(self) -> set[str]:
        return {f.slug for f in self.features}

    def feature(self, slug: str) -> HtmlFeature:
        for found in self.features:
            if found.slug == slug:
                return found
        raise KeyError(f"the HTML does not use {slug!r}; it uses {sorted(self.slugs)}")


@dataclass(frozen=True, slots=True)
class CanIEmailData:
    updated: str
    nicenames: dict[str, dict[str, str]]
    features: dict[str, dict[str, Any]]

    @property
    def platforms(self) -> dict[str, list[str]]:
        """Each client family's name and the names of the platforms it was tested on."""
        names = self.nicenames
        seen: dict[str, dict[str, None]] = {}
        for feature in self.features.values():
            for family, platforms in feature["stats"].items():
                shown = names["family"].get(family, family)
                for platform in platforms:
                    seen.setdefault(shown, {})[names["platform"].get(platform, platform)] = None
        return {family: list(platforms) for family, platforms in seen.items()}


@functools.cache
def caniemail_data() -> CanIEmailData:
    text = files("mailsink.checks").joinpath("data/caniemail.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    return CanIEmailData(
        raw["last_update_date"], raw["nicenames"], {f["slug"]: f for f in raw["data"]}
    )


def detect_features(document: HtmlDocument) -> Counter[str]:
    """Feature slugs (known to caniemail or not) with how often the document uses each."""
    found: Counter[str] = Counter()
    if document.has_doctype:
        found["html-doctype"] += 1
    if document.comments:
        found["html-comments"] += document.comments
    for element in document.elements:
        tag, attributes = element.tag, element.attributes
        found[_ELEMENT_FEATURES.get(tag, f"html-{tag}")] += 1
        if tag == "input":
            found[f"html-input-{attributes.get('type', 'text').lower()}"] += 1
        elif tag == "button" and attributes.get("type"):
            found[f"html-button-{attributes['type'].lower()}"] += 1
        elif tag == "a":
            href = attributes.get("href", "")
            if href.startswith("#"):
                found["html-anchor-links"] += 1
            elif href.lower().startswith("mailto:"):
                found["html-mailto-links"] += 1
        elif tag == "meta" and attributes.get("name", "").lower() == "color-scheme":
            found["html-meta-color-scheme"] += 1
        elif tag == "img" and attributes.get("src"):
            found[_image_feature(attributes["src"])] += 1
        for name, value in attributes.items():
            found[_ATTRIBUTE_FEATURES.get(name, f"html-{name}")] += 1
            if name == "style":
                found.update(declaration_features(value))
    for sheet in document.style_sheets:
        found.update(stylesheet_features(sheet))
    return found


def _image_feature(src: str) -> str:
    if src.lower().startswith("data:image/"):
        return "image-base64"
    extension = _EXTENSION.search(src.lower().split("?")[0].split("#")[0])
    name = extension.group(1) if extension else ""
    return f"image-{_IMAGE_FORMATS.get(name, name)}"


def check_html(html: str) -> HtmlCheck:
    data = caniemail_data()
    document = scan_html(html)
    nodes = max(1, sum(1 for e in document.elements if e.tag not in _NOT_CONTENT))
    used = detect_features(document)
    features = [
        _feature(data, slug, count) for slug, count in sorted(used.items()) if slug in data.features
    ]

    def weighted(feature: HtmlFeature, share: float) -> float:
        return share * min(1.0, feature.score.found / nodes)

    warnings = sorted(
        (f for f in features if f.score.partial or f.score.unsupported),
        key=lambda f: weighted(f, f.score.partial + f.score.unsupported),
        reverse=True,
    )
    partial = max((weighted(f, f.score.partial) for f in warnings), default=0.0)
    unsupported = max((weighted(f, f.score.unsupported) for f in warnings), default=0.0)
    total = HtmlTotal(
        nodes,
        len(data.features),
        round(100 - partial - unsupported, 2),
        round(partial, 2),
        round(unsupported, 2),
    )
    return HtmlCheck(
        warnings, features, data.platforms, total, document.stylesheet_links, data.updated
    )


def _feature(data: CanIEmailData, slug: str, found: int) -> HtmlFeature:
    raw = data.features[slug]
    names = data.nicenames
    results = []
    for family, platforms in raw["stats"].items():
        for platform, versions in platforms.items():
            if not versions:
                continue
            version, answer = list(versions.items())[-1]
            support = _SUPPORT.get(str(answer)[:1])
            if support is None:
                continue
            note = _NOTE.search(str(answer))
            results.append(
                ClientSupport(
                    f"{names['family'].get(family, family)} "
                    f"{names['platform'].get(platform, platform)} ({version})",
                    family,
                    platform,
                    version,
                    support,
                    note.group(1) if note else "",
                )
            )
    counts = Counter(r.support for r in results)
    total = max(1, len(results))
    score = FeatureScore(
        found,
        round(counts["yes"] * 100 / total, 2),
        round(counts["partial"] * 100 / total, 2),
        round(counts["no"] * 100 / total, 2),
    )
    return HtmlFeature(
        slug,
        raw["title"],
        raw.get("description") or "",
        raw["url"],
        raw["category"],
        list(raw.get("tags") or []),
        raw.get("keywords") or "",
        results,
        dict(raw.get("notes_by_num") or {}),
        score,
    )
