"""A second channel beside e-mail (an HTTP gateway for SMS or a chat app) is an adapter: it
gets the same notice as the mail, through outbox handlers of its own, so when it fails only
it is tried again and the customer never gets the e-mail twice."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from config import TestingConfig
from returns_portal import create_app
from returns_portal.events import services as events
from returns_portal.events.models import OutboxMessage
from returns_portal.extensions import db
from returns_portal.notifications.channels import HttpChannel, Notice, build
from returns_portal.orders.models import Order
from tests.builders import open_portal_return
from tests.mail import outbox
from tests.refunds.conftest import paid_order


class Gateway:
    """A local SMS gateway: records what it is sent; answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                gateway.received.append((dict(self.headers), body))
                self.send_response(gateway.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    found = Gateway()
    yield found
    found.close()


@pytest.fixture
def texting_app(database_url, gateway, tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        OUTBOX_FOLDER = str(tmp_path / "outbox")
        NOTIFY_CHANNELS = ({"type": "http", "code": "sms", "url": gateway.url, "token": "t0k"},)

    return create_app(Config)


@pytest.fixture
def texting(texting_app, session):
    with texting_app.app_context():
        paid_order()
        order = db.session.scalars(select(Order)).one()
        order.shipping_address = {**order.shipping_address, "phone": "+86 138 0013 8000"}
        db.session.commit()
        yield texting_app


def test_the_gateway_gets_the_same_notice_as_the_mail(texting, gateway):
    rma = open_portal_return()
    (mail,) = [m for m in outbox(texting) if rma.number in m["Subject"]]
    ((headers, body),) = gateway.received
    assert headers["Authorization"] == "Bearer t0k"
    assert body["to"] == {"phone": "+86 138 0013 8000", "email": rma.order.email}
    assert (body["return"], body["kind"], body["locale"]) == (rma.number, "opened", "en")
    assert body["subject"] == mail["Subject"]
    assert f"/returns/{rma.number}?t=" in body["link"] and body["link"] in body["text"]
    assert "Waiting for you to send it" in body["text"]


def test_a_failing_gateway_is_retried_alone_and_the_mail_is_not_sent_twice(texting, gateway):
    gateway.status = 503
    rma = open_portal_return()
    rows = {
        row.handler: row
        for row in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.event == "ReturnOpened")
        )
    }
    assert rows["mail.return_opened"].done_at is not None
    assert rows["sms.return_opened"].done_at is None and rows["sms.return_opened"].last_error
    gateway.status = 200
    assert events.deliver(rows["sms.return_opened"].id) == "done"  # as redelivery hands it out
    assert len([m for m in outbox(texting) if rma.number in m["Subject"]]) == 1
    assert len(gateway.received) == 2  # the refused try, then the one that went through


def test_a_customer_without_a_phone_gets_the_mail_alone(texting_app, session, gateway):
    with texting_app.app_context():
        paid_order()
        rma = open_portal_return()
        assert gateway.received == []
        assert [m for m in outbox(texting_app) if rma.number in m["Subject"]]


def test_the_configuration_is_checked_when_the_app_starts():
    with pytest.raises(RuntimeError, match="unknown notification channel type"):
        build({"type": "pigeon", "code": "p"})
    with pytest.raises(RuntimeError, match="must be http"):
        HttpChannel("sms", "ftp://gateway.example")

    class Twice(TestingConfig):
        NOTIFY_CHANNELS = ({"type": "http", "code": "email", "url": "https://g.example"},)

    with pytest.raises(RuntimeError, match="not 'email'"):
        create_app(Twice)


def test_an_unreachable_gateway_is_a_channel_error():
    from returns_portal.notifications.channels import ChannelError

    notice = Notice("R-1", "opened", "en", "a@example.com", "+1", "s", "t", "https://x")
    with pytest.raises(ChannelError, match="sms"):
        HttpChannel("sms", "http://127.0.0.1:9/send", timeout=1).send(notice)
