"""Running `wooxero` in a subprocess with a clean environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def clean_environment(**overrides: str) -> dict[str, str]:
    """The current environment without any WOOXERO_* variable, plus `overrides`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WOOXERO_")}
    environment.update(overrides)
    return environment


def run_wooxero(
    *args: str, cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
