"""WSGI entry point for app servers: `gunicorn wsgi:app` runs the production config.

Production is the default here (RETURNS_PORTAL_ENV may still name another), so an app server
started without it refuses to start without its secrets instead of serving development.
"""

from returns_portal import create_app

app = create_app(default_env="production")
