"""POP3 (RFC 1939, with CAPA, UIDL, TOP, USER/PASS and STLS): `start_pop3` in `service`."""
