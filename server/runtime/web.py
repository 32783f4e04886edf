"""gunicorn serving `create_app`, configured from the settings rather than a gunicorn file."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from server.config import Config


class WebServer(BaseApplication):
    def __init__(self, settings: Config) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        web = self.settings.web
        options: dict[str, Any] = {
            "bind": f"{self.settings.server.host}:{self.settings.server.port}",
            "workers": web.workers,
            "threads": web.threads,
            "worker_class": "gthread",
            "timeout": web.timeout,
            "graceful_timeout": 10,
            "accesslog": "-",
            # the path without its query: dashboard sessions and one-time tokens travel there
            "access_log_format": '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"',
            "errorlog": "-",
            "loglevel": self.settings.server.log_level.lower(),
            "proc_name": "wooxero-web",
            "control_socket_disable": True,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from server import create_app

        return create_app(self.settings)
