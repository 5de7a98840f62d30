"""Stripe webhooks: /webhooks/stripe, verified by signature, applied once per event id."""

from __future__ import annotations

import logging

import stripe
from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from returns_portal.refunds import services

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)


@bp.post("/stripe")
def stripe_event() -> ResponseReturnValue:
    """Verify a Stripe event's signature and apply it (unsigned or forged: 400)."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        return jsonify(error="Webhooks are not configured (STRIPE_WEBHOOK_SECRET)."), 503
    payload = request.get_data(as_text=True)
    try:
        # https://docs.stripe.com/webhooks#verify-events
        event = stripe.Webhook.construct_event(
            payload, request.headers.get("Stripe-Signature", ""), secret
        )
    except (ValueError, stripe.SignatureVerificationError):
        return jsonify(error="Invalid payload or signature."), 400
    data = event.to_dict()
    outcome = services.handle_provider_event(data["id"], data["type"], data["data"]["object"])
    log.info("stripe event %s (%s): %s", data["id"], data["type"], outcome)
    return jsonify(received=True, outcome=outcome)
