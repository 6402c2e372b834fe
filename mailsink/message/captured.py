"""`CapturedMessage`: a received message as the Python API and the pytest plugin show it
(docs/interface.md, Python API). Everything is computed from the exact bytes on first use and
then cached, and works on malformed messages too (what cannot be read is empty, never an exception).

Example::

    message = sink.wait_for_one(to="bob@example.test")
    assert message.subject == "Welcome"
    message.links()       # ["https://app.test/verify?token=…"]
    message.code()        # "123456"
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from functools import cached_property
from typing import TYPE_CHECKING

from mailsink.message.envelope import Envelope
from mailsink.message.headers import HeaderMap
from mailsink.message.html_text import html_links, strip_html, text_links
from mailsink.message.mime import MimePart, ParsedMessage, parse_message
from mailsink.message.summary import (
    MessageSummary,
    envelope_only_recipients,
    message_warnings,
    summarize,
)

if TYPE_CHECKING:
    from mailsink.checks.message_checks import MessageChecks
    from mailsink.checks.settings import CheckSettings
    from mailsink.store.base import StoredMessage

DEFAULT_CODE_PATTERN = r"\b\d{4,8}\b"


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attached (or inline) file: its name, media type, Content-ID and decoded bytes."""

    filename: str
    content_type: str
    content_id: str
    data: bytes
    part_id: str

    @classmethod
    def from_part(cls, part: MimePart) -> Attachment:
        return cls(part.filename, part.content_type, part.content_id, part.data, part.part_id)

    def __repr__(self) -> str:
        return f"<Attachment {self.filename!r} {self.content_type} {len(self.data):,} bytes>"


class CapturedMessage:
    """One received message: its envelope, exact bytes, and their parsed views."""

    def __init__(
        self,
        id: str,
        seq: int,
        raw: bytes,
        envelope: Envelope,
        summary: MessageSummary | None = None,
        check_settings: CheckSettings | None = None,
    ) -> None:
        self.id = id
        self.seq = seq
        self.raw = raw
        self.envelope = envelope
        self._summary = summary
        self._check_settings = check_settings

    @classmethod
    def from_stored(
        cls, stored: StoredMessage, raw: bytes, check_settings: CheckSettings | None = None
    ) -> CapturedMessage:
        return cls(stored.id, stored.seq, raw, stored.envelope, stored.summary, check_settings)

    @property
    def mailbox(self) -> str:
        """The mailbox the message is filed in (`default` unless routed elsewhere)."""
        return self.envelope.mailbox

    @cached_property
    def summary(self) -> MessageSummary:
        """What ingest extracted (addresses, subject, snippet, tags, warnings)."""
        return self._summary or summarize(self.raw, self.envelope)

    @cached_property
    def mime(self) -> ParsedMessage:
        """The parsed MIME tree (`mime.root`) and enmime's view of it."""
        return parse_message(self.raw)

    @cached_property
    def email(self) -> EmailMessage:
        """The standard library's view of the bytes (`policy.default`)."""
        return email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def headers(self) -> HeaderMap:
        return self.mime.headers

    @property
    def subject(self) -> str:
        return self.summary.subject

    @property
    def from_(self) -> str:
        """The From address ("" when there is none or it does not parse)."""
        sender = self.summary.from_
        return sender.address if sender else ""

    @property
    def to(self) -> list[str]:
        return [a.address for a in self.summary.to if a.address]

    @property
    def cc(self) -> list[str]:
        return [a.address for a in self.summary.cc if a.address]

    @property
    def reply_to(self) -> list[str]:
        return [a.address for a in self.summary.reply_to if a.address]

    @cached_property
    def bcc(self) -> list[str]:
        """Envelope recipients that no To or Cc field shows: who got a blind copy."""
        shown = (*self.summary.to, *self.summary.cc)
        return [a.address for a in envelope_only_recipients(self.envelope, shown)]

    @cached_property
    def text(self) -> str | None:
        """The text body, converted from the HTML body when there is no text part; None when
        the message has neither. Line endings are `\n`, as the standard library gives them."""
        return _newlines(self.mime.text) or None

    @cached_property
    def html(self) -> str | None:
        return _newlines(self.mime.html) or None

    @cached_property
    def parts(self) -> list[MimePart]:
        """Every leaf of the MIME tree in document order (the parts of attached messages too);
        the tree itself is `mime.root`."""
        return self.mime.leaves()

    @cached_property
    def attachments(self) -> list[Attachment]:
        """Attached files: parts with `Content-Disposition: attachment` or of type
        application/octet-stream (what Mailpit counts as attachments)."""
        return [Attachment.from_part(part) for part in self.mime.attachments]

    @cached_property
    def inlines(self) -> list[Attachment]:
        """Inline files, such as `cid:` images (Mailpit's `Inline` list)."""
        return [Attachment.from_part(part) for part in self.mime.shown_inlines]

    @cached_property
    def checks(self) -> MessageChecks:
        """HTML compatibility, links, spam score, authentication and deliverability
        (`checks.html`, `.links`, `.spam`, `.auth`, `.deliverability`), each run on first use
        with the options of the sink the message came from."""
        from mailsink.checks.message_checks import MessageChecks
        from mailsink.checks.settings import CheckSettings

        return MessageChecks(self, self._check_settings or CheckSettings())

    @property
    def warnings(self) -> list[str]:
        return message_warnings(self.summary, self.mime)

    def links(self) -> list[str]:
        """Links in the text body, then in the HTML body (hrefs and written-out URLs), with
        HTML character references decoded, each once, in order of appearance."""
        found = text_links(self.mime.text) if self.mime.has_text_part else []
        if self.mime.html:
            found += html_links(self.mime.html)
        return list(dict.fromkeys(found))

    def code(self, pattern: str | re.Pattern[str] = DEFAULT_CODE_PATTERN) -> str:
        """The first match of `pattern` in the text body, else in the HTML body's text: a
        one-time code, by default 4 to 8 digits. With a group in the pattern, the group's text.

        Raises AssertionError (so a test fails with a clear reason) when nothing matches.
        """
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        for body in (self.text or "", strip_html(self.html or "")):
            found = regex.search(body)
            if found is not None:
                return found.group(1) if regex.groups else found.group(0)
        preview = self.summary.snippet or "(no text)"
        raise AssertionError(
            f"no code matching `{regex.pattern}` in message {self.id} "
            f"(subject {self.subject!r}); its text begins: {preview[:120]!r}"
        )

    def __repr__(self) -> str:
        return (
            f"<CapturedMessage {self.id} from={self.from_ or self.envelope.mail_from!r} "
            f"to={self.to or self.envelope.rcpt_tos!r} subject={self.subject!r}>"
        )


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n") if "\r" in text else text
