"""Read-only IMAP4rev1 (RFC 3501) over the store: `start_imap` in `service`.

Modules: `syntax` (command tokens, sequence sets, response strings), `structure` (ENVELOPE,
BODYSTRUCTURE, body sections), `fetch`, `search` (FETCH and SEARCH over selected messages),
`selected` (a selected mailbox and the changes it must report), `session` (the states and
commands).
"""
