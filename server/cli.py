"""The `wooxero` command."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo, routes_command, shell_command
from flask_migrate.cli import db as db_commands

from server import create_app
from server.billing import plans
from server.config import Config, ConfigError, load_config
from server.crypto import DecryptionError, rotate_secrets
from server.extensions import current_config, db
from server.runtime.embedded_redis import EmbeddedRedisError
from server.runtime.keys import (
    generate_fernet_key,
    require_keys,
    uses_local_encryption_keys,
    with_local_keys,
    write_encryption_keys,
)
from server.runtime.serve import ServeError, serve_lock
from server.startup import StartupError, require_current_schema, verify_encryption_keys

EXPECTED_ERRORS = (ConfigError, StartupError, ServeError, EmbeddedRedisError, DecryptionError)


def _local_config() -> Config:
    """Settings for commands run by hand: missing keys are read from the data directory."""
    return with_local_keys(load_config(), generate=False)


def _app_for_cli() -> Flask:
    return create_app(_local_config())


def _configure_logging(settings: Config, *, show_migrations: bool = False) -> None:
    logging.basicConfig(
        level=settings.server.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not show_migrations and settings.server.log_level != "DEBUG":
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _production_app() -> tuple[Config, Flask]:
    """Settings and app for web/worker/scheduler: keys configured, Redis configured, schema
    current, keys matching the database."""
    settings = load_config()
    require_keys(settings)
    if not settings.redis.url:
        raise ConfigError("redis.url: not set; web, worker and scheduler need Redis")
    _configure_logging(settings)
    app = create_app(settings)
    with app.app_context():
        require_current_schema()
        verify_encryption_keys()
        plans.ensure_configured()
        db.engine.dispose()
    return settings, app


@click.group(context_settings={"obj": ScriptInfo(create_app=_app_for_cli, set_debug_flag=False)})
def cli() -> None:
    """wooxero: sync WooCommerce stores to Xero."""


cli.add_command(db_commands)
cli.add_command(shell_command)
cli.add_command(routes_command)


@cli.command()
def serve() -> None:
    """Everything on one machine: Redis, web, worker and scheduler, data in ./var/."""
    from server.runtime.serve import serve as run_all

    settings = load_config()
    _configure_logging(settings, show_migrations=True)
    sys.exit(run_all(settings))


@cli.command()
def web() -> None:
    """The web server (gunicorn), for production."""
    from server.runtime.web import WebServer

    settings, _app = _production_app()
    WebServer(settings).run()


@cli.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """An RQ worker taking jobs from the high, default and low queues; run as many as needed."""
    from server.jobs.worker import build_worker

    settings, app = _production_app()
    # with_scheduler: jobs delayed by enqueue_in or by a Retry interval are moved to their
    # queue when due (several workers share that duty safely through a Redis lock).
    build_worker(app).work(
        burst=burst, logging_level=settings.server.log_level, with_scheduler=True
    )


@cli.command()
def scheduler() -> None:
    """The RQ cron scheduler that enqueues periodic jobs; run exactly one."""
    from server.jobs.schedules import build_scheduler

    _settings, app = _production_app()
    build_scheduler(app).start()


@cli.command("create-admin")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--role",
    type=click.Choice(["admin", "support"]),
    help="admin changes anything; support sees everything and changes nothing. "
    "Default: admin for a new operator, unchanged for an existing one.",
)
def create_admin(email: str, password_stdin: bool, role: str | None) -> None:
    """Create an operator, or set the password (and role) of an existing one."""
    from server.models import Operator, OperatorRole

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    app = _app_for_cli()
    with app.app_context():
        require_current_schema()
        email = Operator.normalise_email(email)
        if "@" not in email:
            raise click.BadParameter("not an email address", param_hint="EMAIL")
        operator = db.session.scalar(db.select(Operator).where(Operator.email == email))
        created = operator is None
        if operator is None:
            operator = Operator(email=email)
            db.session.add(operator)
        try:
            operator.set_password(password)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
        operator.active = True
        if role is not None or created:
            operator.role = OperatorRole(role or OperatorRole.ADMIN)
        db.session.commit()
        shown = operator.role.value
    click.echo(f"{'Created' if created else 'Updated'} operator {email}. Role: {shown}.")


@cli.command("add-store")
@click.argument("url")
@click.option("--name", default="", help="How the store is shown (default: its host).")
def add_store(url: str, name: str) -> None:
    """Register a WooCommerce store by hand (the bridge plugin does it on activation)."""
    from urllib.parse import urlsplit

    from server.connectors.woocommerce import urls
    from server.models import Store, StoreState

    app = _app_for_cli()
    with app.app_context():
        require_current_schema()
        woo = current_config().woocommerce
        try:
            url = urls.check(
                url, allow_http=woo.allow_insecure_http, allow_private=woo.allow_private_addresses
            )
        except urls.UnsafeStoreURL as error:
            raise click.BadParameter(str(error), param_hint="URL") from None
        if db.session.scalar(db.select(Store.id).where(Store.url == url)) is not None:
            raise click.UsageError(f"{url} is already registered.")
        store = Store(url=url, name=(name.strip() or urlsplit(url).netloc)[:200])
        db.session.add(store)
        store.transition_to(StoreState.ACTIVE, "added by hand", "wooxero add-store")
        db.session.commit()
        click.echo(f"Added store {store.id} ({store.public_id}): {url}")


@cli.command("generate-key")
def generate_key() -> None:
    """Print a new encryption key (for security.encryption_keys)."""
    click.echo(generate_fernet_key())


@cli.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every stored secret with the first encryption key.

    With configured keys: put the new key first in security.encryption_keys (keeping the
    old ones), restart, run this, then remove the old keys. With the keys `serve` generated:
    stop `serve` and run this; it makes a new key, re-encrypts, and retires the old one.
    """
    settings = _local_config()
    if not settings.security.encryption_keys:
        raise ConfigError("security.encryption_keys: no key configured or generated yet")
    if uses_local_encryption_keys(load_config()):
        with serve_lock(settings.server.data_dir):  # `serve` cannot start meanwhile
            moved = _rotate_generated_key(settings)
        click.echo(f"Re-encrypted {moved} secret(s) with a new key; the old key is retired.")
    else:
        moved = _reencrypt(
            settings, [k.get_secret_value() for k in settings.security.encryption_keys]
        )
        click.echo(
            f"Re-encrypted {moved} secret(s) with the first configured key; "
            "the other keys can now be removed from security.encryption_keys."
        )


def _rotate_generated_key(settings: Config) -> int:
    data_dir = settings.server.data_dir
    keys = [
        generate_fernet_key(),
        *(k.get_secret_value() for k in settings.security.encryption_keys),
    ]
    write_encryption_keys(data_dir, keys)  # both on disk until every secret has moved
    moved = _reencrypt(settings, keys)
    write_encryption_keys(data_dir, keys[:1])
    return moved


def _reencrypt(settings: Config, keys: list[str]) -> int:
    """Rotate until nothing is left under an old key; the count leaves out the canary."""
    from server.models import EncryptionCanary

    app = create_app(settings.with_overrides({"security": {"encryption_keys": keys}}))
    total = 0
    with app.app_context():
        require_current_schema()
        for _attempt in range(5):
            with db.engine.begin() as connection:
                moved = rotate_secrets(connection, db.metadata, keys)
            if not moved:
                break
            moved.pop(EncryptionCanary.__tablename__, None)
            total += sum(moved.values())
        else:
            raise StartupError(
                "secrets are still being written with an old key: restart every process "
                "with the new key first, then run rotate-key again"
            )
        db.engine.dispose()
    return total


def _run_guarded(command: Callable[..., Any]) -> None:
    try:
        command()
    except EXPECTED_ERRORS as error:
        click.echo(f"wooxero: {error}", err=True)
        sys.exit(2 if isinstance(error, ConfigError) else 1)


def main() -> None:
    _run_guarded(cli)
