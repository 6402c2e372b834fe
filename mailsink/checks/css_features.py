"""Which caniemail CSS features a piece of CSS uses: properties, values, units, functions,
at-rules, selectors and pseudo-classes, as feature slugs ("css-display-flex").

Regular expressions over the text, not a CSS parser: enough to tell what is used, linear in
the input, and indifferent to broken CSS (which mail is full of).
"""

from __future__ import annotations

import re
from collections import Counter

_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
_DECLARATION = re.compile(r"(?:^|[;{])\s*(--[\w-]+|-?[a-zA-Z][\w-]*)\s*:\s*([^;{}]*)(?=[;}]|$)")
_AT_RULE = re.compile(r"@([a-zA-Z-]+)")
_MEDIA_FEATURE = re.compile(
    r"\(\s*(?:-webkit-)?(?:min-|max-)?"
    r"(prefers-color-scheme|prefers-reduced-motion|orientation|hover|device-pixel-ratio)",
    re.I,
)
_FUNCTION = re.compile(r"([a-zA-Z-]+)\(")
_UNIT = re.compile(
    r"(?<![\w#.-])[-+]?(?:\d+\.?\d*|\.\d+)(px|em|rem|vh|vw|vmin|vmax|ch|ex|cm|mm|in|pt|pc|%)(?![\w%])",
    re.I,
)
_RULE = re.compile(r"([^{}@;]+)\{")
_PSEUDO = re.compile(r"(::?)([a-zA-Z-]+)")

# Properties whose feature is named after a family of properties.
_PROPERTY_FAMILIES = (
    (re.compile(r"margin-block-(start|end)$"), "css-margin-block-start-end"),
    (re.compile(r"margin-inline-(start|end)$"), "css-margin-inline-start-end"),
    (re.compile(r"margin-(inline|block)$"), "css-margin-inline-block"),
    (re.compile(r"padding-block-(start|end)$"), "css-padding-block-start-end"),
    (re.compile(r"padding-inline-(start|end)$"), "css-padding-inline-start-end"),
    (re.compile(r"padding-(inline|block)$"), "css-padding-inline-block"),
    (re.compile(r"border-(inline|block)$"), "css-border-inline-block"),
    (re.compile(r"border-(inline|block)-(start|end)$"), "css-border-inline-block-individual"),
    (
        re.compile(r"border-(inline|block)(-(start|end))?-(width|style|color)$"),
        "css-border-inline-block-longhand",
    ),
    (re.compile(r"border-(start|end)-(start|end)-radius$"), "css-border-radius-logical"),
    (re.compile(r"(top|right|bottom|left)$"), "css-left-right-top-bottom"),
    (re.compile(r"column-(gap|rule|span|width|fill)"), "css-column-layout-properties"),
    (re.compile(r"columns$"), "css-column-layout-properties"),
    (re.compile(r"grid-template"), "css-grid-template"),
    (re.compile(r"animation"), "css-animation"),
    (re.compile(r"transition"), "css-transition"),
    (re.compile(r"scroll-snap"), "css-scroll-snap"),
    (re.compile(r"(block|inline)-size$"), "css-block-inline-size"),
    (re.compile(r"--"), "css-variables"),
)
_FUNCTIONS = {
    "calc": "css-unit-calc",
    "clamp": "css-function-clamp",
    "min": "css-function-min",
    "max": "css-function-max",
    "light-dark": "css-function-light-dark",
    "var": "css-variables",
    "rgb": "css-rgb",
    "rgba": "css-rgba",
    "linear-gradient": "css-linear-gradient",
    "radial-gradient": "css-radial-gradient",
    "conic-gradient": "css-conic-gradient",
}
_UNITS = {"%": "css-unit-percent"}


def declaration_features(css: str) -> Counter[str]:
    """Features of declarations (`color: red; display: flex`), as in a style attribute."""
    found: Counter[str] = Counter()
    for name, value in _DECLARATION.findall(_COMMENT.sub("", css)):
        name, value = name.lower(), value.strip().lower()
        found[f"css-{name}"] += 1
        for pattern, slug in _PROPERTY_FAMILIES:
            if pattern.match(name):
                found[slug] += 1
                break
        if name == "display" and value.split()[:1] in (["flex"], ["grid"], ["none"]):
            found[f"css-display-{value.split()[0]}"] += 1
        if "!important" in value.replace(" ", ""):
            found["css-important"] += 1
        if "system-ui" in value:
            found["css-sytem-ui"] += 1  # (sic) the slug's spelling in the data
        if value == "initial":
            found["css-unit-initial"] += 1
        for function in _FUNCTION.findall(value):
            if function in _FUNCTIONS:
                found[_FUNCTIONS[function]] += 1
        for unit in _UNIT.findall(value):
            found[_UNITS.get(unit, f"css-unit-{unit.lower()}")] += 1
    return found


def stylesheet_features(css: str) -> Counter[str]:
    """Features of a `<style>` sheet: its declarations, at-rules, selectors, comments."""
    found = declaration_features(css)
    found["css-comments"] += len(_COMMENT.findall(css))
    css = _COMMENT.sub("", css)
    for rule in _AT_RULE.findall(css):
        found[f"css-at-{rule.lower()}"] += 1
    for feature in _MEDIA_FEATURE.findall(css):
        found[f"css-at-media-{feature.lower()}"] += 1
    for prelude in _RULE.findall(css):
        if not prelude.strip() or (":" in prelude and ";" in prelude):
            continue
        found.update(_selector_features(prelude))
    return found


def _selector_features(selectors: str) -> Counter[str]:
    found: Counter[str] = Counter()
    if re.fullmatch(r"\s*(from|to|\d+%)(\s*,\s*(from|to|\d+%))*\s*", selectors):
        return found  # keyframe steps
    if "," in selectors:
        found["css-selector-grouping"] += 1
    for selector in selectors.split(","):
        selector = selector.strip()
        for colons, name in _PSEUDO.findall(selector):
            kind = "element" if colons == "::" or name in ("before", "after") else "class"
            found[f"css-pseudo-{kind}-{name.lower()}"] += 1
        bare = _PSEUDO.sub("", re.sub(r"\[[^\]]*\]", "[]", selector))
        checks = (
            ("css-selector-class", "." in bare),
            ("css-selector-id", "#" in bare),
            ("css-selector-attribute", "[" in bare),
            ("css-selector-child", ">" in bare),
            ("css-selector-adjacent-sibling", "+" in bare),
            ("css-selector-general-sibling", "~" in bare),
            ("css-selector-universal", "*" in bare),
            ("css-selector-type", bool(re.search(r"(^|[\s>+~])[a-zA-Z]", bare))),
            ("css-selector-descendant", bool(re.search(r"[\w\]]\s+[\w.#\[*]", bare))),
            ("css-selector-chaining", bool(re.search(r"[\w\]][.#\[]", bare))),
        )
        found.update(slug for slug, used in checks if used)
    return found
