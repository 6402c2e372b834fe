"""The HTTP server's defences against the browser it serves.

Email content is hostile and so is every other web page the user has open. Small ASGI
middlewares stand between them and the API, outermost first:

- `SecurityHeaders` (headers.py) sets `X-Content-Type-Options: nosniff` on every response.
- `HostAllowlist` (hosts.py) answers only Host names that mean this machine when the server is
  bound to a loopback address (DNS rebinding).
- `Cors` (cors.py), only with `--api-cors`; `BasicAuth` (basic_auth.py), only with
  `--ui-auth-file`.
- `CrossOriginGuard` (cross_origin.py) refuses POST, PUT, DELETE and PATCH from another page's
  Origin (and `origin_allowed` guards the WebSocket upgrades).
- `CrossSiteFormGuard` (cross_site.py) refuses POSTs that a cross-site form could send.
- `BodySizeLimit` (body_limit.py) caps request bodies.
"""
