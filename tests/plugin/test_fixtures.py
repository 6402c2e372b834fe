"""The fixtures in a real pytest run: waits, isolation between tests, addresses, the marker."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import run_inner


def test_each_test_sees_only_its_own_mail_and_waits_without_sleeping(
    inner: pytest.Pytester,
) -> None:
    inner.makepyfile(
        test_inner="""
        import asyncio
        import threading


        def test_first(mailsink, send):
            assert len(mailsink) == 0
            send(mailsink, to="bob@example.com", subject="One", bcc=["hidden@example.com"])
            send(mailsink, to="carol@example.com", subject="Two")
            first, second = mailsink.wait_for(2)
            assert [first.subject, second.subject] == ["One", "Two"]
            assert mailsink.filter(to="hidden@example.com") == [first]
            assert first.bcc == ["hidden@example.com"]
            assert mailsink.last is second
            assert [m.subject for m in mailsink] == ["One", "Two"]


        def test_second_starts_empty(mailsink, mailsink_server, send):
            assert len(mailsink) == 0
            assert mailsink.messages == []
            assert len(mailsink_server.messages) == 2  # the session's sink kept them
            send(mailsink, to="dave@example.com", subject="Three")
            assert [m.subject for m in mailsink.wait_for(1)] == ["Three"]
            assert mailsink.port == mailsink_server.port
            assert mailsink.host == "127.0.0.1"
            assert mailsink.url is None  # no HTTP server unless --mailsink-ui


        def test_wait_for_mail_sent_later_from_a_background_thread(mailsink, send):
            waiting = threading.Event()

            def job():
                waiting.wait(30)
                send(mailsink, to="eve@example.com", subject="Later")

            worker = threading.Thread(target=job)
            worker.start()
            waiting.set()
            try:
                assert mailsink.wait_for_one(subject="Later", timeout=30).to == ["eve@example.com"]
            finally:
                worker.join()


        def test_wait_for_async_lets_the_event_loop_run(mailsink, send):
            async def main():
                sending = asyncio.get_running_loop().run_in_executor(
                    None, lambda: send(mailsink, to="f@example.com", subject="Async")
                )
                found = await mailsink.wait_for_async(subject="Async", timeout=30)
                await sending
                return found

            assert [m.subject for m in asyncio.run(main())] == ["Async"]


        def test_assert_sent_and_no_mail_and_clear(mailsink, send):
            mailsink.assert_no_mail(within=0.1)
            send(mailsink, to="g@example.com", subject="Once")
            assert len(mailsink.assert_sent(count=1, subject="Once")) == 1
            mailsink.clear()
            assert len(mailsink) == 0
            mailsink.assert_no_mail(within=0.1, subject="Once")
        """
    )
    result = run_inner(inner, "-v")
    result.assert_outcomes(passed=5)


def test_mailsink_address_is_unique_per_test(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_inner="""
        import re

        import pytest

        SEEN = []


        @pytest.mark.parametrize("n", [1, 2])
        def test_address(mailsink_address, mailsink, send, n):
            alice = mailsink_address("alice")
            assert re.fullmatch(r"alice@test-address-[12]-[0-9a-f]{8}\\.mailsink\\.test", alice)
            assert mailsink_address("bob").split("@")[1] == alice.split("@")[1]
            assert mailsink_address().startswith("user@")
            SEEN.append(alice.split("@")[1])
            send(mailsink, to=alice, subject=f"For {n}")
            assert mailsink.wait_for_one(to=alice).subject == f"For {n}"


        def test_domains_differ():
            assert len(SEEN) == 2 and SEEN[0] != SEEN[1]


        @pytest.mark.parametrize("bad", ["", "a@b", "has space", "a..b", '"quoted"'])
        def test_rejects_what_is_not_a_local_part(mailsink_address, bad):
            with pytest.raises(ValueError, match="expected a local part"):
                mailsink_address(bad)
        """
    )
    result = run_inner(inner)
    result.assert_outcomes(passed=8)


def test_marker_gives_a_test_its_own_sink_with_other_options(inner: pytest.Pytester) -> None:
    inner.makepyfile(
        test_inner="""
        import smtplib
        import ssl

        import pytest

        MESSAGE = b"Subject: Big\\r\\n\\r\\n" + b"x" * 2000 + b"\\r\\n"


        def raw(subject):
            return f"Subject: {subject}\\r\\n\\r\\nhi\\r\\n".encode()


        @pytest.mark.mailsink(auth_required=True, max_size=1000)
        def test_auth_and_size(mailsink, send):
            with pytest.raises(smtplib.SMTPSenderRefused) as refused:
                send(mailsink, to="a@example.com")
            assert refused.value.smtp_code == 530
            with smtplib.SMTP(mailsink.host, mailsink.port, timeout=30) as client:
                client.login("user", "secret")
                with pytest.raises(smtplib.SMTPSenderRefused) as too_big:
                    client.sendmail("app@example.com", ["a@example.com"], MESSAGE)
                assert too_big.value.smtp_code == 552
                client.sendmail("app@example.com", ["a@example.com"], raw("Small"))
            assert mailsink.wait_for_one().envelope.auth_user == "user"


        @pytest.mark.mailsink(tls="starttls")
        def test_starttls(mailsink, mailsink_server):
            assert mailsink.port != mailsink_server.port
            unverified = ssl.create_default_context()
            unverified.check_hostname = False
            unverified.verify_mode = ssl.CERT_NONE
            with smtplib.SMTP(mailsink.host, mailsink.port, timeout=30) as client:
                client.starttls(context=unverified)
                client.sendmail("app@example.com", ["a@example.com"], raw("Tls"))
            assert mailsink.wait_for_one(subject="Tls").envelope.tls.startswith("TLSv1")


        @pytest.mark.mailsink(tls="implicit")
        def test_implicit_tls(mailsink):
            unverified = ssl.create_default_context()
            unverified.check_hostname = False
            unverified.verify_mode = ssl.CERT_NONE
            with smtplib.SMTP_SSL(mailsink.host, mailsink.smtps_port, context=unverified,
                                  timeout=30) as client:
                client.sendmail("app@example.com", ["a@example.com"], raw("Ssl"))
            assert mailsink.wait_for_one(subject="Ssl").envelope.tls.startswith("TLSv1")


        @pytest.mark.mailsink(no_such_option=1)
        def test_unknown_option(mailsink):
            pass


        @pytest.mark.mailsink(tls="sometimes")
        def test_bad_tls(mailsink):
            pass
        """
    )
    result = run_inner(inner)
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.mailsink: unknown option 'no_such_option'; options are tls, http*",
            "*@pytest.mark.mailsink: tls must be one of ('starttls', 'implicit'), got 'sometimes'",
        ]
    )
