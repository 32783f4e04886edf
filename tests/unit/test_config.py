from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from server.config import ConfigError, build_config, load_config

KEY = Fernet.generate_key().decode()


def write(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return {"WOOXERO_CONFIG": str(path)}


def error_for(environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(environ)
    message = str(caught.value)
    assert "\n" not in message, "a config error is one line"
    return message


def test_defaults_without_file_or_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_config({})
    assert settings.server.port == 8000
    assert settings.server.host == "127.0.0.1"
    assert settings.server.data_dir == tmp_path / "var"
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'wooxero.db'}"
    assert settings.redis.url == ""
    assert settings.security.encryption_keys == []
    assert settings.retention.inbound_event_days == 90
    assert not settings.is_https


def test_default_path_is_config_toml_in_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text("[server]\nport = 9001\n")
    assert load_config({}).server.port == 9001


def test_file_values_are_read(tmp_path):
    env = write(
        tmp_path,
        f"""
        [server]
        public_url = "https://sync.example.com/"
        port = 8100
        [database]
        url = "postgresql+psycopg://wooxero@db.internal/wooxero"
        [security]
        encryption_keys = ["{KEY}"]
        """,
    )
    settings = load_config(env)
    assert settings.server.port == 8100
    assert settings.server.public_url == "https://sync.example.com"
    assert settings.is_https
    assert settings.database_url == "postgresql+psycopg://wooxero@db.internal/wooxero"
    assert [k.get_secret_value() for k in settings.security.encryption_keys] == [KEY]


def test_environment_overrides_one_key_and_keeps_the_rest_of_the_section(tmp_path):
    env = write(tmp_path, '[server]\nhost = "0.0.0.0"\nport = 8100\n')
    env["WOOXERO_SERVER__PORT"] = "9100"
    settings = load_config(env)
    assert settings.server.port == 9100
    assert settings.server.host == "0.0.0.0"


@pytest.mark.parametrize("value", [f"{KEY},{KEY}", f'["{KEY}", "{KEY}"]', f" {KEY} , {KEY} "])
def test_lists_from_the_environment(value):
    settings = load_config({"WOOXERO_SECURITY__ENCRYPTION_KEYS": value})
    assert len(settings.security.encryption_keys) == 2


def test_secrets_are_not_shown_in_representations():
    settings = load_config({"WOOXERO_SECURITY__ENCRYPTION_KEYS": KEY})
    assert KEY not in repr(settings)
    assert KEY not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"WOOXERO_SERVER__PORT": "eighty"},
            "server.port (from WOOXERO_SERVER__PORT): Input should be a valid integer",
        ),
        (
            {"WOOXERO_SERVER__PORT": "70000"},
            "server.port (from WOOXERO_SERVER__PORT): Input should be less than or equal to 65535",
        ),
        (
            {"WOOXERO_SERVER__PUBLIC_URL": "sync.example.com"},
            "server.public_url (from WOOXERO_SERVER__PUBLIC_URL): must be an absolute http(s) URL",
        ),
        (
            {"WOOXERO_SERVER__LOG_LEVEL": "LOUD"},
            "server.log_level (from WOOXERO_SERVER__LOG_LEVEL): Input should be",
        ),
        (
            {"WOOXERO_DATABASE__URL": "not a url"},
            "database.url (from WOOXERO_DATABASE__URL): is not a database URL",
        ),
        (
            {"WOOXERO_DATABASE__URL": "mysql://root@localhost/x"},
            "database.url (from WOOXERO_DATABASE__URL): uses 'mysql'; supported: sqlite, postgresql",
        ),
        (
            {"WOOXERO_REDIS__URL": "http://localhost:6379"},
            "redis.url (from WOOXERO_REDIS__URL): must start with redis://, rediss:// or unix://",
        ),
        (
            {"WOOXERO_SECURITY__SECRET_KEY": "short"},
            "security.secret_key (from WOOXERO_SECURITY__SECRET_KEY): must be at least 32 characters",
        ),
        (
            {"WOOXERO_SECURITY__ENCRYPTION_KEYS": f"{KEY},nope"},
            "security.encryption_keys (from WOOXERO_SECURITY__ENCRYPTION_KEYS): key 2 is not a Fernet key",
        ),
        (
            {"WOOXERO_SECURITY__ENCRYPTION_KEYS": "[broken"},
            "security.encryption_keys (from WOOXERO_SECURITY__ENCRYPTION_KEYS): is neither a JSON array nor a comma-separated list",
        ),
        (
            {"WOOXERO_SECURITY__LOGIN_RATE_LIMIT": "lots"},
            "security.login_rate_limit (from WOOXERO_SECURITY__LOGIN_RATE_LIMIT): is not a rate limit",
        ),
        (
            {"WOOXERO_WORKER__JOB_TIMEOUT": "1"},
            "worker.job_timeout (from WOOXERO_WORKER__JOB_TIMEOUT): Input should be greater than or equal to 10",
        ),
        (
            {"WOOXERO_SERVER__COLOUR": "blue"},
            "server.colour (from WOOXERO_SERVER__COLOUR): unknown setting",
        ),
        ({"WOOXERO_PORT": "1"}, "WOOXERO_PORT: use WOOXERO_<SECTION>__<KEY>"),
    ],
)
def test_each_invalid_environment_value_names_its_key(environ, expected):
    assert error_for(environ).startswith(expected)


def test_public_url_defaults_to_the_listening_address():
    settings = load_config({"WOOXERO_SERVER__HOST": "127.0.0.2", "WOOXERO_SERVER__PORT": "9100"})
    assert settings.public_url == "http://127.0.0.2:9100"
    assert not settings.is_https


def test_an_upper_case_https_scheme_still_means_https():
    settings = load_config({"WOOXERO_SERVER__PUBLIC_URL": "HTTPS://Sync.Example.com/"})
    assert settings.public_url == "https://Sync.Example.com"
    assert settings.is_https


def test_a_relative_sqlite_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_config({"WOOXERO_DATABASE__URL": "sqlite:///relative.db"})
    assert settings.database_url == f"sqlite:///{tmp_path / 'relative.db'}"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"WOOXERO_DATABASE__URL": "sqlite://"},
            "database.url (from WOOXERO_DATABASE__URL): must name a SQLite file",
        ),
        (
            {"WOOXERO_DATABASE__URL": "sqlite:///:memory:"},
            "database.url (from WOOXERO_DATABASE__URL): must name a SQLite file",
        ),
        (
            {"WOOXERO_RETENTION__SYNC_RECORD_DAYS": "99999999999"},
            "retention.sync_record_days (from WOOXERO_RETENTION__SYNC_RECORD_DAYS): Input should be less than or equal to 36500",
        ),
        (
            {"WOOXERO_XERO__API_URL": "http://api.example.com"},
            "xero.api_url (from WOOXERO_XERO__API_URL): must use https",
        ),
        (
            {"WOOXERO_XERO__SCOPES": "openid accounting.invoices"},
            "xero.scopes (from WOOXERO_XERO__SCOPES): must include offline_access",
        ),
        (
            {"WOOXERO_XERO__CONCURRENT_LIMIT": "6"},
            "xero.concurrent_limit (from WOOXERO_XERO__CONCURRENT_LIMIT): Input should be less than or equal to 5",
        ),
        (
            {"WOOXERO_EMAIL__OPERATORS": "ops@example.com, nobody"},
            "email.operators (from WOOXERO_EMAIL__OPERATORS): 'nobody' is not an email address such as ops@example.com",
        ),
        (
            {"WOOXERO_EMAIL__SECURITY": "tls"},
            "email.security (from WOOXERO_EMAIL__SECURITY): Input should be 'starttls', 'ssl' or 'none'",
        ),
        (
            {"WOOXERO_EMAIL__HOST": "smtp.example.com"},
            "email: from_address is needed when host is set",
        ),
        (
            {"WOOXERO_NOTIFICATIONS__PROBLEM_ORDERS": "0"},
            "notifications.problem_orders (from WOOXERO_NOTIFICATIONS__PROBLEM_ORDERS): Input should be greater than or equal to 1",
        ),
    ],
)
def test_more_invalid_values(environ, expected):
    assert error_for(environ).startswith(expected)


def test_activations_in_flight_must_leave_web_threads_for_other_requests():
    message = error_for(
        {"WOOXERO_WEB__THREADS": "2", "WOOXERO_BRIDGE__CONCURRENT_ACTIVATIONS": "2"}
    )
    assert message == (
        "bridge.concurrent_activations (2) must be less than web.threads (2), so other "
        "requests find a thread"
    )
    assert load_config({"WOOXERO_WEB__THREADS": "3"}).bridge.concurrent_activations == 2


def test_the_operators_addresses_come_as_a_list():
    settings = load_config({"WOOXERO_EMAIL__OPERATORS": "ops@example.com, owner@example.org"})
    assert settings.email.operators == ["ops@example.com", "owner@example.org"]
    assert "secret-password" not in repr(
        load_config({"WOOXERO_EMAIL__USERNAME": "u", "WOOXERO_EMAIL__PASSWORD": "secret-password"})
    )


def test_xero_urls_may_be_plain_http_on_this_machine_only():
    settings = load_config({"WOOXERO_XERO__API_URL": "http://127.0.0.1:9000/api.xro/2.0"})
    assert settings.xero.api_url == "http://127.0.0.1:9000/api.xro/2.0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[server]\nport = 'x'\n", "server.port (in {path}): Input should be a valid integer"),
        (
            "[server]\nprot = 80\n",
            "server.prot (in {path}): unknown setting (see config.example.toml)",
        ),
        ("[servers]\nport = 80\n", "servers (in {path}): unknown setting"),
        ("server = 3\n", "server (in {path}): must be a section"),
        (
            "[retention]\nsync_record_days = 1\n",
            "retention.sync_record_days (in {path}): Input should be greater than or equal to 32",
        ),
        ("[server\nport = 80\n", "{path}: not valid TOML"),
    ],
)
def test_each_invalid_file_value_names_its_key_and_file(tmp_path, text, expected):
    env = write(tmp_path, text)
    assert error_for(env).startswith(expected.format(path=env["WOOXERO_CONFIG"]))


def test_explicit_config_path_must_exist(tmp_path):
    missing = tmp_path / "nope.toml"
    assert (
        error_for({"WOOXERO_CONFIG": str(missing)}) == f"WOOXERO_CONFIG: {missing} does not exist"
    )


def test_example_config_is_valid_and_documents_every_setting(project_root):
    example = project_root / "config.example.toml"
    settings = load_config({"WOOXERO_CONFIG": str(example)})
    text = example.read_text()
    for section_name, section in settings:
        assert f"[{section_name}]" in text
        for key in type(section).model_fields:
            assert f"\n{key} = " in text, f"{section_name}.{key} is not in config.example.toml"


def test_example_config_shows_the_defaults(project_root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    example = project_root / "config.example.toml"
    assert load_config({"WOOXERO_CONFIG": str(example)}) == load_config({})


def test_billing_defaults_to_the_default_plans_and_refuses_an_unknown_trial_plan():
    assert [plan.code for plan in build_config({}).billing.plans] == [
        "starter", "standard", "unlimited",
    ]  # fmt: skip
    with pytest.raises(ConfigError, match=r"trial_plan \('gold'\) is not one of the plans"):
        build_config({"billing": {"trial_plan": "gold"}})
    twice = [{"code": "a", "name": "A", "price": "1"}, {"code": "a", "name": "B", "price": "2"}]
    with pytest.raises(ConfigError, match="the code 'a' is used twice"):
        build_config({"billing": {"plans": twice, "trial_plan": "a"}})
    with pytest.raises(ConfigError, match=r"billing.plans.0.price"):
        build_config({"billing": {"plans": [{"code": "a", "name": "A", "price": "0.001"}],
                                  "trial_plan": "a"}})  # fmt: skip
    with pytest.raises(ConfigError, match=r"billing.plans.0.code"):
        build_config({"billing": {"plans": [{"code": "A b", "name": "A", "price": "1"}]}})


def test_monitoring_defaults_to_loopback_without_a_token(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monitoring = load_config({}).monitoring
    assert monitoring.metrics_token.get_secret_value() == ""
    assert monitoring.metrics_networks == ["127.0.0.1/32", "::1/128"]


def test_monitoring_token_and_networks_from_the_environment():
    token = "p" * 32
    monitoring = load_config(
        {
            "WOOXERO_MONITORING__METRICS_TOKEN": token,
            "WOOXERO_MONITORING__METRICS_NETWORKS": "10.0.0.0/8, fd00::/8",
        }
    ).monitoring
    assert monitoring.metrics_token.get_secret_value() == token
    assert token not in repr(monitoring)
    assert monitoring.metrics_networks == ["10.0.0.0/8", "fd00::/8"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"WOOXERO_MONITORING__METRICS_TOKEN": "p" * 31},
            "monitoring.metrics_token (from WOOXERO_MONITORING__METRICS_TOKEN): "
            "must be at least 32 characters (e.g. `openssl rand -hex 32`)",
        ),
        (
            {"WOOXERO_MONITORING__METRICS_NETWORKS": "10.0.0.1/8"},
            "monitoring.metrics_networks (from WOOXERO_MONITORING__METRICS_NETWORKS): "
            "'10.0.0.1/8' is not a network such as 10.0.0.0/8 or 127.0.0.1/32 "
            "(no host bits set after the prefix)",
        ),
        (
            {"WOOXERO_MONITORING__METRICS_NETWORKS": "localhost"},
            "monitoring.metrics_networks (from WOOXERO_MONITORING__METRICS_NETWORKS): "
            "'localhost' is not a network such as 10.0.0.0/8 or 127.0.0.1/32 "
            "(no host bits set after the prefix)",
        ),
    ],
)
def test_invalid_monitoring_values_name_their_key(environ, expected):
    assert error_for(environ) == expected


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../../etc/passwd", "/etc/localtime"])
def test_the_operators_time_zone_must_be_an_iana_zone(zone):
    assert error_for({"WOOXERO_SERVER__OPERATOR_TIMEZONE": zone}).startswith(
        "server.operator_timezone (from WOOXERO_SERVER__OPERATOR_TIMEZONE): "
        f"{zone!r} is not an IANA time zone"
    )


def test_the_operators_time_zone_defaults_to_utc_and_takes_any_iana_zone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config.toml
    assert load_config({}).server.operator_timezone == "UTC"
    zone = load_config({"WOOXERO_SERVER__OPERATOR_TIMEZONE": "Pacific/Auckland"})
    assert zone.server.operator_timezone == "Pacific/Auckland"
