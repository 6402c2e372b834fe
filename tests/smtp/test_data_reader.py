"""The DATA reader: end marker, dot-unstuffing, size limit, pipelining, disconnects, smuggling."""

from __future__ import annotations

import logging
import random
import smtplib
from pathlib import Path

import pytest

from mailsink.message.spool import Spool
from mailsink.smtp.data import DataCollector, ReceivedData

from .harness import MakeSink, RawClient, RunningSmtp


def reference_read(stream: bytes) -> tuple[bytes, bytes]:
    """RFC 5321 §4.5.2 read line by line: the message and what follows the final dot."""
    lines, position = [], 0
    while True:
        end = stream.index(b"\r\n", position) + 2
        line, position = stream[position:end], end
        if line == b".\r\n":
            return b"".join(lines), stream[position:]
        lines.append(line[1:] if line.startswith(b".") else line)


def chunked_read(
    stream: bytes, *, feed_sizes: list[int], max_size: int = 0, spool: Spool | None = None
) -> tuple[bytes | None, bytes]:
    """Feed `stream` to a `DataCollector` in pieces of `feed_sizes` (then the rest); returns the
    message and every byte after its end marker. With `spool`, the message is read back from
    its file, which is then released."""
    collector = DataCollector(max_size, spool)
    position = 0
    for size in [*feed_sizes, len(stream)]:
        piece = stream[position : position + size]
        position += len(piece)
        if not piece:
            continue
        rest = collector.feed(piece)
        if rest is not None:
            received = collector.received()
            raw = received.raw if received.raw is None else bytes(received.raw)
            received.release()
            return raw, rest + stream[position:]
    raise AssertionError("no end marker")


TOKENS = [b"\r\n", b".", b"..", b"\r", b"\n", b"a", b"bc", b"\r\n.", b".\r\n", b"\r\n..\r\n"]


@pytest.mark.parametrize("seed", range(300))
def test_reader_agrees_with_line_by_line_reading(seed: int) -> None:
    rng = random.Random(seed)
    body = b"".join(rng.choice(TOKENS) for _ in range(rng.randrange(0, 60)))
    # Make it a well-formed DATA stream: the body, CRLF, the end marker, then a next command.
    stream = body + (b"" if body.endswith(b"\r\n") or not body else b"\r\n")
    stream += b".\r\nMAIL FROM:<next@example.com>\r\n"
    expected = reference_read(stream)
    feed_sizes = [rng.randrange(1, 9) for _ in range(rng.randrange(0, 20))]
    assert chunked_read(stream, feed_sizes=feed_sizes) == expected
    assert chunked_read(stream, feed_sizes=[1] * len(stream)) == expected


@pytest.mark.parametrize("seed", range(100))
def test_a_spooled_message_agrees_with_line_by_line_reading(seed: int, tmp_path: Path) -> None:
    """Past the spool's threshold (a few bytes here) the pieces go to a file as they come."""
    rng = random.Random(seed)
    body = b"".join(rng.choice(TOKENS) for _ in range(rng.randrange(0, 60))) + b"\r\n"
    stream = body + b".\r\nQUIT\r\n"
    spool = Spool(tmp_path / "spool", above=rng.randrange(0, 40))
    feed_sizes = [rng.randrange(1, 9) for _ in range(rng.randrange(0, 20))]
    expected = reference_read(stream)
    assert chunked_read(stream, feed_sizes=feed_sizes, spool=spool) == expected
    over_limit = chunked_read(stream, feed_sizes=[], max_size=1, spool=spool)[0]
    assert over_limit is None or len(expected[0]) <= 1
    assert list(spool.directory.glob("*")) == []  # released, or dropped over the limit


def test_reader_stops_at_the_first_end_marker_and_leaves_the_rest() -> None:
    stream = b"one\r\n.\r\nDATA\r\ntwo\r\n.\r\n"
    raw, rest = chunked_read(stream, feed_sizes=[])
    assert raw == b"one\r\n"
    assert rest == b"DATA\r\ntwo\r\n.\r\n"


def test_reader_drops_an_oversized_message_but_reads_to_its_end() -> None:
    stream = b"x" * 500 + b"\r\n.\r\nQUIT\r\n"
    raw, rest = chunked_read(stream, feed_sizes=[7] * 20, max_size=100)
    assert raw is None
    assert rest == b"QUIT\r\n"


def test_the_leading_period_of_every_line_is_removed() -> None:
    raw, rest = chunked_read(b"..a\r\n...b\r\n.c\r\nd.\r\n.\r\n", feed_sizes=[])
    assert (raw, rest) == (b".a\r\n..b\r\nc\r\nd.\r\n", b"")


def test_the_size_counts_the_stuffed_bytes_up_to_the_end_marker() -> None:
    collector = DataCollector(0)
    assert collector.feed(b"..a\r\n.\r\nQUIT\r\n") == b"QUIT\r\n"
    assert collector.received() == ReceivedData(b".a\r\n", len(b"..a\r\n.\r\n"))


def open_data(sink: RunningSmtp) -> RawClient:
    """A raw connection with a transaction open, past `354`."""
    client = RawClient(sink.host, sink.port)
    client.reply()
    client.command("EHLO client.example")
    assert client.command("MAIL FROM:<a@example.com>").startswith("250")
    assert client.command("RCPT TO:<b@example.com>").startswith("250")
    assert client.command("DATA").startswith("354")
    return client


def send_data(sink: RunningSmtp, data: bytes) -> tuple[RawClient, str]:
    """Send `data` after `354`; returns the client and the reply to it."""
    client = open_data(sink)
    client.send(data)
    return client, client.reply()


def test_dot_stuffed_lines_are_unstuffed_including_the_first(sink: RunningSmtp) -> None:
    client, reply = send_data(sink, b"..first\r\nSubject: x\r\n\r\n..\r\n...dots\r\nend.\r\n.\r\n")
    client.close()
    assert reply.startswith("250 2.0.0")
    assert sink.wait_for_messages(1)
    assert sink.raws() == [b".first\r\nSubject: x\r\n\r\n.\r\n..dots\r\nend.\r\n"]


def test_an_empty_message_is_stored_empty(sink: RunningSmtp) -> None:
    client, reply = send_data(sink, b".\r\n")
    client.close()
    assert reply.startswith("250")
    sink.wait_for_messages(1)
    assert sink.raws() == [b""]


def test_message_over_the_size_limit_gets_552_and_nothing_is_stored(
    make_sink: MakeSink,
) -> None:
    sink = make_sink(smtp_max_size=1000)
    client, reply = send_data(sink, b"Subject: big\r\n\r\n" + (b"y" * 76 + b"\r\n") * 50 + b".\r\n")
    assert reply.startswith("552 5.3.4")
    # The session stays in step: the next transaction on the same connection is served.
    assert client.command("MAIL FROM:<a@example.com>").startswith("250")
    assert client.command("RCPT TO:<b@example.com>").startswith("250")
    assert client.command("DATA").startswith("354")
    assert client.command(b"small\r\n.").startswith("250")
    client.close()
    assert sink.wait_for_messages(1)
    assert sink.raws() == [b"small\r\n"]
    assert sink.wait_for_incident("over the 1000-byte limit")
    assert sink.context.stats.smtp_rejected == 1


def test_a_message_sent_with_the_data_command_before_its_354_is_read(sink: RunningSmtp) -> None:
    client = RawClient(sink.host, sink.port)
    client.reply()
    client.command("EHLO client.example")
    assert client.command("MAIL FROM:<a@example.com>").startswith("250")
    assert client.command("RCPT TO:<b@example.com>").startswith("250")
    client.send(b"DATA\r\n..early\r\n.\r\nQUIT\r\n")
    assert [r[:3] for r in client.replies(3)] == ["354", "250", "221"]
    client.close()
    assert sink.wait_for_messages(1)
    assert sink.raws() == [b".early\r\n"]


def test_a_large_message_in_many_chunks_is_stored_exactly(sink: RunningSmtp) -> None:
    body = b"".join(b"%06d .line\r\n..%d\r\n" % (n, n) for n in range(60_000))
    client, reply = send_data(sink, b"Subject: big\r\n\r\n" + body + b".\r\n")
    client.close()
    assert reply.startswith("250")
    assert sink.wait_for_messages(1)
    assert sink.raws() == [b"Subject: big\r\n\r\n" + body.replace(b"\r\n..", b"\r\n.")]


def test_commands_pipelined_after_the_final_dot_are_answered(sink: RunningSmtp) -> None:
    client = open_data(sink)
    client.send(b"first\r\n.\r\nMAIL FROM:<c@example.com>\r\nRCPT TO:<d@example.com>\r\nDATA\r\n")
    replies = client.replies(4)
    assert [r[:3] for r in replies] == ["250", "250", "250", "354"]
    client.send(b"second\r\n.\r\nQUIT\r\n")
    assert [r[:3] for r in client.replies(2)] == ["250", "221"]
    client.close()
    sink.wait_for_messages(2)
    assert sink.raws() == [b"first\r\n", b"second\r\n"]
    assert [m.envelope.mail_from for m in sink.messages()] == ["a@example.com", "c@example.com"]


def test_disconnect_mid_data_stores_nothing_and_logs_no_traceback(
    sink: RunningSmtp, caplog: pytest.LogCaptureFixture
) -> None:
    client = open_data(sink)
    client.send(b"Subject: cut\r\n\r\nhalf a message\r\n")
    client.close()
    with smtplib.SMTP(sink.host, sink.port, timeout=30) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: whole\r\n\r\nok\r\n")
    sink.wait_for_messages(1)
    sink.stop()  # returns once every session has ended
    assert sink.raws() == [b"Subject: whole\r\n\r\nok\r\n"]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


SMUGGLING = [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\n"]


@pytest.mark.parametrize("sequence", SMUGGLING, ids=["LF.LF", "CR.CR", "LF.CRLF", "CRLF.LF"])
def test_smuggling_sequences_do_not_end_the_message(sink: RunningSmtp, sequence: bytes) -> None:
    smuggled = b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nforged\r\n"
    data = b"Subject: smuggle\r\n\r\nbefore" + sequence + smuggled + b".\r\n"
    client, reply = send_data(sink, data)
    # One message: the text after the look-alike is content, not commands.
    assert reply.startswith("250 ")
    assert client.command("QUIT").startswith("221")
    client.close()
    sink.wait_for_messages(1)
    [raw] = sink.raws()
    assert b"victim@example.com" in raw
    assert raw.startswith(b"Subject: smuggle\r\n\r\nbefore")
    assert [m.envelope.rcpt_tos for m in sink.messages()] == [["b@example.com"]]


LONG_LINE = b"Subject: long\r\n\r\n" + b"z" * 5000 + b"\r\n"
BARE_LF_AND_CR = b"Subject: bare\r\n\r\none\ntwo\rthree\r\n"


@pytest.mark.parametrize("message", [LONG_LINE, BARE_LF_AND_CR], ids=["long-line", "bare-lf-cr"])
def test_off_standard_lines_are_stored_exactly(sink: RunningSmtp, message: bytes) -> None:
    client, reply = send_data(sink, message + b".\r\n")
    client.close()
    assert reply.startswith("250")
    sink.wait_for_messages(1)
    assert sink.raws() == [message]


@pytest.mark.parametrize("message", [LONG_LINE, BARE_LF_AND_CR], ids=["long-line", "bare-lf-cr"])
def test_off_standard_lines_are_refused_in_strict_mode(make_sink: MakeSink, message: bytes) -> None:
    sink = make_sink(smtp_strict=True)
    client, reply = send_data(sink, message + b".\r\n")
    assert reply.startswith("550 5.6.0")
    client.send(b"QUIT\r\n")
    assert client.reply().startswith("221")
    client.close()
    assert sink.wait_for_incident("strict mode")
    assert sink.messages() == []


def test_strict_mode_accepts_a_clean_message(make_sink: MakeSink) -> None:
    sink = make_sink(smtp_strict=True)
    client, reply = send_data(sink, b"Subject: fine\r\n\r\nfine\r\n.\r\n")
    client.close()
    assert reply.startswith("250")
    assert sink.wait_for_messages(1)
