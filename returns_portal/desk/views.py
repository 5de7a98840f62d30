"""The returns desk's pages, at /staff/returns."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("desk", __name__, url_prefix="/staff/returns")
