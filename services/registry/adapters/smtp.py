"""Sending one e-mail through an SMTP server (stdlib ``smtplib`` in a thread: a blocking client
that does SMTP well; one message per delivery, a handful a day, so a thread costs nothing)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    tls: str = "none"  # "none", "starttls" or "ssl"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0


def _send(config: SmtpConfig, to: str, subject: str, text: str) -> None:
    msg = EmailMessage()
    msg["From"] = config.sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(text)
    if config.tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with client:
        if config.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if config.username:
            client.login(config.username, config.password or "")
        client.send_message(msg)


async def send(config: SmtpConfig, *, to: str, subject: str, text: str) -> str | None:
    """Send once; None when the server accepted the message, else the error."""
    try:
        await asyncio.to_thread(_send, config, to, subject, text)
    except (OSError, smtplib.SMTPException) as e:
        return f"{type(e).__name__}: {e}"[:1000]
    return None
