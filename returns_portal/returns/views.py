"""Customer-facing pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import get_locale

bp = Blueprint("returns", __name__)


@bp.get("/")
def index() -> str:
    """Show the landing page where a customer starts a return."""
    return render_template(
        "returns/index.html",
        store_name=current_app.config["STORE_NAME"],
        locale=str(get_locale()),
    )


@bp.get("/healthz")
def health() -> dict[str, str]:
    """Answer a load balancer's liveness probe."""
    return {"status": "ok"}
