"""The production layout: `db upgrade`, then web, worker and scheduler as separate processes
pointed at the database and Redis by URL (PostgreSQL and a real Redis in the CI's second run)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from cryptography.fernet import Fernet
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler

from tests.support.processes import clean_environment, free_port, run_wooxero
from tests.support.waiting import PATIENCE, answers, wait_until

pytestmark = pytest.mark.slow


def spawn(command: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "server", command],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_separate_processes_on_configured_database_and_redis(tmp_path, database_factory, redis_url):
    port = free_port()
    env = clean_environment(
        WOOXERO_DATABASE__URL=database_factory(),
        WOOXERO_REDIS__URL=redis_url,
        WOOXERO_SERVER__PORT=str(port),
        WOOXERO_SERVER__DATA_DIR=str(tmp_path / "unused"),
        WOOXERO_SECURITY__SECRET_KEY="a-production-secret-key-of-40-characters",
        WOOXERO_SECURITY__ENCRYPTION_KEYS=Fernet.generate_key().decode(),
    )
    upgrade = run_wooxero("db", "upgrade", cwd=tmp_path, env=env)
    assert upgrade.returncode == 0, upgrade.stderr

    processes = [spawn(name, tmp_path, env) for name in ("web", "worker", "scheduler")]
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/readyz"), "web to be ready")
        redis = Redis.from_url(redis_url)
        job = Queue("default", connection=redis).enqueue(
            "server.jobs.tasks.housekeeping.check_worker"
        )
        wait_until(lambda: job.get_status(refresh=True) == "finished", "the worker to run the job")
        assert job.return_value()["database_time"]
        wait_until(lambda: len(CronScheduler.all(connection=redis)) == 1, "the scheduler")
        assert not (tmp_path / "unused").exists(), "production processes write no local data"
    finally:
        families = []
        for process in processes:
            parent = psutil.Process(process.pid)
            families += [parent, *parent.children(recursive=True)]
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(PATIENCE) for process in processes]
    assert codes == [0, 0, 0], [p.stdout.read() for p in processes]
    _, alive = psutil.wait_procs(families, timeout=PATIENCE)
    assert alive == []
    Redis.from_url(redis_url).flushdb()
