"""Header edits on raw message bytes that keep every other byte as it was."""

from __future__ import annotations


def edit_headers(raw: bytes, *, remove: set[str], replace: dict[str, str]) -> bytes:
    """`raw` with the header fields named in `remove` (lower-case) dropped and those in `replace`
    set: the first occurrence rewritten in place, later ones dropped, absent ones added on top.
    The body and every other header byte are kept."""
    end = _header_end(raw)
    head, body = raw[:end], raw[end:]
    newline = b"\r\n" if b"\r\n" in head or not head else b"\n"
    pending = {name.lower(): value for name, value in replace.items()}
    names = {name.lower(): name for name in replace}
    kept: list[bytes] = []
    for field in _header_fields(head):
        name = field.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        if name in remove or (name in names and name not in pending):
            continue
        if name in pending:
            field = f"{names[name]}: {pending.pop(name)}".encode() + newline
        kept.append(field)
    added = [f"{names[name]}: {value}".encode() + newline for name, value in pending.items()]
    return b"".join(added + kept) + body


def _header_end(raw: bytes) -> int:
    """Where the header block ends: at the blank line (kept with the body), or the whole text."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i != -1]
    if not ends:
        return len(raw)
    first = min(ends)
    return first + (2 if raw.startswith(b"\r\n", first) else 1)


def _header_fields(head: bytes) -> list[bytes]:
    """The header block split into fields, each with its folded continuation lines."""
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields
