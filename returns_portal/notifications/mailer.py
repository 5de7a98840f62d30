"""Mailers: an outbox folder of .eml files (embedded default) and SMTP (MAIL_URL)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from flask import Flask, current_app


class Mailer(Protocol):
    """Deliver one e-mail message."""

    def send(self, message: EmailMessage) -> None:
        """Send `message` or raise OSError / smtplib.SMTPException."""
        ...


class OutboxMailer:
    """Write each message to a folder as an .eml file (what `make run` uses)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        existing = len(list(self.folder.glob("*.eml")))
        name = f"{existing + 1:05d}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
        (self.folder / name).write_bytes(bytes(message))


class SMTPMailer:
    """Send through an SMTP server: smtp://user:pass@host:port or smtps://… (TLS)."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in {"smtp", "smtps"} or not parsed.hostname:
            raise RuntimeError(f"MAIL_URL must look like smtp://host:25, not {url!r}")
        self.tls = parsed.scheme == "smtps"
        self.host = parsed.hostname
        self.port = parsed.port or (465 if self.tls else 25)
        self.user = unquote(parsed.username) if parsed.username else None
        self.password = unquote(parsed.password) if parsed.password else None

    def send(self, message: EmailMessage) -> None:
        smtp_class = smtplib.SMTP_SSL if self.tls else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=10) as smtp:
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


def init_app(app: Flask) -> None:
    """Pick the mailer: SMTP when MAIL_URL is set, else the outbox folder."""
    url = app.config.get("MAIL_URL")
    mailer: Mailer
    if url:
        mailer = SMTPMailer(url)
    else:
        mailer = OutboxMailer(
            Path(app.config.get("OUTBOX_FOLDER") or Path(app.instance_path) / "outbox")
        )
    app.extensions["mailer"] = mailer


def mailer() -> Mailer:
    """Return the current app's mailer."""
    current: Mailer = current_app.extensions["mailer"]
    return current
