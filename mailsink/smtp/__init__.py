"""SMTP ingest on aiosmtpd: `start_smtp` (service.py) binds the listeners; each connection is an
`SmtpSession` (session.py) that reads DATA with a `DataCollector` (data.py), checks AUTH against
`Credentials` (auth.py), encrypts with tls.py, answers with replies.py's codes, fails on purpose
with `ChaosTriggers` (chaos.py) and sends messages on with `Relay` (relay.py).

Exceptions: `ChaosError` (bad chaos triggers) and `RelayError` (bad relay configuration or a
refused release) are `ValueError`s whose text is fit to show the user.
"""
