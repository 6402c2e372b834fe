"""Modified UTF-7 mailbox names: the RFC's examples, agreement with an independent codec
(imap-tools'), one spelling per name, and a clear error for anything else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imap_tools.imap_utf7 import utf7_decode, utf7_encode

from mailsink.imap.syntax import string, tokenize
from mailsink.imap.utf7 import MailboxNameError, decode_mailbox_name, encode_mailbox_name

# Text without lone surrogates: everything a mailbox name could be.
NAMES = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("INBOX", "INBOX"),
        ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),  # RFC 3501 §5.1.3
        ("été", "&AOk-t&AOk-"),
        ("R&D", "R&-D"),
        ("&", "&-"),
        ("😀", "&2D3eAA-"),  # beyond the BMP: a UTF-16 surrogate pair
        ('a b"c\\d', 'a b"c\\d'),  # printable ASCII stands for itself, quotes too
        ("tab\there", "tab&AAk-here"),  # control characters are encoded
    ],
)
def test_names_and_their_spelling_on_the_wire(name: str, wire: str) -> None:
    assert encode_mailbox_name(name) == wire
    assert decode_mailbox_name(wire) == name


@settings(max_examples=300, deadline=None, database=None)
@given(NAMES)
def test_the_codec_agrees_with_imap_tools_and_round_trips(name: str) -> None:
    wire = encode_mailbox_name(name)
    assert wire.isascii()
    assert wire.isprintable()
    assert wire == utf7_encode(name).decode("ascii")
    assert decode_mailbox_name(wire) == name == utf7_decode(wire.encode("ascii"))


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ("&AOk", "an '&' without the '-' that ends it"),
        ("été", "'\\xe9' must be written in modified UTF-7"),  # 8-bit, as sent without encoding
        ("a\x00b", "'\\x00' must be written in modified UTF-7"),
        ("&Jjo!-", "'Jjo!' is not modified base64"),
        ("&AOk/-", "'AOk/' is not modified base64"),  # "/" is "," in modified base64
        ("&AOk=-", "'AOk=' is not modified base64"),  # no padding
        ("&A-", "'A' is not base64 of UTF-16"),
        ("&2D0-", "'2D0' is not base64 of UTF-16"),  # a lone high surrogate
        ("&AEE-", "not the one spelling of its name, which is 'A'"),  # ASCII in base64
        ("&AOk-&AOk-", "not the one spelling of its name, which is '&AOkA6Q-'"),  # two runs
        ("&AOl-", "not the one spelling of its name, which is '&AOk-'"),  # stray bits
    ],
)
def test_what_is_not_modified_utf7_is_refused_with_the_reason(wire: str, reason: str) -> None:
    with pytest.raises(MailboxNameError) as refused:
        decode_mailbox_name(wire)
    assert str(refused.value).startswith(reason)
    assert str(refused.value).isascii()


@pytest.mark.parametrize("name", ["a b", 'say "hi"', "back\\slash", 'all \\ " of them', "été & co"])
def test_a_name_on_the_wire_reads_back_as_itself(name: str) -> None:
    """What LIST and STATUS write (a quoted string, escapes where needed) is what a client's
    parser, and mailsink's own, read back: the name's modified UTF-7 spelling."""
    written = string(encode_mailbox_name(name))
    assert written.startswith(b'"')
    assert written.endswith(b'"')
    [token] = tokenize(written)
    assert isinstance(token, bytes)
    assert token.decode() == encode_mailbox_name(name)
    assert decode_mailbox_name(token.decode()) == name
