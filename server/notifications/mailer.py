"""Sending a message: by SMTP as `[email]` configures it, or, without a host (or without a
recipient), to the log (`server.notifications`, INFO: one line naming the recipient and the
subject, then the text), so a server without mail still says what it would have sent."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from server.config import EmailConfig
from server.database import end_transaction
from server.notifications.messages import Message

logger = logging.getLogger("server.notifications")


class MailError(Exception):
    """The SMTP server could not be reached, or refused the message."""


def send(message: Message, settings: EmailConfig) -> None:
    """Send `message`; MailError if it could not be. Never inside a database transaction:
    the SMTP server may take its time."""
    end_transaction()
    if not settings.host or not message.to:
        to = ", ".join(message.to) or "nobody (no address known)"
        logger.info("email to %s: %s\n%s", to, message.subject, message.text)
        return
    try:
        email = _email(message, settings)
    except (ValueError, TypeError) as error:  # an address or header email cannot carry
        raise MailError(f"the message cannot be written: {error}") from error
    try:
        _deliver(email, settings)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"{settings.host}:{settings.port}: {error}") from error


def _email(message: Message, settings: EmailConfig) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.from_address
    email["To"] = ", ".join(message.to)
    email["Subject"] = " ".join(message.subject.split())  # a store's name may hold line breaks
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = make_msgid(domain=settings.from_address.rpartition("@")[2])
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


def _deliver(email: EmailMessage, settings: EmailConfig) -> None:
    context = ssl.create_default_context()
    if settings.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password.get_secret_value())
        smtp.send_message(email)
