"""Carrier webhooks: POST /webhooks/carriers/<name>, verified by signature, applied once per
event id (shipping/tracking.py). EasyPost signs each body with the webhook secret:
X-Hmac-Signature: hmac-sha256-hex=<HMAC-SHA256(secret, body)>
(https://docs.easypost.com/guides/webhooks-guide#hmac-validation)."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from returns_portal.shipping import tracking
from returns_portal.shipping.easypost import SIGNATURE_HEADER, EasyPostCarrier
from returns_portal.shipping.services import carriers

bp = Blueprint("carrier_webhooks", __name__, url_prefix="/webhooks/carriers")
log = logging.getLogger(__name__)


@bp.post("/<name>")
def carrier_event(name: str) -> ResponseReturnValue:
    """Verify a carrier's event and apply it (unknown carrier: 404; unsigned or forged: 401)."""
    carrier = carriers().get(name)
    if not isinstance(carrier, EasyPostCarrier):
        return jsonify(error="No carrier of that name sends webhooks here."), 404
    if not carrier.webhook_secret:
        return jsonify(error="This carrier's webhook secret is not configured."), 503
    body = request.get_data(cache=False)
    if not carrier.verify(body, request.headers.get(SIGNATURE_HEADER)):
        return jsonify(error="Invalid or missing signature."), 401
    try:
        event = json.loads(body)
    except ValueError:
        return jsonify(error="The body is not JSON."), 400
    if not isinstance(event, dict):
        return jsonify(error="The body is not an event."), 400
    try:
        outcome = tracking.receive_easypost_event(carrier.code, event)
    except tracking.TrackingError as exc:
        return jsonify(error=str(exc)), 400
    log.info("carrier %s event %s: %s", carrier.code, event.get("id"), outcome)
    return jsonify(received=True, outcome=outcome)
