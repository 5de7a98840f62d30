"""Returns portal: create_app() builds the Flask application."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request, session, url_for
from werkzeug.exceptions import HTTPException

from returns_portal.extensions import babel, csrf, db, limiter, login, migrate

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> str:
    """Find templates/, static/ or migrations/: inside the package when installed from a
    wheel (the build puts them there), else beside it in a source checkout."""
    inside = PACKAGE_DIR / name
    return str(inside if inside.is_dir() else PACKAGE_DIR.parent / name)


def select_locale() -> str | None:
    """Pick the locale: ?lang= in the URL (remembered), then the browser's Accept-Language."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI, background jobs: the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    wanted = request.args.get("lang")
    if wanted in languages:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in languages:
        return str(session["lang"])
    return locale_for_accept_language(
        list(request.accept_languages), languages, current_app.config["BABEL_DEFAULT_LOCALE"]
    )


# Chinese written in Traditional characters: tagged by script, or by the regions that use it.
_TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})


def _locale_for_tag(tag: str, languages: Sequence[str]) -> tuple[str | None, bool]:
    """Return (our locale, exact?) for one language tag (BCP 47, RFC 5646), or (None, False).

    Region tags map to the locale of their script: zh-CN, zh-SG and zh-Hans-CN read
    Simplified Chinese (zh_Hans). Traditional Chinese (zh-TW, zh-HK, zh-Hant-*) is not
    offered, so Simplified is only a fallback for it: inexact.
    """
    subtags = tag.replace("_", "-").lower().split("-")
    primary, rest = subtags[0], subtags[1:]
    for locale in languages:
        if locale.replace("_", "-").lower().split("-")[0] != primary:
            continue
        if primary != "zh":
            return locale, True
        script = next((part for part in rest if len(part) == 4 and part.isalpha()), None)
        if script is None:
            traditional = any(part in _TRADITIONAL_REGIONS for part in rest)
        else:
            traditional = script == "hant"
        return locale, not traditional
    return None, False


def locale_for_accept_language(
    accepted: Sequence[tuple[str, float]], languages: Sequence[str], default: str
) -> str:
    """Pick the locale for a browser's Accept-Language: the best-liked language we offer.

    A language we offer only approximately (Simplified for a Traditional Chinese reader) is
    used only when the browser names nothing else we offer; failing both, `default`.
    """
    fallback = None
    # Most wanted first; sorted() keeps the header's order among equal weights.
    for tag, quality in sorted(accepted, key=lambda item: -item[1]):
        if quality <= 0:
            continue
        locale, exact = _locale_for_tag(tag, languages)
        if locale is not None and exact:
            return locale
        fallback = fallback or locale
    return fallback or default


def language_url(code: str) -> str:
    """Return the link that shows this page in language `code` (the header's switcher).

    A link is followed with GET. A page that answered a form (POST: a failed order lookup,
    too many tries) links to the same address when it also answers GET, else to the start
    page; the form's input is not resent either way.
    """
    path = request.script_root + request.path
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    if request.method not in ("GET", "HEAD"):
        args = []
        try:
            current_app.url_map.bind_to_environ(request.environ).match(request.path, "GET")
        except HTTPException:  # 405 or 404 for GET: no page there to show again
            path = url_for("returns.index")
    return f"{path}?{urlencode([*args, ('lang', code)])}"


def create_app(config_class: type | None = None, default_env: str = "development") -> Flask:
    """Build the app for `config_class`, or for RETURNS_PORTAL_ENV (else `default_env`).

    The factory imports the parts it wires where it wires them: the domains import
    returns_portal.extensions, never this package, and importing returns_portal (the CLI,
    the architecture check) stays cheap and builds nothing.
    """
    from config import CONFIGS, INSTANCE_DIR, ProductionConfig

    if config_class is None:
        env = os.environ.get("RETURNS_PORTAL_ENV", default_env)
        if env not in CONFIGS:
            raise RuntimeError(f"RETURNS_PORTAL_ENV={env!r}: expected one of {sorted(CONFIGS)}")
        config_class = CONFIGS[env]
    if issubclass(config_class, ProductionConfig):
        config_class.check()

    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=resource_dir("templates"),
        static_folder=resource_dir("static"),
    )
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY") and app.config.get("SECRET_KEY_FILE"):
        from returns_portal.security import instance_secret_key

        path = Path(app.instance_path) / app.config["SECRET_KEY_FILE"]
        app.config["SECRET_KEY"] = instance_secret_key(path)

    from returns_portal import models  # noqa: F401  (every table, for Alembic and relationships)
    from returns_portal.store.identity import store_timezone

    db.init_app(app)
    # Batch mode lets SQLite alter tables; compare_type makes autogenerate see type changes.
    migrate.init_app(
        app,
        db,
        directory=resource_dir("migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    login.init_app(app)
    # Times on pages read in the store's zone, as the admin set it (else STORE_TIMEZONE).
    babel.init_app(app, locale_selector=select_locale, timezone_selector=store_timezone)
    app.add_template_global(language_url)
    limiter.init_app(app)

    from returns_portal import filters, inputs, jobs, security, storage
    from returns_portal.database import register_engine_hooks
    from returns_portal.events import services as events
    from returns_portal.notifications import mailer
    from returns_portal.refunds import gateway
    from returns_portal.shipping import services as shipping

    register_engine_hooks(app)
    security.init_app(app)
    inputs.init_app(app)  # before the blueprints: it bounds their <int:…> URL parts
    gateway.init_app(app)
    storage.init_app(app)
    mailer.init_app(app)
    shipping.init_app(app)
    filters.init_app(app)
    jobs.init_app(app)
    events.init_app(app)

    from returns_portal.notifications import handlers as notification_handlers
    from returns_portal.receiving import handlers as receiving_handlers
    from returns_portal.refunds import handlers as refund_handlers
    from returns_portal.returns import handlers as return_handlers
    from returns_portal.shipping import handlers as shipping_handlers

    refund_handlers.init_app(app)
    return_handlers.init_app(app)
    receiving_handlers.init_app(app)
    notification_handlers.init_app(app)
    shipping_handlers.init_app(app)
    jobs.start(app)  # once every domain registered its jobs

    from returns_portal.accounts.access import LOGIN_MESSAGE, load_user
    from returns_portal.accounts.admin_views import bp as admin_bp
    from returns_portal.accounts.cli import tokens_cli, users_cli
    from returns_portal.accounts.views import bp as accounts_bp
    from returns_portal.api.views import bp as api_bp
    from returns_portal.api.views import init_app as api_init
    from returns_portal.desk.views import bp as desk_bp
    from returns_portal.events.cli import events_cli
    from returns_portal.orders.cli import demo_cli, orders_cli
    from returns_portal.receiving.views import bp as receiving_bp
    from returns_portal.refunds.cli import credit_cli, refunds_cli
    from returns_portal.refunds.views import bp as refunds_bp
    from returns_portal.refunds.webhooks import bp as webhooks_bp
    from returns_portal.returns.cli import exchanges_cli, photos_cli, returns_cli
    from returns_portal.returns.views import bp as returns_bp
    from returns_portal.shipping.cli import carriers_cli
    from returns_portal.shipping.webhooks import bp as carrier_webhooks_bp
    from returns_portal.store.cli import policy_cli
    from returns_portal.store.views import bp as policy_admin_bp

    # The JSON API authenticates every call with a bearer token and sets no cookies,
    # so cross-site request forgery does not apply to it.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    api_init(app)
    app.register_blueprint(returns_bp)
    app.register_blueprint(receiving_bp)
    app.register_blueprint(refunds_bp)
    # The Stripe webhook proves itself with a signature instead of a CSRF token.
    csrf.exempt(webhooks_bp)
    app.register_blueprint(webhooks_bp)
    # Carriers' tracking webhooks prove themselves with a signature (X-Hmac-Signature) too.
    csrf.exempt(carrier_webhooks_bp)
    app.register_blueprint(carrier_webhooks_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(desk_bp)
    app.register_blueprint(policy_admin_bp)
    app.register_blueprint(admin_bp)
    for group in (
        tokens_cli,
        users_cli,
        orders_cli,
        demo_cli,
        policy_cli,
        refunds_cli,
        credit_cli,
        events_cli,
        photos_cli,
        returns_cli,
        exchanges_cli,
        carriers_cli,
    ):
        app.cli.add_command(group)

    # Staff sign-in: pages guarded by role_required send visitors here; "strong" drops the
    # session when it moves to another address or browser; a deactivated user loads as nobody.
    login.login_view = "accounts.login"
    login.login_message = LOGIN_MESSAGE
    login.localize_callback = str  # translate the lazy message as it is flashed
    login.session_protection = "strong"
    login.user_loader(load_user)

    return app
