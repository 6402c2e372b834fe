"""Mailboxes: which named mailbox (or mailboxes) a received message is filed in.

`names.py` says what a mailbox name may be; `rules.py` reads the `--mailbox-rules` TOML file
(ordered rules, per-mailbox retention) and refuses a bad one at start with the rule and line
at fault; `router.py` applies the rules, or without a rules file the client's own choice (an
`X-Mailsink-Mailbox` header, AUTH as `mailbox:NAME`), to each message at ingest; `retention.py`
prunes each mailbox to its own limits.
"""

from mailsink.mailboxes.names import DEFAULT_MAILBOX, is_mailbox_name
from mailsink.mailboxes.router import MailboxRouter
from mailsink.mailboxes.rules import MailboxRules, MailboxRulesError, load_mailbox_rules

__all__ = [
    "DEFAULT_MAILBOX",
    "MailboxRouter",
    "MailboxRules",
    "MailboxRulesError",
    "is_mailbox_name",
    "load_mailbox_rules",
]
