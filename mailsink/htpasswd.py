"""htpasswd-style credential files, shared by `--ui-auth-file` and `--smtp-auth-file`.

One `user:secret` per line; blank lines and `#` comments are skipped. A secret is a bcrypt hash
(`htpasswd -B`: `$2a$`, `$2b$`, `$2y$`), a `{SHA}` hash (`htpasswd -s`) or plain text. Other
crypt schemes (`$apr1$`, `$1$`, `$5$`, `$6$`) are refused when the file is read, so that a hash
is never mistaken for a plain-text password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from mailsink.line_config import config_lines

_BCRYPT_PREFIXES = ("$2a$", "$2b$", "$2y$")
_UNSUPPORTED_PREFIXES = ("$apr1$", "$1$", "$5$", "$6$", "$argon2")


@dataclass(frozen=True, slots=True)
class Htpasswd:
    secrets: dict[str, str]  # user → stored secret (hash or plain text)

    @classmethod
    def load(cls, path: Path) -> Htpasswd:
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def parse(cls, text: str, source: str = "<htpasswd>") -> Htpasswd:
        """Raises ValueError naming the file and line for a line that is not `user:secret`."""
        secrets: dict[str, str] = {}
        for number, user, secret in config_lines(text, ":", source, "user:password"):
            if not secret:
                raise ValueError(f"{source}:{number}: expected 'user:password', got {user + ':'!r}")
            if secret.startswith(_UNSUPPORTED_PREFIXES):
                raise ValueError(
                    f"{source}:{number}: unsupported hash for {user!r}; "
                    "use bcrypt (htpasswd -B) or a plain-text password"
                )
            secrets[user] = secret
        return cls(secrets)

    @property
    def all_plaintext(self) -> bool:
        """True when every secret is plain text (only then can CRAM-MD5 be checked)."""
        return all(_scheme(secret) == "plain" for secret in self.secrets.values())

    def plaintext(self, user: str) -> str | None:
        """The plain-text password of `user`, or None if unknown or hashed."""
        secret = self.secrets.get(user)
        return secret if secret is not None and _scheme(secret) == "plain" else None

    def check(self, user: str, password: str) -> bool:
        """Whether `password` is right for `user`. A bcrypt check takes tens of milliseconds:
        callers on an event loop run it in a thread or cache the result."""
        secret = self.secrets.get(user)
        if secret is None:
            return False
        given = password.encode()
        match _scheme(secret):
            case "bcrypt":
                try:
                    return bcrypt.checkpw(given, secret.encode())
                except ValueError:
                    return False
            case "sha":
                digest = base64.b64encode(hashlib.sha1(given).digest()).decode()
                return hmac.compare_digest(digest, secret.removeprefix("{SHA}"))
            case _:
                return hmac.compare_digest(given, secret.encode())


def _scheme(secret: str) -> str:
    if secret.startswith(_BCRYPT_PREFIXES):
        return "bcrypt"
    if secret.startswith("{SHA}"):
        return "sha"
    return "plain"
