import os

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet

from server import create_app
from server.cli import cli
from server.config import build_config
from server.extensions import db
from server.models import Operator, OperatorRole, Store
from server.runtime.keys import ENCRYPTION_KEYS_FILE, read_key_file, with_local_keys
from server.runtime.serve import serve_lock
from server.startup import apply_migrations, verify_encryption_keys
from tests.support.processes import clean_environment, run_wooxero

PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def no_wooxero_variables(monkeypatch):
    """In-process commands see only the variables each test gives them."""
    for name in [n for n in os.environ if n.startswith("WOOXERO_")]:
        monkeypatch.delenv(name)


def local_install(tmp_path, database_factory, **env):
    """A data dir with generated keys and a migrated database, as after a first `serve`."""
    environment = clean_environment(
        WOOXERO_SERVER__DATA_DIR=str(tmp_path / "var"),
        WOOXERO_DATABASE__URL=database_factory(),
        **env,
    )
    settings = build_config(
        {
            "server": {"data_dir": environment["WOOXERO_SERVER__DATA_DIR"]},
            "database": {"url": environment["WOOXERO_DATABASE__URL"]},
        }
    )
    settings = with_local_keys(settings, generate=True)
    app = create_app(settings)
    with app.app_context():
        apply_migrations()
        verify_encryption_keys()
        db.engine.dispose()
    return environment, settings


def invoke(environment, *args, input=None):
    result = CliRunner().invoke(
        cli, list(args), env=environment, input=input, catch_exceptions=False
    )
    return result


def operator_in(settings, email):
    app = create_app(settings)
    with app.app_context():
        found = db.session.scalar(sa.select(Operator).where(Operator.email == email))
        checks = found and (found.check_password(PASSWORD), found.password_hash)
        db.engine.dispose()
    return checks


def test_create_admin_from_stdin_then_update(tmp_path, database_factory):
    environment, settings = local_install(tmp_path, database_factory)
    result = invoke(
        environment, "create-admin", "Boss@Example.com", "--password-stdin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created operator boss@example.com." in result.output
    matches, first_hash = operator_in(settings, "boss@example.com")
    assert matches and first_hash.startswith("scrypt:")

    result = invoke(
        environment, "create-admin", "boss@example.com", "--password-stdin", input=PASSWORD + "\n"
    )
    assert "Updated operator boss@example.com." in result.output
    assert operator_in(settings, "boss@example.com")[1] != first_hash, "a new salt each time"


def test_create_admin_prompts_twice(tmp_path, database_factory):
    environment, settings = local_install(tmp_path, database_factory)
    result = invoke(
        environment, "create-admin", "ops@example.com", input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert operator_in(settings, "ops@example.com")[0]


def test_create_admin_refuses_a_short_password(tmp_path, database_factory):
    environment, settings = local_install(tmp_path, database_factory)
    result = invoke(
        environment, "create-admin", "ops@example.com", "--password-stdin", input="short\n"
    )
    assert result.exit_code == 2
    assert "at least 12 characters" in result.output
    assert operator_in(settings, "ops@example.com") is None


def store_secret(settings, secret="signing-secret"):
    app = create_app(settings)
    with app.app_context():
        store = Store(url="https://shop.example", signing_secret=secret)
        db.session.add(store)
        db.session.commit()
        raw = db.session.execute(sa.text("SELECT signing_secret FROM stores")).scalar_one()
        db.engine.dispose()
    return raw


def read_secret_with(settings, keys):
    app = create_app(settings.with_overrides({"security": {"encryption_keys": keys}}))
    with app.app_context():
        secret = db.session.scalar(sa.select(Store.signing_secret))
        verify_encryption_keys()
        db.engine.dispose()
    return secret


def test_rotate_key_with_generated_keys_retires_the_old_key(tmp_path, database_factory):
    environment, settings = local_install(tmp_path, database_factory)
    raw_before = store_secret(settings)
    key_file = settings.server.data_dir / ENCRYPTION_KEYS_FILE
    old_keys = read_key_file(key_file)

    result = invoke(environment, "rotate-key")
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 secret(s) with a new key" in result.output

    new_keys = read_key_file(key_file)
    assert len(new_keys) == 1 and new_keys != old_keys
    assert read_secret_with(settings, new_keys) == "signing-secret"
    app = create_app(settings.with_overrides({"security": {"encryption_keys": new_keys}}))
    with app.app_context():
        assert (
            db.session.execute(sa.text("SELECT signing_secret FROM stores")).scalar_one()
            != raw_before
        )
        db.engine.dispose()


def test_rotate_key_refuses_while_serve_runs(tmp_path, database_factory):
    environment, settings = local_install(tmp_path, database_factory)
    key_file = settings.server.data_dir / ENCRYPTION_KEYS_FILE
    before = key_file.read_text()
    with serve_lock(settings.server.data_dir):
        result = run_wooxero("rotate-key", cwd=tmp_path, env=environment)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("wooxero: another `wooxero serve`")
    assert key_file.read_text() == before


def test_rotate_key_with_configured_keys(tmp_path, database_factory):
    environment, settings = local_install(tmp_path, database_factory)
    old_key = settings.security.encryption_keys[0].get_secret_value()
    new_key = Fernet.generate_key().decode()
    store_secret(settings)
    environment["WOOXERO_SECURITY__ENCRYPTION_KEYS"] = f"{new_key},{old_key}"

    result = invoke(environment, "rotate-key")
    assert result.exit_code == 0, result.output
    assert "other keys can now be removed" in result.output
    assert read_secret_with(settings, [new_key]) == "signing-secret"


def test_generate_key_prints_a_fernet_key(tmp_path):
    result = run_wooxero("generate-key", cwd=tmp_path, env=clean_environment())
    assert result.returncode == 0
    Fernet(result.stdout.strip().encode())  # raises if it is not a key


def test_an_invalid_setting_stops_start_up_with_one_line(tmp_path):
    result = run_wooxero("web", cwd=tmp_path, env=clean_environment(WOOXERO_SERVER__PORT="eighty"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "wooxero: server.port (from WOOXERO_SERVER__PORT): "
        "Input should be a valid integer, unable to parse string as an integer"
    ]


def test_production_commands_refuse_to_start_without_keys(tmp_path):
    for command in ("web", "worker", "scheduler"):
        result = run_wooxero(command, cwd=tmp_path, env=clean_environment())
        assert result.returncode == 2
        assert result.stderr.startswith(
            "wooxero: security.secret_key: not set; production commands"
        )


def test_web_refuses_an_unmigrated_database(tmp_path, database_factory, redis_url):
    env = clean_environment(
        WOOXERO_DATABASE__URL=database_factory(),
        WOOXERO_REDIS__URL=redis_url,
        WOOXERO_SECURITY__SECRET_KEY="k" * 40,
        WOOXERO_SECURITY__ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    result = run_wooxero("web", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "the database schema is not up to date: run `wooxero db upgrade`" in result.stderr


def test_web_refuses_keys_that_do_not_decrypt_the_database(tmp_path, database_factory, redis_url):
    environment, _settings = local_install(tmp_path, database_factory)
    environment.update(
        WOOXERO_REDIS__URL=redis_url,
        WOOXERO_SECURITY__SECRET_KEY="k" * 40,
        WOOXERO_SECURITY__ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    result = run_wooxero("web", cwd=tmp_path, env=environment)
    assert result.returncode == 1
    assert "cannot decrypt the secrets stored in this database" in result.stderr


@pytest.mark.parametrize("command", ["web", "worker", "scheduler"])
def test_production_commands_need_redis(tmp_path, command):
    env = clean_environment(
        WOOXERO_SECURITY__SECRET_KEY="k" * 40,
        WOOXERO_SECURITY__ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    result = run_wooxero(command, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "wooxero: redis.url: not set; web, worker and scheduler need Redis"
    )


def test_help_works_even_with_an_invalid_config(tmp_path):
    result = run_wooxero("--help", cwd=tmp_path, env=clean_environment(WOOXERO_SERVER__PORT="x"))
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert "rotate-key" in result.stdout


def stores_in(settings) -> list[tuple[str, str, str]]:
    app = create_app(settings)
    with app.app_context():
        found = [
            (store.url, store.name, store.state.value)
            for store in db.session.scalars(sa.select(Store))
        ]
        db.engine.dispose()
    return found


def test_add_store_normalises_and_checks_the_url(tmp_path, database_factory):
    environment, settings = local_install(
        tmp_path, database_factory, WOOXERO_WOOCOMMERCE__ALLOW_INSECURE_HTTP="false"
    )
    refused = invoke(environment, "add-store", "http://shop.example.com")
    assert refused.exit_code == 2 and "must use https" in refused.output
    private = invoke(environment, "add-store", "https://127.0.0.1:8443")
    assert private.exit_code == 2 and "not a public address" in private.output
    assert stores_in(settings) == []

    added = invoke(environment, "add-store", "HTTPS://93.184.215.14:443/Shop/", "--name", "Shop")
    assert added.exit_code == 0, added.output
    assert "https://93.184.215.14/Shop" in added.output
    assert stores_in(settings) == [("https://93.184.215.14/Shop", "Shop", "active")]
    again = invoke(environment, "add-store", "https://93.184.215.14/Shop")
    assert again.exit_code == 2 and "already registered" in again.output
    assert len(stores_in(settings)) == 1


def role_of(settings, email):
    app = create_app(settings)
    with app.app_context():
        role = db.session.scalar(sa.select(Operator.role).where(Operator.email == email))
        db.engine.dispose()
    return role


def test_create_admin_gives_a_role_admin_unless_told(tmp_path, database_factory):
    environment, settings = local_install(tmp_path, database_factory)
    line = PASSWORD + "\n"
    invoke(environment, "create-admin", "boss@example.com", "--password-stdin", input=line)
    assert role_of(settings, "boss@example.com") is OperatorRole.ADMIN
    result = invoke(
        environment, "create-admin", "help@example.com", "--password-stdin", "--role", "support",
        input=line,
    )  # fmt: skip
    assert result.exit_code == 0 and "Role: support." in result.output
    invoke(environment, "create-admin", "help@example.com", "--password-stdin", input=line)
    assert role_of(settings, "help@example.com") is OperatorRole.SUPPORT, "a new password keeps it"
    invoke(
        environment, "create-admin", "help@example.com", "--password-stdin", "--role", "admin",
        input=line,
    )  # fmt: skip
    assert role_of(settings, "help@example.com") is OperatorRole.ADMIN
    refused = invoke(
        environment, "create-admin", "x@example.com", "--password-stdin", "--role", "owner",
        input=line,
    )  # fmt: skip
    assert refused.exit_code == 2 and "'owner' is not one of" in refused.output
