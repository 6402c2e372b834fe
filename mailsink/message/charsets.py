"""Bytes to text with the charset a message declares, forgiving wrong and unknown labels.

Mail lies about its charsets: `us-ascii` parts carry UTF-8, `iso-8859-1` parts carry Windows
quotes, and some labels name no known charset at all. Decoding never fails here; a byte that
does not fit becomes U+FFFD. Labels follow what browsers do (WHATWG): `iso-8859-1` and `ascii`
decode as windows-1252, `gb2312` as gb18030, `shift_jis` as cp932, `ks_c_5601-1987` as cp949.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

# Labels whose bytes may just as well be UTF-8 (mislabelled) or windows-1252.
_GUESSED = "guess"

_ALIASES = {
    "": _GUESSED,
    "us-ascii": _GUESSED,
    "ascii": _GUESSED,
    "ansi_x3.4-1968": _GUESSED,
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "windows-1252": "cp1252",
    "x-user-defined": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "utf8": "utf-8",
}


@lru_cache(maxsize=256)
def codec_name(label: str | None) -> str | None:
    """The Python codec for a charset label, `"guess"` for ASCII-ish labels, None if unknown."""
    name = (label or "").strip().strip("\"'").strip().lower()
    if name.startswith("charset="):  # seen in the wild: charset="charset=utf-8"
        name = name[len("charset=") :].strip("\"'")
    name = _ALIASES.get(name, name)
    if name == _GUESSED:
        return name
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # Only real text encodings: "zlib" or "base64" are codecs too, but not charsets.
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode `data` as `charset` says; unknown or missing labels try UTF-8, then windows-1252."""
    name = codec_name(charset)
    if name in (None, _GUESSED, "utf-8"):
        if data.isascii():
            return data.decode("ascii")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            if name == "utf-8":
                return data.decode("utf-8", "replace")
            return data.decode("cp1252", "replace")
    try:
        return data.decode(name, "replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return data.decode("utf-8", "replace")
