"""The ways a customer is told: e-mail (always), and any channel the configuration adds.

A customer notice is worded once (notifications.services.notice_for) and handed to each
channel; a channel is an adapter with one method. Each channel has its own outbox handlers
(notifications.handlers), so a channel that fails is retried on its own and never makes
another send twice.

Configured by NOTIFY_CHANNELS, e.g.::

    NOTIFY_CHANNELS = [
        {"type": "http", "code": "sms", "url": "https://sms-gateway.example/send",
         "token": os.environ["SMS_GATEWAY_TOKEN"], "timeout": 10},
    ]

An "http" channel POSTs the notice as JSON (to, subject, text, link, return, kind) with a
bearer token: the shape SMS gateways and chat apps' incoming webhooks take, or a small
bridge in front of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from flask import Flask, current_app


@dataclass(frozen=True)
class Notice:
    """What one message to a customer says, whatever carries it."""

    return_number: str
    kind: str  # a key of notifications.services.SUBJECTS
    locale: str
    email: str
    phone: str
    subject: str
    text: str  # plain text, in the customer's language
    link: str  # the return's page, signed


class ChannelError(Exception):
    """The channel did not take the notice; the outbox tries again later."""


class Channel(Protocol):
    code: str

    def send(self, notice: Notice) -> None:
        """Deliver `notice` or raise ChannelError."""
        ...


class HttpChannel:
    """POST each notice as JSON to a gateway (SMS, a chat app's webhook, a bridge)."""

    def __init__(self, code: str, url: str, token: str = "", timeout: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise RuntimeError(f"notification channel {code!r}: url must be http(s), not {url!r}")
        self.code, self.url, self.token, self.timeout = code, url, token, timeout

    def send(self, notice: Notice) -> None:
        if not notice.phone:
            return  # nobody to text: the e-mail says it all
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {
            "to": {"phone": notice.phone, "email": notice.email},
            "return": notice.return_number,
            "kind": notice.kind,
            "locale": notice.locale,
            "subject": notice.subject,
            "text": notice.text,
            "link": notice.link,
        }
        try:
            answer = httpx.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise ChannelError(f"{self.code}: {exc.__class__.__name__}: {exc}") from exc
        if answer.status_code >= 300:
            raise ChannelError(f"{self.code}: the gateway answered {answer.status_code}")


def build(entry: Mapping[str, Any]) -> Channel:
    kind = entry.get("type")
    if kind == "http":
        return HttpChannel(
            str(entry["code"]), str(entry["url"]), str(entry.get("token") or ""),
            float(entry.get("timeout") or 10),
        )  # fmt: skip
    raise RuntimeError(f"unknown notification channel type {kind!r} (known: http)")


def init_app(app: Flask) -> None:
    """Build the extra channels NOTIFY_CHANNELS lists (e-mail is not one: it always runs)."""
    built = [build(entry) for entry in app.config.get("NOTIFY_CHANNELS") or ()]
    codes = [channel.code for channel in built]
    if "email" in codes or len(set(codes)) != len(codes):
        raise RuntimeError("NOTIFY_CHANNELS: each channel needs its own code, and not 'email'")
    app.extensions["notify_channels"] = {channel.code: channel for channel in built}


def extra_channels(app: Flask | None = None) -> dict[str, Channel]:
    found: dict[str, Channel] = (app or current_app).extensions.get("notify_channels", {})
    return found
