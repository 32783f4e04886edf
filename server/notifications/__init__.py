"""Telling people what needs them: a periodic check finds the conditions a store's admin or
the operators must act on (`conditions`), keeps one row per occurrence so each is told once,
later ones gathered into a daily digest (`ledger`), words each message (`messages`) and sends
it by SMTP, or to the log without a host (`mailer`); `check` runs one round. Jobs call
`check.run`; nothing here imports rq or the web layer."""
