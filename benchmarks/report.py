"""The figures a benchmark measures, for the one table `make bench` prints and keeps.

Each benchmark module's ``main()`` prints its own detail as it goes and returns its figures;
``python -m benchmarks`` runs them all, prints one table and writes it to BENCHMARKS.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure: what, on what, how much, against which target (if any)."""

    benchmark: str
    measure: str
    value: str
    target: str = ""
    met: bool | None = None
