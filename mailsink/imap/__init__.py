"""Read-only IMAP4rev1 (RFC 3501) over the store: `start_imap` in `service`.

Modules: `syntax` (command tokens, sequence sets, response strings), `structure` (ENVELOPE,
BODYSTRUCTURE, body sections), `fetch` and `search` (FETCH and SEARCH over messages),
`selected` (a selected mailbox and the changes it must report), `mailbox_commands` (what a
logged-in user does), `session` (the connection: states, login, STARTTLS, dispatch).
"""
