"""Running `wooxero` in a subprocess with a clean environment."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil

PROJECT_ROOT = Path(__file__).resolve().parents[2]


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


def kill_with_descendants(pid: int, timeout: float = 30) -> None:
    """SIGKILL to a process and to every process it started, as when its machine dies. An RQ
    worker's work horse (the fork running the job) has a process group of its own, so a
    signal to the worker or its group alone leaves the job running."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(family, timeout=timeout)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_environment(settings, redis_url: str, **overrides: str) -> dict[str, str]:
    """What `wooxero web/worker/scheduler` need to run on the suite's database and Redis
    with the suite's keys and Xero/WooCommerce settings; `overrides` are WOOXERO_* names."""
    environment = clean_environment(
        WOOXERO_DATABASE__URL=settings.database_url,
        WOOXERO_REDIS__URL=redis_url,
        WOOXERO_SECURITY__SECRET_KEY=settings.security.secret_key.get_secret_value(),
        WOOXERO_SECURITY__ENCRYPTION_KEYS=",".join(
            k.get_secret_value() for k in settings.security.encryption_keys
        ),
        WOOXERO_SERVER__LOG_LEVEL="WARNING",
    )
    for section in ("xero", "woocommerce"):
        for key, value in getattr(settings, section).model_dump().items():
            plain = getattr(value, "get_secret_value", lambda v=value: v)()
            environment[f"WOOXERO_{section.upper()}__{key.upper()}"] = (
                str(plain).lower() if isinstance(plain, bool) else str(plain)
            )
    environment.update(overrides)
    return environment
