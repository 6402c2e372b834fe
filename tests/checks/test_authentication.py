"""DKIM, SPF, DMARC and ARC on messages signed in the test with a key made for it, sent over
real SMTP, read back through `message.checks.auth` and `GET …/auth-check`; DNS comes from an
override file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dkim
import httpx
import pytest

from mailsink.checks.resolver import CheckResolver, OverrideFileError, parse_overrides
from mailsink.checks.spf import check_spf

from .conftest import DkimKey, StartSink, compose, deliver, make_dkim_key

HEADERS_SIGNED = [b"from", b"to", b"subject", b"date", b"message-id"]


def sign(raw: bytes, key: DkimKey, domain: str, selector: str = "sel") -> bytes:
    signature = dkim.sign(
        raw, selector.encode(), domain.encode(), key.private_pem, include_headers=HEADERS_SIGNED
    )
    return signature + raw


def app_records(key: DkimKey, spf: str = "v=spf1 ip4:127.0.0.0/8 -all") -> str:
    return (
        f'sel._domainkey.app.test TXT "{key.record}"\n'
        f'app.test TXT "{spf}"\n'
        '_dmarc.app.test TXT "v=DMARC1; p=reject; adkim=r; aspf=r"\n'
    )


def test_a_signed_message_passes_dkim_spf_and_dmarc(
    start_sink: StartSink, dkim_key: DkimKey, dns_file: Callable[[str], Path]
) -> None:
    sink = start_sink(dns_override=dns_file(app_records(dkim_key)))
    raw = sign(compose().as_bytes(), dkim_key, "app.test")
    message = deliver(sink, raw, mail_from="bounce@app.test")

    auth = message.checks.auth
    assert [(s.result, s.properties["header.d"]) for s in auth.dkim] == [("pass", "app.test")]
    assert auth.spf.result == "pass", auth.spf.reason
    assert auth.dmarc.result == "pass", auth.dmarc.reason
    assert auth.arc.result == "none"
    assert auth.authentication_results.startswith("mailsink; dkim=pass")

    body = httpx.get(f"{sink.url}api/v1/message/{message.id}/auth-check", timeout=30).json()
    assert body["DKIM"][0]["Result"] == "pass"
    assert body["DKIM"][0]["Properties"]["header.s"] == "sel"
    assert body["SPF"]["Properties"]["smtp.mailfrom"] == "app.test"
    assert body["DMARC"]["Result"] == "pass"
    assert body["AuthenticationResults"] == auth.authentication_results


def test_every_signature_is_verified_and_a_broken_one_says_why(
    start_sink: StartSink, dkim_key: DkimKey, dns_file: Callable[[str], Path]
) -> None:
    esp_key = make_dkim_key()
    records = app_records(dkim_key) + (
        f'sel._domainkey.esp.test TXT "{esp_key.record}"\nesp.test TXT "v=spf1 -all"\n'
    )
    sink = start_sink(dns_override=dns_file(records))
    raw = compose(text="Your code is 1234\n").as_bytes()
    signed = sign(raw, esp_key, "esp.test")
    signed = sign(signed, dkim_key, "app.test")  # topmost: the app's own signature
    tampered = signed.replace(b"1234", b"9999")  # the body changed after both signed it
    message = deliver(sink, tampered, mail_from="bounce@esp.test")

    auth = message.checks.auth
    assert [s.properties["header.d"] for s in auth.dkim] == ["app.test", "esp.test"]
    assert [s.result for s in auth.dkim] == ["fail", "fail"]
    assert "body hash mismatch" in auth.dkim[0].reason
    assert auth.spf.result == "fail"
    assert auth.dmarc.result == "fail"
    assert "reject it" in auth.dmarc.reason


def test_an_unaligned_signature_passes_dkim_but_not_dmarc(
    start_sink: StartSink, dkim_key: DkimKey, dns_file: Callable[[str], Path]
) -> None:
    records = f'sel._domainkey.esp.test TXT "{dkim_key.record}"\n' + app_records(
        dkim_key, "v=spf1 ~all"
    )
    sink = start_sink(dns_override=dns_file(records))
    message = deliver(sink, sign(compose().as_bytes(), dkim_key, "esp.test"))
    auth = message.checks.auth
    assert auth.dkim[0].result == "pass"
    assert auth.spf.result == "softfail"
    assert auth.dmarc.result == "fail"


def test_an_unpublished_key_and_an_unsigned_message(
    start_sink: StartSink, dkim_key: DkimKey, dns_file: Callable[[str], Path]
) -> None:
    sink = start_sink(dns_override=dns_file('app.test TXT "v=spf1 ?all"\n'))
    signed = deliver(sink, sign(compose().as_bytes(), dkim_key, "app.test"))
    assert signed.checks.auth.dkim[0].result == "fail"
    assert signed.checks.auth.dkim[0].reason
    assert signed.checks.auth.spf.result == "neutral"
    assert signed.checks.auth.dmarc.result == "none"
    unsigned = deliver(sink, compose(subject="plain"), to="bob@example.test")
    assert [r.result for r in unsigned.checks.auth.dkim] == ["none"]


def test_an_arc_chain_is_verified(
    start_sink: StartSink, dkim_key: DkimKey, dns_file: Callable[[str], Path]
) -> None:
    sink = start_sink(dns_override=dns_file(app_records(dkim_key)))
    raw = b"Authentication-Results: relay.app.test; spf=pass smtp.mailfrom=app.test\r\n"
    raw += compose().as_bytes()
    arc_headers = dkim.arc_sign(
        raw,
        b"sel",
        b"app.test",
        dkim_key.private_pem,
        b"relay.app.test",
        include_headers=[b"from", b"to", b"subject"],
    )
    message = deliver(sink, b"".join(arc_headers) + raw)
    assert message.checks.auth.arc.result == "pass", message.checks.auth.arc.reason

    broken = (b"".join(arc_headers) + raw).replace(b"Hello", b"Changed")
    tampered = deliver(sink, broken, to="bob@example.test")
    assert tampered.checks.auth.arc.result == "fail"


def resolver(text: str) -> CheckResolver:
    return CheckResolver(parse_overrides(text))


@pytest.mark.parametrize(
    ("records", "ip", "expected"),
    [
        (
            'app.test TXT "v=spf1 include:esp.test -all"\n'
            'esp.test TXT "v=spf1 ip4:192.0.2.0/24 -all"',
            "192.0.2.7",
            "pass",
        ),
        (
            'app.test TXT "v=spf1 redirect=esp.test"\nesp.test TXT "v=spf1 ip6:2001:db8::/32 -all"',
            "2001:db8::5",
            "pass",
        ),
        (
            'app.test TXT "v=spf1 mx -all"\napp.test MX 10 mx.app.test\nmx.app.test A 192.0.2.9',
            "192.0.2.9",
            "pass",
        ),
        ('app.test TXT "v=spf1 a/24 -all"\napp.test A 192.0.2.1', "192.0.2.200", "pass"),
        ('app.test TXT "v=spf1 a -all"\napp.test A 192.0.2.1', "198.51.100.1", "fail"),
        (
            'app.test TXT "v=spf1 exists:%{i}.allow.app.test -all"\n'
            "192.0.2.3.allow.app.test A 127.0.0.2",
            "192.0.2.3",
            "pass",
        ),
        ('app.test TXT "v=spf1 bogus -all"', "192.0.2.1", "permerror"),
        ('app.test TXT "v=spf1 include:nospf.test -all"', "192.0.2.1", "permerror"),
        ('app.test TXT "v=spf1 -all"\napp.test TXT "v=spf1 +all"', "192.0.2.1", "permerror"),
        ("other.test A 192.0.2.1", "192.0.2.1", "none"),
    ],
)
def test_spf_mechanisms(records: str, ip: str, expected: str) -> None:
    result = check_spf(resolver(records), ip, "app@app.test", "mta.app.test")
    assert result.result == expected, result.reason


def test_spf_stops_after_ten_lookups() -> None:
    chain = "\n".join(f'l{n}.test TXT "v=spf1 include:l{n + 1}.test -all"' for n in range(12))
    result = check_spf(resolver(chain), "192.0.2.1", "app@l0.test", "mta.test")
    assert (result.result, "more than 10") == ("permerror", result.reason[:12])


def test_a_bad_override_line_names_the_line() -> None:
    with pytest.raises(OverrideFileError, match="line 2"):
        parse_overrides('a.test TXT "x"\nb.test BOGUS 1\n')
    with pytest.raises(OverrideFileError, match="not an IP address"):
        parse_overrides("a.test A localhost\n")


def test_the_dns_override_file_is_checked_at_start(tmp_path: Path) -> None:
    from mailsink.cli import config_from

    good = tmp_path / "good.txt"
    good.write_text('app.test TXT "v=spf1 -all"  # comment\n', encoding="utf-8")
    config = config_from(["--dns-override", str(good)], {})
    assert config.dns_override == good
    bad = tmp_path / "bad.txt"
    bad.write_text("app.test TXT\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        config_from([], {"MAILSINK_DNS_OVERRIDE": str(bad)})
