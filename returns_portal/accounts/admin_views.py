"""The admin's pages: staff, API tokens and store settings at /staff/admin; the audit log
at /staff/audit."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/staff")
