"""Who may AUTH: anyone by default (docs/interface.md, SMTP), or the users of `--smtp-auth-file`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac

from mailsink.config import Config
from mailsink.htpasswd import Htpasswd

MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5")


class Credentials:
    """Checks AUTH credentials; with no file, every username and password is accepted."""

    def __init__(self, users: Htpasswd | None) -> None:
        self._users = users

    @classmethod
    def from_config(cls, config: Config) -> Credentials:
        if config.smtp_auth_file is None:
            return cls(None)
        return cls(Htpasswd.load(config.smtp_auth_file))

    @property
    def mechanisms(self) -> tuple[str, ...]:
        """CRAM-MD5 needs each user's plain-text password, so it is offered only when every
        entry of the file is plain text."""
        if self._users is None or self._users.all_plaintext:
            return MECHANISMS
        return tuple(m for m in MECHANISMS if m != "CRAM-MD5")

    async def check_password(self, user: str, password: str) -> bool:
        if self._users is None:
            return True
        # bcrypt takes tens of milliseconds: never on the event loop.
        return await asyncio.to_thread(self._users.check, user, password)

    def check_cram_md5(self, user: str, challenge: bytes, digest: str) -> bool:
        if self._users is None:
            return True
        password = self._users.plaintext(user)
        if password is None:
            return False
        expected = hmac.new(password.encode(), challenge, hashlib.md5).hexdigest()
        return hmac.compare_digest(expected, digest.lower())
