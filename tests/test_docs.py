"""The docs cite each other by section ("docs/interface.md, What is captured"): every such
citation in code, tests and docs must name a heading that exists, so a renamed section shows up
here instead of leaving citations that lead nowhere."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITED_DOCS = ("interface", "mailpit-api", "mailhog-api")
SEARCHED = ("mailsink", "pytest_plugin", "tests", "bench", "frontend", "docs", "README.md")
CITATION = re.compile(r"docs/(" + "|".join(CITED_DOCS) + r")\.md, ")
# Comment and docstring continuation lines: indentation, `#` or `//` before the text.
LINE_START = re.compile(r"\n[ \t]*(?:#|//)?[ \t]*")


def headings(doc: str) -> list[str]:
    text = (ROOT / "docs" / f"{doc}.md").read_text()
    return re.findall(r"^#{2,4} (.+?)\s*$", text, flags=re.MULTILINE)


def cited_sections() -> list[tuple[str, str, str]]:
    """(file, doc, the text after the citation's comma, on one line)."""
    found = []
    for top in SEARCHED:
        path = ROOT / top
        files = [path] if path.is_file() else path.rglob("*")
        for file in files:
            if file.suffix not in (".py", ".md", ".js") or "node_modules" in file.parts:
                continue
            text = LINE_START.sub(" ", file.read_text())
            for match in CITATION.finditer(text):
                after = text[match.end() : match.end() + 80]
                found.append((str(file.relative_to(ROOT)), match.group(1), after))
    return found


def test_citations_name_existing_sections() -> None:
    citations = cited_sections()
    assert citations, "no citation found: the pattern no longer matches how the docs cite"
    sections = {doc: headings(doc) for doc in CITED_DOCS}
    broken = [
        f"{file}: docs/{doc}.md, {after[:40]}…"
        for file, doc, after in citations
        if not any(after.startswith(heading) for heading in sections[doc])
    ]
    assert broken == []
