"""The Flask secret key and the encryption keys: configured, or generated once into data_dir.

Production commands need configured keys. The all-in-one `serve` generates any missing key
into the data directory (mode 600) on its first start and reuses it on every later start, so
a restart never makes stored secrets unreadable or logs anyone out.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from server.config import Config, ConfigError

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
ENCRYPTION_KEYS_FILE = "encryption_keys"


def generate_fernet_key() -> str:
    return Fernet.generate_key().decode()


def write_private_file(path: Path, text: str) -> None:
    """Atomically replace `path` with `text`, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    temporary.replace(path)


def read_key_file(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def write_encryption_keys(data_dir: Path, keys: list[str]) -> None:
    write_private_file(data_dir / ENCRYPTION_KEYS_FILE, "\n".join(keys) + "\n")


def uses_local_encryption_keys(settings: Config) -> bool:
    return not settings.security.encryption_keys


def with_local_keys(settings: Config, *, generate: bool) -> Config:
    """Fill the keys missing from the configuration from data_dir, generating them if asked."""
    data_dir = settings.server.data_dir
    overrides: dict[str, object] = {}
    if not settings.security.secret_key.get_secret_value():
        path = data_dir / SECRET_KEY_FILE
        if generate and not path.exists():
            write_private_file(path, secrets.token_urlsafe(48) + "\n")
        stored = read_key_file(path)
        if stored:
            overrides["secret_key"] = stored[0]
    if uses_local_encryption_keys(settings):
        path = data_dir / ENCRYPTION_KEYS_FILE
        if generate and not path.exists():
            write_encryption_keys(data_dir, [generate_fernet_key()])
        stored = read_key_file(path)
        if stored:
            overrides["encryption_keys"] = stored
    return settings.with_overrides({"security": overrides}) if overrides else settings


def require_keys(settings: Config) -> None:
    """Production commands refuse to start without configured keys."""
    if not settings.security.secret_key.get_secret_value():
        raise ConfigError(
            "security.secret_key: not set; production commands need it "
            "(config.toml or WOOXERO_SECURITY__SECRET_KEY; `wooxero serve` generates its own)"
        )
    if not settings.security.encryption_keys:
        raise ConfigError(
            "security.encryption_keys: not set; production commands need it "
            "(config.toml or WOOXERO_SECURITY__ENCRYPTION_KEYS; make one with "
            "`wooxero generate-key`)"
        )
