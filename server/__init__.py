"""wooxero: a self-hosted integration server that syncs WooCommerce stores to Xero."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from server import crypto, redis_client
from server.config import Config, build_config, load_config
from server.database import configure_sqlite, engine_options, track_writes
from server.extensions import CONFIG_KEY, csrf, db, limiter, login_manager, migrate
from server.web import dispatch_intake, inputs, security_headers


def migrations_directory() -> str:
    """The Alembic directory (`migrations/`, installed as the `server.migrations` package)."""
    spec = find_spec("server.migrations")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the migrations directory is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))))


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the app from `config` (Config, sections of values, or None to load the
    config file and the environment)."""
    if config is None:
        settings = load_config()
    elif isinstance(config, Config):
        settings = config
    else:
        settings = build_config(config)

    app = Flask(__name__)
    app.extensions[CONFIG_KEY] = settings
    app.config.update(
        SECRET_KEY=settings.security.secret_key.get_secret_value() or None,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings.database_url, settings.web.threads),
        SESSION_COOKIE_SECURE=settings.is_https,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.is_https,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.security.session_hours),
        PREFERRED_URL_SCHEME="https" if settings.is_https else "http",
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_STORAGE_URI=redis_client.limiter_storage_uri(settings.redis.url),
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    _init_extensions(app, settings)
    inputs.init_app(app)
    _register_blueprints(app)
    app.after_request(security_headers)
    dispatch_intake(app)
    if settings.server.proxy_count:
        count = settings.server.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    return app


def _init_extensions(app: Flask, settings: Config) -> None:
    import server.models  # noqa: F401 - registers every table with the metadata

    db.init_app(app)
    track_writes(db.session)
    if settings.database_url.startswith("sqlite"):
        with app.app_context():
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=migrations_directory(), render_as_batch=True)
    crypto.init_app(app, [key.get_secret_value() for key in settings.security.encryption_keys])
    redis_client.init_app(app, settings.redis.url)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."


def _register_blueprints(app: Flask) -> None:
    from server.admin import init_admin
    from server.web import register_blueprints

    register_blueprints(app)
    init_admin(app)

    @app.get("/")
    def index() -> Response:
        return redirect(url_for("admin.index"))
