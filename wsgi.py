"""WSGI entry point: `gunicorn wsgi:app` (RETURNS_PORTAL_ENV=production)."""

from returns_portal import create_app

app = create_app()
