"""`make bench`: every benchmark in turn, one table at the end, kept in BENCHMARKS.md.

Each benchmark runs in a process of its own (`python -m benchmarks --only NAME`), so one
cannot leave threads, settings or memory to the next, and one that fails or is missing is a
row saying so rather than the end of the run. PostgreSQL is used when
`WOOXERO_BENCH_DATABASE` names a server (a database of its own is made there and dropped);
unset, the local server at `DEFAULT_DATABASE` is used if it answers, and the rows that need
PostgreSQL say it was not there otherwise.

    python -m benchmarks                  (all of them; writes BENCHMARKS.md)
    python -m benchmarks --only backfill  (one, printing its detail and its rows)
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.report import ROOT, Figure, describe, not_run, table

# In the order they run; a name whose module is absent is reported as not present.
BENCHMARKS = (
    "xero_limiter", "intake", "backfill", "backfill_memory", "end_to_end", "live_stream",
    "fairness", "dashboard", "admin_stores",
)  # fmt: skip
DEFAULT_DATABASE = "postgresql+psycopg://root@127.0.0.1:5432/test"
DATABASE_VARIABLE = "WOOXERO_BENCH_DATABASE"
TIMEOUT_SECONDS = 1200  # one benchmark's most: a hung one is cut off and reported
OUTPUT = ROOT / "BENCHMARKS.md"


def _answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def _database() -> str | None:
    """The PostgreSQL server to use, set for the benchmarks' processes; None for none."""
    url = os.environ.get(DATABASE_VARIABLE) or (
        DEFAULT_DATABASE if _answers(DEFAULT_DATABASE) else None
    )
    if url:
        os.environ[DATABASE_VARIABLE] = url
    return url


def run_one(name: str) -> list[Figure]:
    """Run one benchmark here; a missing module or a failure becomes a row."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"benchmarks.{name}":
            raise
        return [not_run(name, "not present on this branch")]
    try:
        figures = module.main()
    except SystemExit as stop:  # a benchmark that cannot run here says why this way
        return [not_run(name, str(stop.code))]
    if not figures:
        return [not_run(name, "printed its figures but returned none for the table")]
    return list(figures)


def _in_child(name: str, figures_file: Path) -> list[Figure]:
    started = time.monotonic()
    print(f"\n=== {name}", flush=True)
    try:
        subprocess.run(  # noqa: S603 - this very module, one benchmark
            [sys.executable, "-m", "benchmarks", "--only", name, "--figures", str(figures_file)],
            cwd=ROOT, check=True, timeout=TIMEOUT_SECONDS,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return [not_run(name, f"cut off after {TIMEOUT_SECONDS} s")]
    except subprocess.CalledProcessError as error:
        return [not_run(name, f"failed (exit status {error.returncode}); see its output")]
    print(f"=== {name}: {time.monotonic() - started:.0f} s", flush=True)
    return [Figure(**row) for row in json.loads(figures_file.read_text())]


def _document(figures: list[Figure], machine: list[tuple[str, str]], seconds: float) -> str:
    about = "\n".join(f"- **{what}**: {which}" for what, which in machine)
    return f"""# Benchmarks

The figures of the last `make bench` ({seconds / 60:.0f} minutes), written by it. Everything
runs on this one machine over loopback: wooxero, the sandboxes (Xero and WooCommerce), Redis,
the databases and the load generators share its cores, so figures vary between runs (by
10 % or more when other work runs beside them). What each benchmark does, and what limits
it, is in the README (Tests: Benchmarks) and in each module's docstring in `benchmarks/`.

{table(figures)}

## Machine

{about}

## Reproduce

    make bench                      # python -m benchmarks, after installing what it needs
    python -m benchmarks --only NAME  # one benchmark: {", ".join(BENCHMARKS)}

PostgreSQL figures need `{DATABASE_VARIABLE}` (a server URL; a database of its own is
created there and dropped), or a server answering at `{DEFAULT_DATABASE}`.
Intake needs `wrk` (the Makefile installs it with apt).
"""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--only", choices=BENCHMARKS, help="run this benchmark alone")
    parser.add_argument("--figures", type=Path, help=argparse.SUPPRESS)  # the runner's
    arguments = parser.parse_args()
    if arguments.only:
        _database()
        figures = run_one(arguments.only)
        if arguments.figures:
            rows = [dataclasses.asdict(f) for f in figures]
            arguments.figures.write_text(json.dumps(rows))
        else:
            print(table(figures))
        return
    started = time.monotonic()
    database = _database()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="wx-bench-") as directory:
        for name in BENCHMARKS:
            figures += _in_child(name, Path(directory) / f"{name}.json")
    elapsed = time.monotonic() - started
    print("\n" + table(figures))
    OUTPUT.write_text(_document(figures, describe(database), elapsed))
    print(f"\nwritten to {OUTPUT.name} ({elapsed / 60:.1f} minutes in all)")


if __name__ == "__main__":
    main()
