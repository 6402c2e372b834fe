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


def package_map_rows() -> list[tuple[set[str], set[str]]]:
    """(the backticked names of the first cell, those of the whole row) of each row of the
    package map in docs/architecture.md."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Package map", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            rows.append(
                (set(re.findall(r"`([^`]+)`", first_cell)), set(re.findall(r"`([^`]+)`", line)))
            )
    return rows


def test_the_package_map_names_every_module() -> None:
    """A module is named by its path in a row's first cell, or by its file name in the row of
    its folder (`mailsink/store/sqlite/` … `writer.py`)."""
    rows = package_map_rows()
    missing = []
    for module in sorted((ROOT / "mailsink").rglob("*.py")):
        path = module.relative_to(ROOT).as_posix()
        if module.name == "__init__.py" and path != "mailsink/__init__.py":
            continue
        folder = path.rsplit("/", 1)[0] + "/"
        named = any(
            path in first
            or (
                any(name.rsplit("/", 1)[0] + "/" == folder for name in first) and module.name in row
            )
            for first, row in rows
        )
        if not named:
            missing.append(path)
    assert missing == [], "give these a place in docs/architecture.md, Package map"
