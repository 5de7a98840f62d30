"""The merchant's policy pages, at /staff/policy (admin)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("policy_admin", __name__, url_prefix="/staff/policy")
