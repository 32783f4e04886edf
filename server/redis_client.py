"""One Redis client per app, from the configured URL (redis://, rediss:// or unix://)."""

from __future__ import annotations

from flask import Flask, current_app
from redis import Redis

EXTENSION_KEY = "wooxero.redis"


def redis_from_url(url: str) -> Redis:
    return Redis.from_url(
        url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30
    )


def get_redis() -> Redis:
    """The app's Redis client; raises RuntimeError if no Redis URL is configured."""
    client = current_app.extensions.get(EXTENSION_KEY)
    if client is None:
        raise RuntimeError("no Redis is configured (redis.url)")
    return client


def init_app(app: Flask, url: str) -> None:
    if url:
        app.extensions[EXTENSION_KEY] = redis_from_url(url)


def limiter_storage_uri(url: str) -> str:
    """The URI Flask-Limiter (the `limits` package) expects for the same Redis."""
    if not url:
        return "memory://"
    if url.startswith("unix://"):
        return "redis+unix://" + url.removeprefix("unix://")
    return url
