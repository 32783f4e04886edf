"""The figures a benchmark measures, for the one table `make bench` prints and keeps.

Each benchmark module's ``main()`` prints its own detail as it goes and returns its figures;
``python -m benchmarks`` runs them all, prints one table and writes it to BENCHMARKS.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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
