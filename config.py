"""Configuration classes: development (embedded default), testing and production."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
# A source checkout keeps its instance/ folder beside this file; an installed portal (a
# wheel, where this file sits in site-packages) uses instance/ in the working directory.
_CHECKOUT = (BASE_DIR / "pyproject.toml").is_file()
INSTANCE_DIR = Path(
    os.environ.get("RETURNS_PORTAL_INSTANCE", (BASE_DIR if _CHECKOUT else Path.cwd()) / "instance")
)


class Config:
    """Settings shared by every environment; each can be overridden from the environment."""

    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'returns_portal.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, object]] = {"pool_pre_ping": True}
    STORE_NAME = os.environ.get("STORE_NAME", "Demo Store")
    STORE_TIMEZONE = os.environ.get("STORE_TIMEZONE", "Asia/Shanghai")
    STORE_CURRENCY = os.environ.get("STORE_CURRENCY", "CNY")
    # Stripe: the embedded default talks to a localstripe server that `make run` starts.
    STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "sk_test_localstripe")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:8420")
    PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "stripe")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    # Redis down must not turn sign-in or order lookup into a 500: limits fall back to this
    # process's memory (still limiting, per process) until the storage answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict[str, object]] = {
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
    }
    # Background jobs: Celery on this broker (Redis); unset, jobs run in-process at once.
    JOBS_BROKER_URL = os.environ.get("JOBS_BROKER_URL") or os.environ.get("REDIS_URL")
    JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "returns-portal")
    JOBS_RETRY_BASE_SECONDS = 30  # a failed refund is tried again after 30 s, 60 s, 120 s …
    JOBS_RETRY_MAX_SECONDS = 3600
    JOBS_MAX_RETRIES = 8
    RECONCILE_EVERY_SECONDS = 300
    RATELIMIT_HEADERS_ENABLED = True
    # Behind a reverse proxy: how many proxies in front of the app set X-Forwarded-For (and
    # X-Forwarded-Proto). 0, the default, trusts no such header: a client could forge it.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))
    PROXY_FIX_X_PROTO = int(os.environ.get("PROXY_FIX_X_PROTO", "0"))
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = STORE_TIMEZONE  # times on pages read in the store's zone
    LANGUAGES = ("en", "zh_Hans", "es", "ro")
    WTF_CSRF_TIME_LIMIT = 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    API_MAX_ORDER_LINES = 500
    # Customer flow
    LOOKUP_RATE_LIMIT = "10 per minute;60 per hour"
    LOOKUP_MIN_SECONDS = 0.3  # found or not, the lookup answers no faster than this
    ORDER_ACCESS_MINUTES = 30
    RETURN_LINK_DAYS = 120
    PHOTO_MAX_BYTES = 8 * 1024 * 1024
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER")  # default: instance/uploads
    OUTBOX_FOLDER = os.environ.get("OUTBOX_FOLDER")  # default: instance/outbox
    MAIL_URL = os.environ.get("MAIL_URL")  # smtp://user:pass@host:587; unset: the outbox folder
    MAIL_FROM = os.environ.get("MAIL_FROM", "Returns <returns@example.com>")
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:5000")  # for links in e-mails
    # Channels besides e-mail that customers are told by, e.g. an SMS gateway over HTTP:
    # ({"type": "http", "code": "sms", "url": "https://…", "token": "…"},). See
    # returns_portal/notifications/channels.py.
    NOTIFY_CHANNELS: ClassVar[tuple[dict[str, object], ...]] = ()
    # A TTF/TTC to embed for all text. Unset: Helvetica, and CJK in the Debian WenQuanYi Zen Hei,
    # embedded, when installed (documents/fonts.py), else reportlab's built-in CID font.
    PDF_FONT_PATH = os.environ.get("PDF_FONT_PATH")
    # Store credit expires this many days after it is issued; 0 keeps it for ever.
    STORE_CREDIT_VALID_DAYS = int(os.environ.get("STORE_CREDIT_VALID_DAYS", "365"))
    CARRIERS: ClassVar[list[dict[str, object]] | None] = None  # None: the built-in carriers
    RETURN_ADDRESS: ClassVar[dict[str, str]] = {
        "name": os.environ.get("RETURN_NAME", "Demo Store Returns Centre"),
        "line1": os.environ.get("RETURN_LINE1", "88 Century Avenue, Building 3"),
        "city": os.environ.get("RETURN_CITY", "Shanghai"),
        "postal_code": os.environ.get("RETURN_POSTAL_CODE", "200120"),
        "country": os.environ.get("RETURN_COUNTRY", "CN"),
    }


# Keys that are public (they were in this repository) or otherwise known: sessions signed with
# them can be forged by anyone, so production refuses them.
KNOWN_SECRET_KEYS = frozenset({"dev-only-not-secret", "testing-not-secret"})
MIN_SECRET_KEY_LENGTH = 32


class DevelopmentConfig(Config):
    """Embedded default: SQLite under instance/, localstripe, in-process jobs."""

    # Without SECRET_KEY, create_app() makes a random key once in instance/secret_key (0600)
    # and reuses it, so no two installs share a key and sessions survive a restart.
    SECRET_KEY_FILE = "secret_key"


class TestingConfig(Config):
    """Tests: the database comes from TEST_DATABASE_URL (SQLite in a temp dir by default)."""

    TESTING = True
    SECRET_KEY = "testing-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    PAYMENT_GATEWAY = "fake"
    JOBS_BROKER_URL = None  # in-process; the Celery tests name their own broker
    LOOKUP_MIN_SECONDS = 0.0
    STRIPE_WEBHOOK_SECRET = "whsec_test_secret"


class ProductionConfig(Config):
    """Production: secrets and the database must come from the environment."""

    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "stripe")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")

    REQUIRED = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "STRIPE_API_KEY")

    @classmethod
    def check(cls) -> None:
        """Refuse to start when a secret or the database is not set in the environment."""
        missing = [
            name
            for name, env in (
                ("SECRET_KEY", "SECRET_KEY"),
                ("DATABASE_URL", "DATABASE_URL"),
                ("STRIPE_API_KEY", "STRIPE_API_KEY"),
            )
            if not os.environ.get(env)
        ]
        if missing:
            raise RuntimeError(
                "Production configuration is missing: "
                + ", ".join(missing)
                + ". Set them in the environment."
            )
        key = os.environ["SECRET_KEY"]
        if key in KNOWN_SECRET_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
            raise RuntimeError(
                f"SECRET_KEY is a known or weak key: give at least {MIN_SECRET_KEY_LENGTH} random"
                ' characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))".'
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
