"""MailHog's HTTP API and live streams, with MailHog's exact bodies (see `routes.py`)."""
