"""Where the third-party reference material lives: Xero's official OpenAPI spec and
WooCommerce's documentation samples.

Neither is in the repository (a clone alone has neither). CI keeps both in
`../shared/reference` beside the project, and an environment variable can name either.
Checks against them run when they are found; when not, the run says so once (see
`tests/conftest.py`) and everything else still runs on the project's own fixtures.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import PROJECT_ROOT

SHARED_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"


class ReferenceMisconfiguredError(RuntimeError):
    """An environment variable names reference material that is not there."""


@dataclass(frozen=True)
class Reference:
    """One piece of reference material: the tests marked `marker` need it."""

    description: str
    variable: str
    default: Path
    marker: str
    also_unchecked: str = ""  # checks inside other tests that go too

    def path(self) -> Path | None:
        """The path named by `variable` (which must exist: a typo must not quietly turn the
        checks off), else `default` when present, else None."""
        named = os.environ.get(self.variable)
        if named:
            path = Path(named)
            if not path.exists():
                raise ReferenceMisconfiguredError(
                    f"{self.variable}={named}: no such file or directory ({self.description})"
                )
            return path
        return self.default if self.default.exists() else None

    def skipped(self, deselected: int) -> str:
        """What a run without it left out, and how to point the suite at it."""
        where = os.path.relpath(self.default, PROJECT_ROOT)
        return (
            f"{self.description} not found (set {self.variable} or put it at {where}): "
            f"{deselected} test{'' if deselected == 1 else 's'} deselected{self.also_unchecked}"
        )


XERO_SPEC = Reference(
    "Xero's OpenAPI spec",
    "XERO_OPENAPI_SPEC",
    SHARED_REFERENCE / "xero_accounting.yaml",
    "xero_spec",
    ", no request validated against it",
)
WOOCOMMERCE_SAMPLES = Reference(
    "WooCommerce's documentation samples",
    "WOOCOMMERCE_SAMPLES",
    SHARED_REFERENCE / "woocommerce-samples",
    "woocommerce_samples",
)
REFERENCES = (XERO_SPEC, WOOCOMMERCE_SAMPLES)


def xero_spec_path() -> str | None:
    """The spec for the Xero sandbox to validate requests against (None: its own rules only)."""
    path = XERO_SPEC.path()
    return None if path is None else str(path)


def woocommerce_sample(name: str) -> Path:
    """One of WooCommerce's sample files (only tests marked `woocommerce_samples` ask)."""
    directory = WOOCOMMERCE_SAMPLES.path()
    assert directory is not None, "a test reads the samples without the woocommerce_samples mark"
    return directory / name
