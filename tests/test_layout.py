"""The layout is part of the design: every package ships, and the faces depend only on the core."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACES = ("mailsink/web",)
PROTOCOL_SERVERS = ("mailsink.smtp", "mailsink.pop3", "mailsink.imap")
MAIL_READERS = ("mailsink/pop3", "mailsink/imap")


def test_every_package_is_listed_for_installation() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "mailsink").rglob("__init__.py")
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return modules


def test_the_http_face_does_not_reach_into_protocol_servers() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in imported_modules(path) if m.startswith(PROTOCOL_SERVERS) or m == "mailsink"
        )
        for face in FACES
        for path in (ROOT / face).rglob("*.py")
    }
    assert {path: mods for path, mods in offenders.items() if mods} == {}


def test_pop3_and_imap_share_only_the_core_and_mailaccess() -> None:
    """Neither reading protocol imports the other, SMTP or the HTTP face."""
    offenders = {}
    for reader in MAIL_READERS:
        own = reader.replace("/", ".")
        for path in (ROOT / reader).rglob("*.py"):
            foreign = sorted(
                m
                for m in imported_modules(path)
                if m.startswith((*PROTOCOL_SERVERS, "mailsink.web")) and not m.startswith(own)
            )
            if foreign:
                offenders[str(path.relative_to(ROOT))] = foreign
    assert offenders == {}
