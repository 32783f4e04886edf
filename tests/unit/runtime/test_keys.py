import stat

import pytest
from cryptography.fernet import Fernet

from server.config import ConfigError, build_config
from server.runtime.keys import (
    ENCRYPTION_KEYS_FILE,
    SECRET_KEY_FILE,
    require_keys,
    with_local_keys,
)


def settings_in(tmp_path, **security):
    return build_config({"server": {"data_dir": str(tmp_path)}, "security": security})


def test_generated_once_with_owner_only_permissions_then_reused(tmp_path):
    first = with_local_keys(settings_in(tmp_path), generate=True)
    for name in (SECRET_KEY_FILE, ENCRYPTION_KEYS_FILE):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"
    second = with_local_keys(settings_in(tmp_path), generate=True)
    assert second.security.secret_key == first.security.secret_key
    assert second.security.encryption_keys == first.security.encryption_keys
    assert len(first.security.secret_key.get_secret_value()) >= 32


def test_configured_keys_win_and_nothing_is_written(tmp_path):
    key = Fernet.generate_key().decode()
    configured = settings_in(tmp_path, secret_key="s" * 40, encryption_keys=[key])
    result = with_local_keys(configured, generate=True)
    assert result == configured
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    assert not (tmp_path / ENCRYPTION_KEYS_FILE).exists()


def test_without_generation_missing_keys_stay_missing(tmp_path):
    result = with_local_keys(settings_in(tmp_path), generate=False)
    assert result.security.encryption_keys == []
    assert not (tmp_path / ENCRYPTION_KEYS_FILE).exists()


def test_production_refuses_missing_secret_key(tmp_path):
    with pytest.raises(ConfigError, match=r"^security\.secret_key: not set; production commands"):
        require_keys(settings_in(tmp_path))


def test_production_refuses_missing_encryption_keys(tmp_path):
    with pytest.raises(ConfigError, match=r"^security\.encryption_keys: not set"):
        require_keys(settings_in(tmp_path, secret_key="s" * 40))
