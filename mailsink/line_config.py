"""Line-oriented configuration files (htpasswd, flat `key: value` relay files).

Both skip blank lines and `#` comments and split each remaining line at its first separator;
an error names the file and line, so a typo is found at start, not at the first login.
"""

from __future__ import annotations

from collections.abc import Iterator


def config_lines(
    text: str, separator: str, source: str, shape: str
) -> Iterator[tuple[int, str, str]]:
    """`(line number, key, value)` for each line of `text`, both sides stripped.

    Raises ValueError naming `source`, the line and the expected `shape` for a line without
    `separator` or key:

    >>> list(config_lines("# users\\nalice: secret\\n", ":", "users.txt", "user:password"))
    [(2, 'alice', 'secret')]
    """
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, found, value = stripped.partition(separator)
        if not found or not key.strip():
            raise ValueError(f"{source}:{number}: expected {shape!r}, got {stripped!r}")
        yield number, key.strip(), value.strip()
