"""The server's configuration: `config.toml` (path from WOOXERO_CONFIG), then WOOXERO_*
environment overrides.

Nested keys use a double underscore in the environment: `WOOXERO_DATABASE__URL` overrides
`[database] url`. Every value is validated; `load_config` turns the first problem into a
`ConfigError` whose message is one line naming the key and what is wrong with it.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_PREFIX = "WOOXERO_"
CONFIG_PATH_VARIABLE = "WOOXERO_CONFIG"
DEFAULT_CONFIG_PATH = "config.toml"
SUPPORTED_DATABASES = ("sqlite", "postgresql")


def zone_name(value: str) -> str:
    """`value` if it names an IANA time zone (`Europe/Paris`, `UTC`) this machine knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not an IANA time zone such as Europe/Paris or UTC"
        ) from None
    return value


class ConfigError(Exception):
    """An invalid setting; the message is one line naming the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _split_list(value: Any) -> Any:
    """Accept a list, a JSON array or a comma-separated string (environment variables)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise ValueError("is neither a JSON array nor a comma-separated list") from None
    return [part.strip() for part in text.split(",") if part.strip()]


class ServerConfig(_Section):
    public_url: str = ""  # empty: http://<host>:<port>
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    data_dir: Path = Path("var")
    proxy_count: int = Field(0, ge=0, le=5)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    operator_timezone: str = "UTC"  # the admin panel's times, for operators who chose none

    @field_validator("operator_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return zone_name(value)

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an absolute http(s) URL such as https://sync.example.com")
        if parts.query or parts.fragment:
            raise ValueError("must not contain a query or fragment")
        return urlunsplit(parts).rstrip("/")

    @field_validator("data_dir")
    @classmethod
    def _absolute_dir(cls, value: Path) -> Path:
        return value.expanduser().absolute()


class WebConfig(_Section):
    workers: int = Field(2, ge=1, le=64)
    threads: int = Field(8, ge=1, le=64)
    timeout: int = Field(30, ge=5, le=600)


class DatabaseConfig(_Section):
    url: str = ""

    @field_validator("url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "is not a database URL (e.g. postgresql+psycopg://u@host/db)"
            ) from None
        backend = url.get_backend_name()
        if backend not in SUPPORTED_DATABASES:
            raise ValueError(f"uses {backend!r}; supported: {', '.join(SUPPORTED_DATABASES)}")
        if backend == "sqlite":
            if url.database in (None, "", ":memory:"):
                raise ValueError("must name a SQLite file; an in-memory database is not shared")
            url = url.set(database=str(Path(url.database).expanduser().absolute()))
            return url.render_as_string(hide_password=False)
        return value


class RedisConfig(_Section):
    url: str = ""

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


class SecurityConfig(_Section):
    secret_key: SecretStr = SecretStr("")
    encryption_keys: list[SecretStr] = []
    login_rate_limit: str = "10 per minute; 50 per hour"
    session_hours: int = Field(12, ge=1, le=720)

    _split_keys = field_validator("encryption_keys", mode="before")(_split_list)

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for position, key in enumerate(keys, start=1):
            try:
                raw = base64.urlsafe_b64decode(key.get_secret_value().encode())
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes); "
                    "make one with `wooxero generate-key`"
                )
        return keys

    @field_validator("login_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError("is not a rate limit such as '10 per minute; 50 per hour'") from None
        return value


GRANULAR_SCOPES = (
    "offline_access openid profile email "
    "accounting.invoices accounting.payments accounting.contacts accounting.settings"
)
LEGACY_SCOPES = (
    "offline_access openid profile email "
    "accounting.transactions accounting.contacts accounting.settings"
)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _https_url(value: str) -> str:
    """An https URL; plain http only on this machine (the sandboxes)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute https URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError("must use https (plain http is allowed only on 127.0.0.1/localhost)")
    return value.rstrip("/")


class XeroConfig(_Section):
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    scopes: str = GRANULAR_SCOPES
    authorize_url: str = "https://login.xero.com/identity/connect/authorize"
    token_url: str = "https://identity.xero.com/connect/token"  # noqa: S105 - a URL
    revocation_url: str = "https://identity.xero.com/connect/revocation"
    connections_url: str = "https://api.xero.com/connections"
    api_url: str = "https://api.xero.com/api.xro/2.0"
    webhook_key: SecretStr = SecretStr("")
    request_timeout: int = Field(30, ge=1, le=300)
    concurrent_limit: int = Field(5, ge=1, le=5)
    minute_limit: int = Field(60, ge=1, le=60)
    minute_window_seconds: float = Field(60, gt=0, le=60)
    daily_limit: int = Field(5000, ge=1, le=5000)
    app_minute_limit: int = Field(10000, ge=1, le=10000)
    max_wait_seconds: int = Field(60, ge=0, le=3600)
    gather_seconds: float = Field(30, ge=0, le=60)

    _urls = field_validator(
        "authorize_url", "token_url", "revocation_url", "connections_url", "api_url"
    )(_https_url)

    @field_validator("scopes")
    @classmethod
    def _offline_access(cls, value: str) -> str:
        scopes = value.split()
        if "offline_access" not in scopes:
            raise ValueError("must include offline_access, or no refresh token is issued")
        return " ".join(scopes)


class WooCommerceConfig(_Section):
    app_name: str = Field("wooxero", min_length=1, max_length=100)
    allow_insecure_http: bool = False
    allow_private_addresses: bool = False
    request_timeout: int = Field(30, ge=1, le=300)
    poll_interval_minutes: int = Field(5, ge=1, le=1440)
    webhook_check_minutes: int = Field(15, ge=1, le=1440)
    refund_check_minutes: int = Field(60, ge=1, le=10080)
    refund_check_days: int = Field(180, ge=1, le=3650)
    max_webhook_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)


class WorkerConfig(_Section):
    job_timeout: int = Field(600, ge=10, le=86400)


class RetentionConfig(_Section):
    inbound_event_days: int = Field(90, ge=7, le=36500)
    # at least a billing period (up to 31 days): its orders synced are counted from them
    sync_record_days: int = Field(2557, ge=32, le=36500)
    uninstalled_store_days: int = Field(30, ge=0, le=36500)


class BridgeConfig(_Section):
    clock_skew_seconds: int = Field(300, ge=30, le=3600)
    challenge_timeout: int = Field(10, ge=1, le=60)
    concurrent_activations: int = Field(2, ge=1, le=63)
    activation_rate_limit: str = "10 per minute; 100 per hour"
    terms_url: str = ""
    privacy_url: str = ""


PLAN_CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"


class PlanConfig(_Section):
    """A plan offered to stores. Written to the database when no plan has its code yet;
    from then on the operator edits it in the admin (the config never overwrites it)."""

    code: str = Field(pattern=PLAN_CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    price: Decimal = Field(ge=0, le=1_000_000, decimal_places=2)
    currency: str = Field("USD", pattern=CURRENCY_PATTERN)
    interval: Literal["month", "year"] = "month"
    monthly_order_quota: int | None = Field(None, ge=1)  # None: unlimited
    features: list[str] = []
    provider_price_id: str = Field("", max_length=255)  # e.g. Stripe's price_…


DEFAULT_PLANS = (
    PlanConfig(
        code="starter", name="Starter", price=Decimal("19"), monthly_order_quota=300,
        features=["Invoices, payments and refunds", "Email support"],
    ),
    PlanConfig(
        code="standard", name="Standard", price=Decimal("49"), monthly_order_quota=3000,
        features=["Everything in Starter", "Quotes", "Tracking categories", "Backfill"],
    ),
    PlanConfig(
        code="unlimited", name="Unlimited", price=Decimal("99"), monthly_order_quota=None,
        features=["Everything in Standard", "No monthly order limit", "Priority support"],
    ),
)  # fmt: skip


class BillingConfig(_Section):
    """Plans, the trial, and who takes payment (`manual`: the operator in the admin;
    `stripe`: Stripe Checkout, the Billing Portal and Stripe's signed webhooks)."""

    provider: Literal["manual", "stripe"] = "manual"
    trial_days: int = Field(14, ge=0, le=365)
    trial_plan: str = Field("standard", pattern=PLAN_CODE_PATTERN)
    plans: list[PlanConfig] = []  # empty: DEFAULT_PLANS
    stripe_secret_key: SecretStr = SecretStr("")
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_webhook_tolerance_seconds: int = Field(300, ge=30, le=3600)

    @field_validator("plans")
    @classmethod
    def _default_set(cls, plans: list[PlanConfig]) -> list[PlanConfig]:
        return plans or list(DEFAULT_PLANS)

    @model_validator(mode="after")
    def _plans_are_distinct_and_trial_plan_exists(self) -> BillingConfig:
        codes = [plan.code for plan in self.plans]
        duplicated = sorted({code for code in codes if codes.count(code) > 1})
        if duplicated:
            raise ValueError(f"plans: the code {duplicated[0]!r} is used twice")
        if self.trial_plan not in codes:
            raise ValueError(
                f"trial_plan ({self.trial_plan!r}) is not one of the plans ({', '.join(codes)})"
            )
        return self

    @model_validator(mode="after")
    def _stripe_has_its_keys(self) -> BillingConfig:
        if self.provider != "stripe":
            return self
        for key in ("stripe_secret_key", "stripe_webhook_secret"):
            if not getattr(self, key).get_secret_value():
                raise ValueError(f'{key} is required with provider = "stripe"')
        return self


class MonitoringConfig(_Section):
    """Who may read /metrics and /health/stores: a bearer token when one is set, otherwise
    only clients in `metrics_networks` (as ProxyFix sees them; see server.proxy_count)."""

    metrics_token: SecretStr = SecretStr("")
    metrics_networks: list[str] = ["127.0.0.1/32", "::1/128"]

    _split_networks = field_validator("metrics_networks", mode="before")(_split_list)

    @field_validator("metrics_token")
    @classmethod
    def _long_token(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("metrics_networks")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not a network such as 10.0.0.0/8 or 127.0.0.1/32 "
                    "(no host bits set after the prefix)"
                ) from None
        return values


EMAIL_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def _email_address(value: str) -> str:
    value = value.strip()
    if not EMAIL_ADDRESS.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address such as ops@example.com")
    return value


class EmailConfig(_Section):
    """SMTP for notifications; without a host, messages are written to the log instead."""

    host: str = ""
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password: SecretStr = SecretStr("")
    from_address: str = ""
    timeout: int = Field(30, ge=1, le=300)
    operators: list[str] = []

    _split_operators = field_validator("operators", mode="before")(_split_list)

    @field_validator("operators")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        return [_email_address(value) for value in values]

    @field_validator("from_address")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _email_address(value) if value.strip() else ""

    @model_validator(mode="after")
    def _sender_when_sending(self) -> EmailConfig:
        if self.host and not self.from_address:
            raise ValueError("from_address is needed when host is set")
        if self.password.get_secret_value() and not self.username:
            raise ValueError("username is needed with password")
        return self


class NotificationsConfig(_Section):
    check_minutes: int = Field(5, ge=1, le=1440)
    # Held and failed orders of a store at which its admin (and the operators) are told.
    problem_orders: int = Field(5, ge=1, le=100000)


class Config(_Section):
    """Every setting of wooxero; see config.example.toml for what each one does."""

    server: ServerConfig = Field(default_factory=ServerConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    redis: RedisConfig = Field(default_factory=RedisConfig)
    security: SecurityConfig = Field(default_factory=SecurityConfig)
    xero: XeroConfig = Field(default_factory=XeroConfig)
    woocommerce: WooCommerceConfig = Field(default_factory=WooCommerceConfig)
    worker: WorkerConfig = Field(default_factory=WorkerConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    bridge: BridgeConfig = Field(default_factory=BridgeConfig)
    billing: BillingConfig = Field(default_factory=BillingConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    email: EmailConfig = Field(default_factory=EmailConfig)
    notifications: NotificationsConfig = Field(default_factory=NotificationsConfig)

    @model_validator(mode="after")
    def _threads_left_for_other_requests(self) -> Config:
        """Activations wait on the site they link: never on every thread of a web process."""
        if self.bridge.concurrent_activations >= self.web.threads:
            raise ValueError(
                f"bridge.concurrent_activations ({self.bridge.concurrent_activations}) must be "
                f"less than web.threads ({self.web.threads}), so other requests find a thread"
            )
        return self

    @property
    def database_url(self) -> str:
        """The configured URL, or the SQLite file in the data directory."""
        return self.database.url or f"sqlite:///{self.server.data_dir / 'wooxero.db'}"

    @property
    def public_url(self) -> str:
        """The external base URL, without a trailing slash."""
        return self.server.public_url or f"http://{self.server.host}:{self.server.port}"

    @property
    def is_https(self) -> bool:
        return urlsplit(self.public_url).scheme == "https"

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any]]) -> Config:
        """A validated copy with some values replaced: `{"section": {"key": value}}`."""
        return build_config(_merge(_unwrap_secrets(self.model_dump()), overrides))


def _unwrap_secrets(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {key: _unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(item) for item in value]
    return value


def _merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Section-wise merge: a key in `overrides` replaces that key only."""
    merged = {
        section: dict(values) if isinstance(values, Mapping) else values
        for section, values in base.items()
    }
    for section, values in overrides.items():
        if isinstance(values, Mapping) and isinstance(merged.get(section), dict):
            merged[section].update(values)
        else:
            merged[section] = values
    return merged


def build_config(data: Mapping[str, Any]) -> Config:
    """Validate sections of values; raise ConfigError on the first problem."""
    try:
        return Config(**_unwrap_secrets(dict(data)))
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read the config file and the environment; raise ConfigError on the first problem."""
    env = os.environ if environ is None else environ
    path = Path(env.get(CONFIG_PATH_VARIABLE) or DEFAULT_CONFIG_PATH)
    data = _merge(_read_toml(path, explicit=CONFIG_PATH_VARIABLE in env), _env_sections(env))
    try:
        return Config(**data)
    except ValidationError as error:
        raise ConfigError(_describe(error, path, env)) from None


def _read_toml(path: Path, *, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"{CONFIG_PATH_VARIABLE}: {path} does not exist")
        return {}
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None


def _env_sections(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """WOOXERO_SECTION__KEY variables as {"section": {"key": value}}."""
    sections: dict[str, dict[str, str]] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == CONFIG_PATH_VARIABLE:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        if not key:
            raise ConfigError(f"{name}: use WOOXERO_<SECTION>__<KEY>, e.g. WOOXERO_DATABASE__URL")
        sections.setdefault(section, {})[key] = value
    return sections


def _describe(
    error: ValidationError, path: Path | None = None, env: Mapping[str, str] | None = None
) -> str:
    first = error.errors()[0]
    location = [str(part) for part in first["loc"]]
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting (see config.example.toml)"
    elif first["type"] == "model_type":
        message = "must be a section (a TOML table)"
    env_name = ENV_PREFIX + "__".join(location[:2]).upper()
    if env is not None and env_name in env:
        where = f" (from {env_name})"
    elif path is not None and path.exists():
        where = f" (in {path})"
    else:
        where = ""
    if not location:  # a rule across sections: its message names the keys
        return message
    return f"{'.'.join(location)}{where}: {message}"
