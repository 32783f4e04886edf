"""The demo's child processes. Each runs in a session of its own, so the terminal's Ctrl-C
reaches the demo alone and the demo stops them in order; its output goes to a log file; it
is stopped with SIGTERM to its whole process group, and whatever it leaves behind is killed."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psutil


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (for a child that must be told its port up front)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(
        cls, name: str, command: list[str], *, cwd: Path, env: dict[str, str], log: Path
    ) -> Child:
        with log.open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(name, process, log)

    def exit_code(self) -> int | None:
        """None while it runs."""
        return self.process.poll()

    def stop(self, grace: float) -> None:
        """SIGTERM to its process group, SIGKILL to the group after `grace` seconds, then
        SIGKILL to any descendant still alive after another `grace` (one that started a
        session of its own is its parent's to stop; it is killed only if left behind)."""
        try:
            parent = psutil.Process(self.process.pid)
            family = [parent, *parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            family = []
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait()
        _, alive = psutil.wait_procs(family, timeout=grace)
        for leftover in alive:
            leftover.kill()
        psutil.wait_procs(alive, timeout=grace)

    def _signal_group(self, number: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):  # it is gone already
            os.killpg(self.process.pid, number)
