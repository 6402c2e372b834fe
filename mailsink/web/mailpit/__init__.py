"""Mailpit's API v1 and `/view` documents, so Mailpit's clients work unchanged.

`routes.py` is the route table; one module per family of endpoints (`messages`, `message`,
`send`, `tags`, `application`, `views`), and the JSON shapes in `summary_json`/`message_json`.
"""
