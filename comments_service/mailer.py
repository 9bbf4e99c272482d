"""Composing notification e-mails from templates (text + HTML) and handing them to an SMTP server.

Headers never carry visitor text raw: names go through :class:`email.headerregistry.Address`
after control characters are removed, subjects are single-spaced, so CR/LF cannot start a
header. Bodies come from autoescaped Jinja templates in ``templates/mail/``.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

MAIL_TEMPLATES = Path(__file__).with_name("templates") / "mail"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
SMTP_TIMEOUT_SECONDS = 30


class MailDeliveryError(Exception):
    """The SMTP server refused the message or could not be reached; the send is retried later."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send (the service's SMTP_* settings)."""

    host: str
    port: int
    username: str
    password: str
    starttls: bool
    sender: str
    sender_name: str


def one_line(text: str) -> str:
    """Visitor text fit for a header: control characters and line breaks become single spaces."""
    return " ".join(_CONTROL.sub(" ", text).split())


def mail_environment() -> Environment:
    """The Jinja environment of the mail templates: HTML autoescaped, text left as written."""
    return Environment(loader=FileSystemLoader(MAIL_TEMPLATES), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def compose(environment: Environment, smtp: SmtpSettings, *, template: str, recipient: str,
            recipient_name: str | None, variables: dict[str, Any], unsubscribe_url: str | None) -> EmailMessage:
    """A multipart/alternative message from ``<template>.subject.txt``, ``.txt`` and ``.html``."""
    message = EmailMessage()
    subject = environment.get_template(f"{template}.subject.txt").render(**variables)
    message["Subject"] = one_line(subject)
    message["From"] = Address(display_name=one_line(smtp.sender_name), addr_spec=smtp.sender)
    message["To"] = Address(display_name=one_line(recipient_name or ""), addr_spec=recipient)
    message["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the URL.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    context = variables | {"unsubscribe_url": unsubscribe_url}
    message.set_content(environment.get_template(f"{template}.txt").render(**context))
    message.add_alternative(environment.get_template(f"{template}.html").render(**context), subtype="html")
    return message


def send(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Deliver one message; raise MailDeliveryError on any SMTP or network failure."""
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS) as client:
            if smtp.starttls:
                client.starttls()
            if smtp.username:
                client.login(smtp.username, smtp.password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailDeliveryError(f"{type(exc).__name__}: {exc}") from exc
