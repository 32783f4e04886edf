"""`wooxero serve` as a user runs it: a subprocess in an empty directory, real HTTP, real RQ."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
import requests
import sqlalchemy as sa
from cryptography.fernet import Fernet
from redis import Redis
from rq import Queue

from server import create_app
from server.config import build_config
from server.extensions import db
from server.models import Store
from server.runtime.keys import ENCRYPTION_KEYS_FILE, with_local_keys, write_encryption_keys
from tests.support.processes import clean_environment, free_port
from tests.support.waiting import HTTP_TIMEOUT, PATIENCE, answers, wait_until
from tests.support.web import csrf_token

pytestmark = pytest.mark.slow


@dataclass
class Serve:
    process: subprocess.Popen[str]
    directory: Path
    base_url: str
    output_file: Path

    @property
    def output(self) -> str:
        return self.output_file.read_text()

    def family(self) -> list[psutil.Process]:
        parent = psutil.Process(self.process.pid)
        return [parent, *parent.children(recursive=True)]

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited ({self.process.returncode}):\n{self.output}")
            return answers(f"{self.base_url}/readyz")

        wait_until(ready, lambda: f"serve to be ready:\n{self.output}", interval=0.25)

    def stop(self, signal_number: int = signal.SIGTERM) -> int:
        self.process.send_signal(signal_number)
        return self.process.wait(PATIENCE)


def start_serve(directory: Path) -> Serve:
    port = free_port()
    output_file = directory / f"serve-{port}.out"
    with output_file.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve"],
            cwd=directory,
            env=clean_environment(WOOXERO_SERVER__PORT=str(port)),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    return Serve(process, directory, f"http://127.0.0.1:{port}", output_file)


@pytest.fixture
def serve_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for leftover in psutil.process_iter(["cwd", "cmdline"]):
        try:
            if leftover.info["cwd"] == str(tmp_path) and "server" in (
                leftover.info["cmdline"] or []
            ):
                leftover.kill()
        except psutil.Error:
            continue


def local_settings(directory: Path):
    settings = build_config({"server": {"data_dir": str(directory / "var")}})
    return with_local_keys(settings, generate=False)


def first_password(output: str) -> str:
    match = re.search(r"First operator: admin@localhost  password: (\S+)", output)
    assert match, output
    return match.group(1)


def sign_in(base_url: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base_url}/login")
    response = session.post(
        f"{base_url}/login",
        data={
            "email": "admin@localhost",
            "password": password,
            "csrf_token": csrf_token(page.text),
        },
        allow_redirects=False,
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    return session


def test_serve_runs_everything_and_stops_without_leftovers(serve_dir):
    serve = start_serve(serve_dir)
    serve.wait_ready()
    assert (serve_dir / "var" / "redis.sock").exists(), "embedded Redis on a unix socket"
    for private in ("var", "var/wooxero.db", "var/logs/web.log", "var/encryption_keys"):
        mode = (serve_dir / private).stat().st_mode & 0o077
        assert mode == 0, f"{private} is open to other users ({oct(mode)})"
    password = first_password(serve.output)
    assert "admin:  http://127.0.0.1:" in serve.output

    redis = Redis(unix_socket_path=str(serve_dir / "var" / "redis.sock"))
    job = Queue("high", connection=redis).enqueue("server.jobs.tasks.housekeeping.check_worker")
    wait_until(
        lambda: job.get_status(refresh=True) == "finished",
        lambda: f"the worker to run the job:\n{serve.output}",
        interval=0.2,
    )
    assert job.return_value()["pid"] != os.getpid(), "run by the worker, not by this test"
    redis.close()

    session = sign_in(serve.base_url, password)
    assert session.get(f"{serve.base_url}/admin/system/").status_code == 200

    family = serve.family()
    names = " ".join(" ".join(p.cmdline()) for p in family)
    for part in ("server web", "server worker", "server scheduler", "redis-server"):
        assert part in names
    assert serve.stop(signal.SIGTERM) == 0
    _, alive = psutil.wait_procs(family, timeout=PATIENCE)
    assert alive == [], f"left behind: {[p.cmdline() for p in alive]}"
    assert not (serve_dir / "var" / "redis.sock").exists()


def test_a_second_serve_reuses_keys_and_reads_what_the_first_stored(serve_dir):
    first = start_serve(serve_dir)
    first.wait_ready()
    password = first_password(first.output)
    assert first.stop(signal.SIGINT) == 0  # Ctrl-C

    settings = local_settings(serve_dir)
    app = create_app(settings)
    with app.app_context():
        db.session.add(Store(url="https://shop.example", signing_secret="kept-across-restarts"))
        db.session.commit()
        db.engine.dispose()

    second = start_serve(serve_dir)
    second.wait_ready()
    assert "First operator" not in second.output, "the operator is created only once"
    session = sign_in(second.base_url, password)  # same secret key and database
    details = session.get(f"{second.base_url}/admin/store/details/?id=1")
    assert details.status_code == 200, "the web process decrypted the stored secret"
    assert "https://shop.example" in details.text
    assert second.stop() == 0

    with app.app_context():
        assert db.session.scalar(sa.select(Store.signing_secret)) == "kept-across-restarts"
        db.engine.dispose()


def test_serve_refuses_keys_that_cannot_read_the_database(serve_dir):
    first = start_serve(serve_dir)
    first.wait_ready()
    assert first.stop() == 0
    write_encryption_keys(serve_dir / "var", [Fernet.generate_key().decode()])
    assert (serve_dir / "var" / ENCRYPTION_KEYS_FILE).exists()

    second = start_serve(serve_dir)
    assert second.process.wait(PATIENCE) == 1
    assert "cannot decrypt the secrets stored in this database" in second.output
    assert not (serve_dir / "var" / "redis.sock").exists(), "the embedded Redis was stopped"


def test_a_crashed_worker_is_restarted(serve_dir):
    serve = start_serve(serve_dir)
    serve.wait_ready()
    (worker,) = _workers(serve)
    worker.kill()
    wait_until(
        lambda: [p for p in _workers(serve) if p.pid != worker.pid],
        lambda: f"a new worker:\n{serve.output}",
        interval=0.5,
    )
    assert "worker exited with code -9; restarting" in serve.output
    assert serve.stop() == 0


def _workers(serve) -> list[psutil.Process]:
    """The worker processes `serve` runs now; one killed but not yet reaped (a zombie, whose
    command line cannot be read) is not running."""
    workers = []
    for child in psutil.Process(serve.process.pid).children():
        try:
            if child.cmdline()[-1:] == ["worker"]:
                workers.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return workers


def test_a_second_serve_on_the_same_directory_is_refused(serve_dir):
    first = start_serve(serve_dir)
    first.wait_ready()
    second = start_serve(serve_dir)
    assert second.process.wait(PATIENCE) == 1
    assert f"another `wooxero serve` (pid {first.process.pid}) uses" in second.output
    assert requests.get(f"{first.base_url}/readyz", timeout=HTTP_TIMEOUT).status_code == 200
    assert first.stop() == 0


def test_killing_serve_outright_leaves_no_process(serve_dir):
    serve = start_serve(serve_dir)
    serve.wait_ready()
    family = serve.family()
    serve.process.kill()  # SIGKILL: no chance to clean up; the children must notice
    serve.process.wait(PATIENCE)
    _, alive = psutil.wait_procs(family, timeout=PATIENCE)
    assert alive == [], f"left behind: {[p.cmdline() for p in alive]}"
