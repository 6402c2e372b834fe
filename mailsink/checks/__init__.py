"""Checks of a captured message: will it land well, not only was it sent?

- `html_compat`: HTML and CSS features against email clients' support (caniemail data);
- `links`: the HTTP status of every link and image, through an SSRF-safe fetcher;
- `spamassassin`: the score of a SpamAssassin `spamd`;
- `authentication`: DKIM, SPF, DMARC and ARC results, as a receiving MTA would find them;
- `deliverability`: unsubscribe headers, Date and Message-ID, standards warnings, one score.

Checks run only when asked for (`message.checks.html`, the `/api/v1/message/{ID}/…-check`
routes), never at ingest, and block on DNS, HTTP or spamd: callers on an event loop run them
in a worker thread. `MessageChecks` (in `message_checks`) is what `message.checks` returns.
"""
