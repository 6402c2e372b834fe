"""What the mail-reading protocols (POP3 in `mailsink.pop3`, IMAP in `mailsink.imap`) share.

`login.LoginPolicy` decides who may log in; `mailboxes` says which messages a login sees;
`stream.LineStream` reads and writes one client's lines (with STARTTLS); `service.AccessService`
binds the listeners, runs a session per connection and stops them all.
"""
