"""Relay: send stored messages on to a real SMTP server (Mailpit's message release and
auto-relay). `config.py` reads the relay file, `client.py` sends, `auto.py` relays new mail,
`headers.py` edits headers without touching the other bytes."""
