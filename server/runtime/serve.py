"""`wooxero serve`: Redis (embedded unless configured), migrations, then web, worker and
scheduler as child processes, restarted if they crash and all stopped cleanly on Ctrl-C/SIGTERM.
"""

from __future__ import annotations

import fcntl
import logging
import logging.handlers
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, TextIO

import psutil

from server.config import Config
from server.runtime.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from server.runtime.keys import with_local_keys
from server.runtime.process import die_with_parent

LOCK_FILE = "serve.lock"
LOG_DIR = "logs"
FAILED_START_SECONDS = 10
MAX_FAILED_STARTS = 5
MAX_RESTART_DELAY = 60
LOG_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 5


class ServeError(RuntimeError):
    pass


@dataclass(frozen=True)
class ChildSpec:
    name: str
    command: str  # a `wooxero` subcommand
    stop_grace: float  # seconds between SIGTERM and the second signal
    second_signal: signal.Signals = signal.SIGKILL


CHILDREN = (
    ChildSpec("web", "web", stop_grace=15),
    ChildSpec("scheduler", "scheduler", stop_grace=10),
    # RQ: the first SIGTERM lets the running job finish, a second one stops it (cold shutdown).
    ChildSpec("worker", "worker", stop_grace=30, second_signal=signal.SIGTERM),
)


@contextmanager
def serve_lock(data_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the data directory while `serve` runs."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (data_dir / LOCK_FILE).open("a+") as stream:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            stream.seek(0)
            raise ServeError(
                f"another `wooxero serve` (pid {stream.read().strip() or '?'}) uses {data_dir}"
            ) from None
        stream.truncate(0)
        stream.write(str(os.getpid()))
        stream.flush()
        try:
            yield
        finally:
            stream.truncate(0)


def serve_is_running(data_dir: Path) -> bool:
    path = data_dir / LOCK_FILE
    if not path.exists():
        return False
    with path.open("a+") as stream:
        try:
            fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(stream, fcntl.LOCK_UN)
        return False


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServeError(
                f"cannot listen on {host}:{port} ({error.strerror}); set server.port"
            ) from None


def _log_sink(name: str, log_dir: Path, echo: TextIO) -> logging.Logger:
    """A logger writing a child's output to <log_dir>/<name>.log (rotated) and to `echo`."""
    logger = logging.getLogger(f"wooxero.serve.{name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        log_dir / f"{name}.log", maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS
    )
    echo_handler = logging.StreamHandler(echo)
    echo_handler.setFormatter(logging.Formatter(f"{name:<9} | %(message)s"))
    logger.addHandler(file_handler)
    logger.addHandler(echo_handler)
    return logger


@dataclass
class Child:
    spec: ChildSpec
    environment: dict[str, str]
    sink: logging.Logger
    process: subprocess.Popen[str] | None = None
    started_at: float = 0.0
    failed_starts: int = 0
    restart_at: float | None = None
    pump: threading.Thread | None = field(default=None, repr=False)
    stopping_family: list[psutil.Process] = field(default_factory=list, repr=False)
    stop_deadline: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "server", self.spec.command],
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # the terminal's Ctrl-C reaches serve only; serve stops us
            preexec_fn=die_with_parent(),
        )
        self.started_at = time.monotonic()
        self.restart_at = None
        assert self.process.stdout is not None
        self.pump = threading.Thread(
            target=_pump, args=(self.process.stdout, self.sink), daemon=True
        )
        self.pump.start()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def begin_stop(self) -> None:
        """SIGTERM now; `finish_stop` escalates. Split so all children stop together."""
        self.stopping_family = []
        self.stop_deadline = time.monotonic() + self.spec.stop_grace
        if self.process is None or self.process.poll() is not None:
            return
        try:
            parent = psutil.Process(self.process.pid)
            self.stopping_family = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        self.process.send_signal(signal.SIGTERM)

    def finish_stop(self) -> None:
        """After the grace period the second signal, then SIGKILL to whatever is left."""
        if self.process is None:
            return
        if not self._exits_by(self.stop_deadline):
            self.process.send_signal(self.spec.second_signal)
            if not self._exits_by(time.monotonic() + 5):
                self.process.kill()
        _, alive = psutil.wait_procs(self.stopping_family, timeout=2)
        for leftover in alive:
            leftover.kill()
        psutil.wait_procs(alive, timeout=5)
        self.process.wait()
        if self.pump is not None:
            self.pump.join(timeout=5)

    def _exits_by(self, deadline: float) -> bool:
        assert self.process is not None
        try:
            self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return False
        return True


def _pump(stream: IO[str], sink: logging.Logger) -> None:
    for line in stream:
        sink.info(line.rstrip("\n"))


class Supervisor:
    """Runs the children until asked to stop; restarts a crashed one with a growing delay."""

    def __init__(self, children: list[Child], echo: TextIO) -> None:
        self.children = children
        self.echo = echo
        self.redis: EmbeddedRedis | None = None
        self.stopping = threading.Event()

    def request_stop(self, signal_number: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def run(self) -> int:
        for child in self.children:
            child.start()
        status = 0
        while not self.stopping.wait(0.2):
            if not (self._supervise_redis() and self._supervise()):
                status = 1
                break
        for child in self.children:
            child.begin_stop()
        for child in self.children:
            child.finish_stop()
        return status

    def _supervise_redis(self) -> bool:
        """Restart the embedded Redis if it died (its append-only file keeps the queues)."""
        if self.redis is None or self.redis.running():
            return True
        self._say("the embedded Redis exited; restarting it (see logs/redis.log)")
        try:
            self.redis.start()
        except EmbeddedRedisError as error:
            self._say(f"the embedded Redis cannot start: {error}; stopping")
            return False
        return True

    def _supervise(self) -> bool:
        """Restart children that exited; False if one keeps failing at start-up."""
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.start()
                continue
            code = child.exited()
            if code is None:
                continue
            ran_for = now - child.started_at
            child.failed_starts = child.failed_starts + 1 if ran_for < FAILED_START_SECONDS else 0
            if child.failed_starts >= MAX_FAILED_STARTS:
                self._say(
                    f"{child.spec.name} keeps exiting at start-up (code {code}); stopping. "
                    f"See its log in {LOG_DIR}/{child.spec.name}.log."
                )
                return False
            delay = min(2**child.failed_starts, MAX_RESTART_DELAY)
            self._say(f"{child.spec.name} exited with code {code}; restarting in {delay}s")
            child.restart_at = now + delay
        return True

    def _say(self, message: str) -> None:
        print(f"wooxero   | {message}", file=self.echo, flush=True)


def child_environment(settings: Config) -> dict[str, str]:
    """What the children need beyond the config file: generated keys and the Redis URL."""
    security = settings.security
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "WOOXERO_SERVER__DATA_DIR": str(settings.server.data_dir),
        "WOOXERO_SECURITY__SECRET_KEY": security.secret_key.get_secret_value(),
        "WOOXERO_SECURITY__ENCRYPTION_KEYS": ",".join(
            key.get_secret_value() for key in security.encryption_keys
        ),
        "WOOXERO_REDIS__URL": settings.redis.url,
    }


def serve(settings: Config, echo: TextIO = sys.stdout) -> int:
    """Run the all-in-one until SIGINT or SIGTERM; return the exit status."""
    data_dir = settings.server.data_dir
    log_dir = data_dir / LOG_DIR
    os.umask(0o077)  # the database, keys, logs and Redis files: for this user only
    with serve_lock(data_dir):
        data_dir.chmod(0o700)
        log_dir.mkdir(parents=True, exist_ok=True)
        settings = with_local_keys(settings, generate=True)
        check_port_free(settings.server.host, settings.server.port)
        supervisor = Supervisor([], echo)
        previous = {
            number: signal.signal(number, supervisor.request_stop)
            for number in (signal.SIGINT, signal.SIGTERM)
        }
        redis = None
        try:
            if not settings.redis.url:
                redis = EmbeddedRedis(data_dir, log_dir / "redis.log")
                redis.start()
                supervisor.redis = redis
                settings = settings.with_overrides({"redis": {"url": redis.url}})
            password = _prepare_database(settings)
            if password:
                _print_first_operator(password, echo)
            if supervisor.stopping.is_set():
                return 0
            environment = child_environment(settings)
            supervisor.children = [
                Child(spec, environment, _log_sink(spec.name, log_dir, echo)) for spec in CHILDREN
            ]
            _banner(settings, echo)
            return supervisor.run()
        finally:
            if redis is not None:
                redis.stop()
            for number, handler in previous.items():
                signal.signal(number, handler)


def _prepare_database(settings: Config) -> str | None:
    """Apply migrations, check the keys, create the first operator; return its password."""
    from server import create_app
    from server.extensions import db
    from server.startup import (
        apply_migrations,
        ensure_first_operator,
        verify_encryption_keys,
    )

    app = create_app(settings)
    with app.app_context():
        apply_migrations()
        verify_encryption_keys()
        password = ensure_first_operator()
        db.engine.dispose()
    return password


def _print_first_operator(password: str, echo: TextIO) -> None:
    from server.startup import FIRST_OPERATOR_EMAIL

    print(
        f"First operator: {FIRST_OPERATOR_EMAIL}  password: {password}\n"
        "(shown only this once; change it with `wooxero create-admin`)",
        file=echo,
        flush=True,
    )


def _banner(settings: Config, echo: TextIO) -> None:
    local = f"http://{settings.server.host}:{settings.server.port}"
    lines = [
        "wooxero is running",
        f"  web:    {local}/",
        f"  admin:  {local}/admin/",
    ]
    if settings.public_url != local:
        lines.append(f"  public: {settings.public_url}/")
    lines.append(
        f"  data:   {settings.server.data_dir} (logs in {settings.server.data_dir / LOG_DIR})"
    )
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), file=echo, flush=True)
