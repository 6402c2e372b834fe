"""Message parts served from the UI's origin, made inert there.

A part is the attacker's bytes under the attacker's Content-Type, and it is served from the
same origin as the UI. Were a `<script src>` or `<iframe src>` naming a part ever to reach a
page of ours, the browser would run it as ours. So every part response carries a CSP whose
`sandbox` gives a document opened from it (HTML, SVG, XML…) no scripts, no plugins and an
opaque origin; and a type a browser would run from `<script>`, `<link rel=stylesheet>` or
`WebAssembly.instantiateStreaming` is served as `text/plain`, which `nosniff` keeps from being
run or applied. The bytes are exact; the JSON shapes keep the true `ContentType`.
"""

from __future__ import annotations

from starlette.responses import Response

# A part opened in the browser is a document from the message: no script, no plugin, no origin.
PART_POLICY = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"

# Types a page runs as code from a subresource: the JavaScript MIME types of the WHATWG MIME
# Sniffing standard, JSON modules' and WebAssembly's, and style sheets.
RUNNABLE_TYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/x-ecmascript",
        "application/x-javascript",
        "text/ecmascript",
        "text/javascript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "text/jscript",
        "text/livescript",
        "text/x-ecmascript",
        "text/x-javascript",
        "application/wasm",
        "text/css",
    }
)
INERT_TYPE = "text/plain"


def served_type(content_type: str) -> str:
    """The Content-Type a part is served under: its own, but `text/plain` for runnable types.

    >>> served_type("text/javascript"), served_type("image/png")
    ('text/plain', 'image/png')
    """
    return INERT_TYPE if content_type.strip().lower() in RUNNABLE_TYPES else content_type


def part_response(data: bytes, content_type: str, disposition: str) -> Response:
    """A part's decoded bytes, exact, made inert in our origin (see the module docstring)."""
    headers = {"Content-Disposition": disposition, "Content-Security-Policy": PART_POLICY}
    return Response(data, media_type=served_type(content_type), headers=headers)
