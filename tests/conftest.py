"""Shared fixtures: a real database (SQLite, or PostgreSQL from WOOXERO_DATABASE__URL) and a
real Redis (embedded on a unix socket, or the one in WOOXERO_REDIS__URL).

With WOOXERO_DATABASE__URL set to PostgreSQL, the suite creates a fresh database next to the
one named (the role needs CREATEDB) and drops it at the end. With WOOXERO_REDIS__URL set, the
suite flushes that Redis database between tests: give it one of its own (e.g. /9).
"""

from __future__ import annotations

import contextvars
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy.engine import make_url

from sandbox.xero import SandboxConfig, serve_in_thread
from sandbox.xero.api.spec import SpecUnavailableError
from sandbox.xero.server import RunningSandbox
from server import create_app
from server.config import Config, build_config
from server.extensions import current_config, db, limiter
from server.runtime.embedded_redis import EmbeddedRedis
from server.startup import apply_migrations
from tests.support.databases import create_postgres_database
from tests.support.processes import free_port
from tests.support.reference import (
    REFERENCES,
    Reference,
    ReferenceMisconfiguredError,
    xero_spec_path,
)
from tests.support.waiting import HTTP_TIMEOUT

DATABASE_URL_VARIABLE = "WOOXERO_DATABASE__URL"
REDIS_URL_VARIABLE = "WOOXERO_REDIS__URL"
PUBLIC_URL = "http://wooxero.test"
XERO_CLIENT_ID = "wooxero-sandbox"
XERO_CLIENT_SECRET = "sandbox-secret"
XERO_WEBHOOK_KEY = "sandbox-webhook-key"
MISSING_REFERENCES = pytest.StashKey[dict[Reference, int]]()


def pytest_configure(config: pytest.Config) -> None:
    """Look for the reference material once: what is missing maps to its deselected tests."""
    try:
        missing = {reference: 0 for reference in REFERENCES if reference.path() is None}
    except ReferenceMisconfiguredError as error:
        raise pytest.UsageError(str(error)) from error
    config.stash[MISSING_REFERENCES] = missing


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Which reference material the checks run against."""
    paths = {reference: reference.path() for reference in REFERENCES}
    found = [f"{reference.description} at {path}" for reference, path in paths.items() if path]
    return [f"reference: {'; '.join(found)}"] if found else []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that check against missing reference material are deselected, not failed: a
    clone of the repository alone must pass (the summary says what was left out)."""
    missing = config.stash[MISSING_REFERENCES]
    kept, dropped = [], []
    for item in items:
        lacking = [r for r in missing if item.get_closest_marker(r.marker)]
        for reference in lacking:
            missing[reference] += 1
        (dropped if lacking else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """One line saying which reference checks were skipped, and how to run them."""
    missing = config.stash[MISSING_REFERENCES]
    if missing:
        skipped = "; ".join(reference.skipped(count) for reference, count in missing.items())
        terminalreporter.write_line(f"Reference checks skipped: {skipped}", yellow=True)


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Makes empty databases of the kind under test (SQLite files or PostgreSQL databases)."""
    configured = os.environ.get(DATABASE_URL_VARIABLE, "")
    droppers: list[Callable[[], None]] = []

    def make() -> str:
        if configured and make_url(configured).get_backend_name() == "postgresql":
            url, drop = create_postgres_database(configured)
            droppers.append(drop)
            return url
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'wooxero.db'}"

    yield make
    for drop in droppers:
        drop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get(REDIS_URL_VARIABLE, "")
    if configured:
        yield configured
        return
    directory = tmp_path_factory.mktemp("redis")
    server = EmbeddedRedis(directory, directory / "redis.log")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def xero_sandbox_url() -> str:
    """Where the Xero sandbox listens (started only by the tests that use it)."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def xero_sandbox(xero_sandbox_url: str) -> Iterator[RunningSandbox]:
    """The Xero sandbox on loopback for the rest of the session (reset by `sandbox`),
    validating requests against Xero's spec when it is available."""
    config = SandboxConfig(
        auto_approve=True, webhook_key=XERO_WEBHOOK_KEY, spec_path=xero_spec_path()
    )
    config = config.with_redirect_uris([PUBLIC_URL + "/xero/callback"])
    try:
        running = serve_in_thread(config, port=int(xero_sandbox_url.rsplit(":", 1)[1]))
    except SpecUnavailableError as error:
        pytest.fail(f"the Xero sandbox cannot start: {error}")
    with running:
        yield running


SANDBOX_KNOBS = {
    "auto_approve": True, "auto_approve_tenants": [], "concurrent_limit": 5, "minute_limit": 60,
    "minute_window_seconds": 60, "daily_limit": 5000, "app_minute_limit": 10000,
    "error_rate": 0.0, "latency_ms": 0, "drop_response_rate": 0.0, "webhook_url": "",
    "webhook_key": XERO_WEBHOOK_KEY,
}  # fmt: skip


@pytest.fixture
def sandbox(xero_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The sandbox, reset after the test (data and knobs), which fails if any request broke
    Xero's spec (when available) or the sandbox's own rules."""
    yield xero_sandbox
    base = xero_sandbox.base_url
    violations = requests.get(f"{base}/_sandbox/violations", timeout=HTTP_TIMEOUT).json()
    requests.post(
        f"{base}/_sandbox/config", json=SANDBOX_KNOBS, timeout=HTTP_TIMEOUT
    ).raise_for_status()
    requests.post(f"{base}/_sandbox/reset", json={}, timeout=HTTP_TIMEOUT).raise_for_status()
    assert violations == [], f"requests that Xero would refuse: {violations}"


def xero_settings(base_url: str) -> dict[str, Any]:
    return {
        "client_id": XERO_CLIENT_ID,
        "client_secret": XERO_CLIENT_SECRET,
        "authorize_url": f"{base_url}/identity/connect/authorize",
        "token_url": f"{base_url}/identity/connect/token",
        "revocation_url": f"{base_url}/identity/connect/revocation",
        "connections_url": f"{base_url}/connections",
        "api_url": f"{base_url}/api.xro/2.0",
        "webhook_key": XERO_WEBHOOK_KEY,
        "max_wait_seconds": 10,
        "gather_seconds": 0,  # orders go at once; tests of the gathering turn it on
    }


@pytest.fixture(scope="session")
def make_config(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, xero_sandbox_url: str
) -> Callable[..., Config]:
    """Settings for a test app: fresh keys, a temporary data dir, the suite's Redis, the
    Xero sandbox."""

    def make(database_url: str, **sections: dict[str, Any]) -> Config:
        data: dict[str, dict[str, Any]] = {
            "server": {"data_dir": str(tmp_path_factory.mktemp("var")), "public_url": PUBLIC_URL},
            "database": {"url": database_url},
            "redis": {"url": redis_url},
            "security": {
                "secret_key": secrets.token_urlsafe(32),
                "encryption_keys": [Fernet.generate_key().decode()],
            },
            "xero": xero_settings(xero_sandbox_url),
            # the WooCommerce sandbox listens on plain http on this machine
            "woocommerce": {"allow_insecure_http": True, "allow_private_addresses": True},
        }
        for section, values in sections.items():
            data.setdefault(section, {}).update(values)
        return build_config(data)

    return make


@pytest.fixture(scope="session")
def settings(make_config: Callable[..., Config], database_factory: Callable[[], str]) -> Config:
    return make_config(database_factory())


class IsolatedClient(FlaskClient):
    """Sends each request in a fresh app context, as production does (its own session, its
    own Flask-Login user), after committing the test's own session: on SQLite an open
    transaction holds the write lock the request may need."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def app(settings: Config) -> Iterator[Flask]:
    """The suite's app, its database migrated once to the latest revision."""
    application = create_app(settings)
    application.test_client_class = IsolatedClient
    with application.app_context():
        apply_migrations()
    yield application
    with application.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app_context(app: Flask) -> Iterator[Flask]:
    """An app context on an empty database and an empty Redis, emptied again afterwards."""
    with app.app_context():
        redis_url = current_config().redis.url
        yield app
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        limiter.reset()  # its storage is the last app's (memory:// for apps without Redis)
    Redis.from_url(redis_url).flushdb()


@pytest.fixture
def client(app_context: Flask) -> Any:
    return app_context.test_client()


@pytest.fixture
def redis(app_context: Flask) -> Redis:
    return Redis.from_url(current_config().redis.url)


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
