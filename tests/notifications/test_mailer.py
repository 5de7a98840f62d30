"""Both mailers deliver the same message: to a real SMTP server, and to the outbox folder."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller

from returns_portal.notifications.mailer import OutboxMailer, SMTPMailer


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append(envelope.content)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = "Your return R-7K3M-Q9 / 您的退货"
    mail["From"] = "returns@example.com"
    mail["To"] = "li.wei@example.com"
    mail["Message-ID"] = make_msgid(domain="returns.invalid")
    mail.set_content("退货单号 R-7K3M-Q9")
    return mail


def test_the_smtp_mailer_delivers_to_a_real_smtp_server(smtp_server):
    controller, inbox = smtp_server
    SMTPMailer(f"smtp://{controller.hostname}:{controller.port}").send(message())
    (received,) = inbox.messages
    parsed = message_from_bytes(received)
    assert parsed["To"] == "li.wei@example.com"
    assert "您的退货" in str(make_header(decode_header(parsed["Subject"])))
    assert "退货单号 R-7K3M-Q9" in parsed.get_payload(decode=True).decode()


def test_the_outbox_mailer_writes_one_eml_per_message(tmp_path):
    mailer = OutboxMailer(tmp_path / "outbox")
    mailer.send(message())
    mailer.send(message())
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    assert message_from_bytes(files[0].read_bytes())["To"] == "li.wei@example.com"


def test_a_mail_url_that_is_not_smtp_is_refused():
    with pytest.raises(RuntimeError, match="MAIL_URL must look like smtp://host:25"):
        SMTPMailer("http://mail.example.com")


def test_an_unreachable_smtp_server_raises_for_the_caller_to_handle():
    with pytest.raises(OSError):
        SMTPMailer(f"smtp://127.0.0.1:{free_port()}").send(message())
