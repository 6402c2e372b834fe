"""The MIME tree: PartIDs, classification, decoding, limits and broken structure."""

from __future__ import annotations

import json
import random

import pytest

from mailsink.message.mime import MAX_DEPTH, find_part, mime_tree_json, parse_message
from tests.builders import many_parts, nested, newsletter, text_message, to_bytes


def ids(raw: bytes) -> dict[str, str]:
    return {part.part_id: part.content_type for part in parse_message(raw).root.walk()}


def test_single_part_message_is_root_zero() -> None:
    assert ids(to_bytes(text_message())) == {"0": "text/plain"}


def test_part_ids_follow_enmime_for_nested_multiparts() -> None:
    assert ids(to_bytes(newsletter())) == {
        "0": "multipart/mixed",
        "1.0": "multipart/alternative",
        "1.1": "text/plain",
        "1.2.0": "multipart/related",
        "1.2.1": "text/html",
        "1.2.2": "image/png",
        "2": "application/pdf",
    }


def test_reference_example_pdf_is_part_2() -> None:
    message = text_message("text")
    message.add_alternative("<p>html</p>", subtype="html")
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="file.pdf")
    parsed = parse_message(to_bytes(message))
    assert [(p.part_id, p.filename) for p in parsed.attachments] == [("2", "file.pdf")]


def test_attached_message_has_the_embedded_tree_as_its_child() -> None:
    inner = newsletter()
    inner.replace_header("Subject", "Inner")
    single = text_message("just text")
    outer = text_message("see attached")
    outer.add_attachment(inner)
    outer.add_attachment(single)
    parsed = parse_message(to_bytes(outer))
    tree = {part.part_id: part.content_type for part in parsed.root.walk()}
    assert tree["2"] == "message/rfc822"
    assert tree["2.0"] == "multipart/mixed"
    assert tree["2.1.0"] == "multipart/alternative"
    assert tree["2.1.2.2"] == "image/png"
    assert tree["2.2"] == "application/pdf"
    assert tree["3"] == "message/rfc822"
    assert tree["3.1"] == "text/plain"
    # The embedded message's parts are not the outer message's bodies or attachments.
    assert parsed.text == "see attached\r\n"  # line endings as sent, as enmime keeps them
    assert [p.part_id for p in parsed.attachments] == ["2", "3"]
    pdf, attached = find_part(parsed, "2.2"), find_part(parsed, "2")
    assert pdf is not None
    assert pdf.data == b"%PDF-1.4 fake"
    assert attached is not None
    assert attached.headers.get("Content-Type") == "message/rfc822"


def test_classification_of_newsletter() -> None:
    parsed = parse_message(to_bytes(newsletter()))
    assert parsed.text == "Plain version\r\n"
    assert parsed.html.startswith("<html><body><p>HTML")
    assert [p.part_id for p in parsed.attachments] == ["2"]
    assert [p.part_id for p in parsed.inlines] == ["1.2.2"]
    assert [(p.part_id, p.content_id) for p in parsed.shown_inlines] == [("1.2.2", "logo@x")]
    assert parsed.shown_attachments[0].filename == "invoice.pdf"


def test_cid_image_without_disposition_is_an_other_part_shown_inline() -> None:
    raw = (
        b"Content-Type: multipart/related; boundary=r\r\n\r\n"
        b"--r\r\nContent-Type: text/html\r\n\r\n<img src=cid:a>\r\n"
        b"--r\r\nContent-Type: image/gif\r\nContent-ID: <a>\r\n\r\nGIF89a\r\n"
        b"--r\r\nContent-Type: image/gif\r\n\r\nanonymous\r\n--r--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.inlines == []
    assert parsed.attachments == []
    assert [p.part_id for p in parsed.other_parts] == ["2", "3"]
    assert [p.part_id for p in parsed.shown_inlines] == ["2"]  # needs a name or Content-ID


def test_mixed_joins_text_parts_and_alternative_takes_the_first() -> None:
    mixed = (
        b"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
        b"--m\r\nContent-Type: text/plain\r\n\r\none\r\n"
        b"--m\r\nContent-Type: text/plain\r\nContent-Disposition: inline\r\n\r\ntwo\r\n"
        b"--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnot body\r\n"
        b"--m--\r\n"
    )
    parsed = parse_message(mixed)
    assert parsed.text == "one\n--\ntwo"
    assert [p.part_id for p in parsed.inlines] == ["2"]  # enmime counts inline text parts
    assert [p.part_id for p in parsed.attachments] == ["3"]
    alternative = mixed.replace(b"multipart/mixed", b"multipart/alternative")
    assert parse_message(alternative).text == "one"


def test_html_only_message_gets_text_converted_from_html() -> None:
    raw = (
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><title>T</title><style>p {}</style></head><body>"
        b"<p>Hello&nbsp;there</p><p>Click <a href='https://x.test/a?b=1&amp;c=2'>here</a></p>"
        b"<script>alert(1)</script></body></html>"
    )
    parsed = parse_message(raw)
    assert not parsed.has_text_part
    assert parsed.text == "Hello there\nClick here ( https://x.test/a?b=1&c=2 )"


def test_attachment_only_message() -> None:
    raw = (
        b"Content-Type: application/pdf; name=report.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n"
    )
    parsed = parse_message(raw)
    assert [(p.part_id, p.filename, p.data) for p in parsed.attachments] == [
        ("0", "report.pdf", b"%PDF-1.4")
    ]
    assert parsed.text == ""
    assert parsed.html == ""


@pytest.mark.parametrize(
    ("charset", "encoded", "expected"),
    [
        ("iso-8859-1", "Grüße".encode("latin-1"), "Grüße"),
        ("iso-8859-1", b"\x93quoted\x94", "\u201cquoted\u201d"),  # mislabelled windows-1252
        ("windows-1252", "€ café".encode("cp1252"), "€ café"),
        ("iso-2022-jp", "日本語のメール".encode("iso-2022-jp"), "日本語のメール"),
        ("shift_jis", "日本語".encode("shift_jis"), "日本語"),
        ("x-no-such-charset", "naïve".encode(), "naïve"),
        ("us-ascii", "mislabelled ü".encode(), "mislabelled ü"),
        ("", b"caf\xe9", "café"),
    ],
)
def test_text_is_decoded_with_its_charset(charset: str, encoded: bytes, expected: str) -> None:
    param = f"; charset={charset}" if charset else ""
    raw = f"Content-Type: text/plain{param}\r\n\r\n".encode() + encoded
    assert parse_message(raw).text == expected


def test_html_meta_charset_is_used_when_the_part_declares_none() -> None:
    body = '<meta charset="windows-1252"><p>caf\xe9 \u2013 ok</p>'.encode("cp1252")
    parsed = parse_message(b"Content-Type: text/html\r\n\r\n" + body)
    assert "café – ok" in parsed.html


def test_quoted_printable_and_base64_bodies() -> None:
    message = text_message("Ünïcödé line that is long enough to be wrapped " * 4)
    message.add_attachment("naïve data".encode(), maintype="text", subtype="csv", filename="a.csv")
    raw = to_bytes(message)
    assert b"Content-Transfer-Encoding: base64" in raw or b"quoted-printable" in raw
    parsed = parse_message(raw)
    assert parsed.text.startswith("Ünïcödé line")
    assert parsed.attachments[0].data == "naïve data".encode()
    qp = (
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
        b"\r\n\r\ncaf=C3=A9 soft=\r\nbreak =3D equals\r\n"
    )
    assert parse_message(qp).text == "café softbreak = equals\r\n"


def test_broken_base64_yields_what_can_be_read() -> None:
    raw = b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    parsed = parse_message(raw + b"aGVs*bG8gd2\r\n9ybGQh!x\r\n")
    assert parsed.attachments[0].data == b"hello world!"


@pytest.mark.parametrize(
    ("disposition", "content_type", "expected"),
    [
        ("attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", "application/pdf", "€ rates.pdf"),
        ("attachment; filename*0*=utf-8''na%C3%AF; filename*1=ve.txt", "text/plain", "naïve.txt"),
        ('attachment; filename="=?UTF-8?B?w6l0w6kuanBn?="', "image/jpeg", "été.jpg"),
        ("attachment", 'application/pdf; name="from-type.pdf"', "from-type.pdf"),
        ("attachment; filename=unquoted name.txt", "text/plain", "unquoted name.txt"),
    ],
)
def test_file_names(disposition: str, content_type: str, expected: str) -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=z\r\n\r\n--z\r\n"
        + f"Content-Type: {content_type}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        + b"data\r\n--z--\r\n"
    )
    assert parse_message(raw).attachments[0].filename == expected


def test_unclosed_boundary_keeps_the_last_part_and_warns() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=b1\r\n\r\npreamble\r\n"
        b"--b1\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
        b"--b1x not a delimiter\r\n"
        b"--b1\r\nContent-Type: text/plain\r\n\r\nsecond, cut off"
    )
    parsed = parse_message(raw)
    assert [p.data for p in parsed.root.children] == [
        b"first\r\n--b1x not a delimiter",
        b"second, cut off",
    ]
    assert parsed.warnings == ['boundary "b1" of part 0 was not closed']


def test_boundary_not_found_or_missing() -> None:
    wrong = b"Content-Type: multipart/alternative; boundary=nope\r\n\r\n--other\r\n\r\nx\r\n"
    parsed = parse_message(wrong)
    assert parsed.root.children == []
    assert parsed.warnings == ['boundary "nope" of part 0 was not found']
    assert (parsed.text, parsed.html, parsed.attachments) == ("", "", [])
    missing = b"Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n"
    parsed = parse_message(missing)
    assert parsed.warnings == ["multipart/mixed part 0 has no boundary"]
    assert parsed.root.data == b"no boundary at all\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n",
        b"Subject: header only",
        b"Subject: no separator\r\nthis line is not a header\r\nbody",
        b"no headers at all, just text",
        b"\x00\xff\xfe binary \x80\x81",
        b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!",
        b'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n',
        b'Content-Type: ;;;="\r\nContent-Disposition: =;\r\n\r\nx',
        random.Random(4096).randbytes(4096),  # the same bytes on every xdist worker
    ],
)
def test_hostile_input_never_raises(raw: bytes) -> None:
    parsed = parse_message(raw)
    json.dumps(mime_tree_json(parsed.root))
    for part in parsed.root.walk():
        part.text()
    assert isinstance(parsed.text, str)
    assert isinstance(parsed.html, str)


def test_body_without_blank_line_starts_at_first_non_header_line() -> None:
    parsed = parse_message(b"Subject: x\r\nthis is body\r\nmore")
    assert parsed.headers["Subject"] == "x"
    assert parsed.text == "this is body\r\nmore"


def test_ten_thousand_parts_are_capped() -> None:
    parsed = parse_message(many_parts(10_000))
    assert len(parsed.root.children) == 999  # 1,000 parts with the root
    assert parsed.warnings == ["the message has more than 1,000 MIME parts; the rest were not read"]
    assert parsed.root.children[-1].part_id == "999"


def test_two_hundred_levels_are_capped_without_recursion_error() -> None:
    parsed = parse_message(nested(200))
    depth, part = 0, parsed.root
    while part.children:
        part, depth = part.children[0], depth + 1
    assert depth == MAX_DEPTH
    assert part.content_type == "multipart/mixed"
    assert part.children == []
    assert parsed.warnings[0] == f"MIME parts nested deeper than {MAX_DEPTH} levels were not read"
    json.dumps(mime_tree_json(parsed.root))


def test_shallow_nesting_reaches_the_text() -> None:
    parsed = parse_message(nested(5))
    assert parsed.text == "deep"
    assert parsed.warnings == []
    assert find_part(parsed, "1.1.1.1.1") is not None


def test_mime_tree_json_shape() -> None:
    tree = mime_tree_json(parse_message(to_bytes(newsletter())).root)
    assert set(tree) == {
        "PartID", "ContentType", "Params", "Charset", "TransferEncoding", "Disposition",
        "FileName", "ContentID", "Size", "Children",
    }  # fmt: skip
    pdf = tree["Children"][1]
    assert pdf["PartID"] == "2"
    assert pdf["FileName"] == "invoice.pdf"
    assert pdf["Disposition"] == "attachment"
    assert pdf["Size"] == len(b"%PDF-1.4 fake")
    assert tree["Params"]["boundary"]
    image = tree["Children"][0]["Children"][1]["Children"][1]
    assert (image["PartID"], image["ContentID"]) == ("1.2.2", "logo@x")


def test_digest_parts_default_to_messages() -> None:
    raw = (
        b"Content-Type: multipart/digest; boundary=d\r\n\r\n"
        b"--d\r\n\r\nSubject: one\r\n\r\nfirst\r\n--d--\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.root.children[0].content_type == "message/rfc822"
    assert parsed.root.children[0].children[0].headers["Subject"] == "one"


def test_list_unsubscribe() -> None:
    good = text_message(
        List_Unsubscribe="<mailto:unsub@x.test>, <https://x.test/u?id=1>",
        List_Unsubscribe_Post="List-Unsubscribe=One-Click",
    )
    parsed = parse_message(to_bytes(good)).list_unsubscribe
    assert parsed.links == ["mailto:unsub@x.test", "https://x.test/u?id=1"]
    assert parsed.errors == ""
    assert parsed.header_post == "List-Unsubscribe=One-Click"
    bad = parse_message(to_bytes(text_message(List_Unsubscribe="https://x.test/u")))
    assert bad.list_unsubscribe.errors == '"https://x.test/u" no valid unsubscribe links found'
    none = parse_message(to_bytes(text_message())).list_unsubscribe
    assert (none.header, none.links, none.errors, none.header_post) == ("", [], "", "")
    ftp = parse_message(to_bytes(text_message(List_Unsubscribe="<ftp://x.test/u>")))
    assert ftp.list_unsubscribe.errors == (
        '"ftp://x.test/u" should start with either http(s):// or mailto:'
    )


def _two_text_parts(first: bytes, second: bytes, charset: str) -> bytes:
    header = f'Content-Type: text/plain; charset="{charset}"\r\n' if charset else ""
    return (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        + header.encode()
        + b"\r\n"
        + first
        + b"\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        + second
        + b"\r\n--b--\r\n"
    )


@pytest.mark.parametrize("charset", ["", "utf-8", "iso-8859-1", "utf-16"])
@pytest.mark.parametrize("chars", [0, 1, 3, 50, 99, 100, 103, 104, 105, 150, 5000])
def test_text_head_is_the_start_of_the_text(charset: str, chars: int) -> None:
    """Cut anywhere: inside a part, in the separator between parts, past the end; with
    characters of 2 and 3 bytes in UTF-8 and a 2-byte charset."""
    codec = charset or "utf-8"
    first = ("é€a" * 40)[:100].encode(codec, "replace")  # latin-1 has no €
    second = ("ü" * 300).encode("utf-8")
    parsed = parse_message(_two_text_parts(first, second, charset))
    assert parsed.text_head(chars) == parsed.text[:chars]
    assert len(parsed.text) > 400


def test_text_head_of_a_large_body_decodes_only_its_start() -> None:
    body = ("€" * 1000 + "\r\n") * 1000
    raw = b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.encode()
    parsed = parse_message(raw)
    assert parsed.text_head(2500) == body[:2500]
    assert parsed.text_head(10**7) == body
