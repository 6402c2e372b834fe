"""Live views: the WebSocket `/api/events`, the long-poll `/api/v1/wait`, and the fan-out of
change events to streaming clients (`broadcast.py`, shared with MailHog's SSE stream)."""
