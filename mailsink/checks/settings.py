"""What the checks may do on this sink: the options that turn on the network-facing checks.

Checks that only read the message (HTML compatibility, deliverability, authentication against
the DNS) always run; the link check sends requests to the world and the spam check needs a
spamd, so they run only when the sink was started with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mailsink.config import Config, HostPort


class CheckNotEnabled(RuntimeError):
    """A check that this sink was not started with (no `--spamassassin`, no
    `--enable-link-check`); the text names the option that turns it on."""


@dataclass(frozen=True, slots=True)
class CheckSettings:
    enable_link_check: bool = False
    link_check_allow_private: bool = False
    spamassassin: HostPort | None = None
    dns_override: Path | None = None

    @classmethod
    def from_config(cls, config: Config) -> CheckSettings:
        return cls(
            config.enable_link_check,
            config.link_check_allow_private,
            config.spamassassin,
            config.dns_override,
        )
