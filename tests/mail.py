"""Read the mails the portal wrote to its outbox folder (the embedded mailer)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast


def outbox(app: Any) -> list[EmailMessage]:
    """Every mail in the outbox, oldest first."""
    files = sorted(Path(app.config["OUTBOX_FOLDER"]).glob("*.eml"))
    return [cast(EmailMessage, message_from_bytes(f.read_bytes(), policy=policy.default))
            for f in files]  # fmt: skip


def body(message: Any) -> str:
    """The plain-text body of a mail, with or without attachments."""
    if not isinstance(message, EmailMessage):
        message = message_from_bytes(bytes(message), policy=policy.default)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the mail has no text body"
    return str(part.get_content())


def attachments(message: EmailMessage) -> dict[str, bytes]:
    """A mail's attachments by file name."""
    return {
        str(part.get_filename()): bytes(part.get_content()) for part in message.iter_attachments()
    }
