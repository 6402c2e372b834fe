"""Who may log in over POP3 or IMAP.

With an htpasswd-style file (`--pop3-auth-file`, `--imap-auth-file`) its users, checked as SMTP
checks its file. Without one, any username and password are accepted, as SMTP AUTH accepts them,
but only while every listener of that protocol is on a loopback address: a sink exposed on a
network would otherwise hand its mail to anyone who asks.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mailsink.config import HostPort
from mailsink.htpasswd import Htpasswd

log = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    users: Htpasswd | None
    any_login: bool  # no file, loopback listeners only: every username and password will do
    auth_flag: str  # the option that would let logins in, for the refusal's text

    @classmethod
    def for_listeners(
        cls, auth_file: Path | None, addresses: Iterable[HostPort], auth_flag: str
    ) -> LoginPolicy:
        """The policy of one protocol's listeners; logs why logins are refused, if they are."""
        users = Htpasswd.load(auth_file) if auth_file is not None else None
        exposed = [str(a) for a in addresses if not is_loopback(a.host)]
        if users is None and exposed:
            log.warning(
                "%s: every login is refused, since no %s is given for a listener on a"
                " non-loopback address",
                ", ".join(exposed),
                auth_flag,
            )
        return cls(users, users is None and not exposed, auth_flag)

    async def check(self, user: str, password: str) -> bool:
        if self.users is not None:
            # bcrypt takes tens of milliseconds: never on the event loop.
            return await asyncio.to_thread(self.users.check, user, password)
        return self.any_login

    @property
    def refusal(self) -> str:
        """Why a login failed, in words a user can act on."""
        if self.users is None and not self.any_login:
            return f"logins need {self.auth_flag} on a non-loopback address"
        return "invalid username or password"
