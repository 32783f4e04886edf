"""Alembic migrations, installed as the `server.migrations` package."""
