"""The RQ worker that runs each job inside a Flask app context."""

from __future__ import annotations

from typing import Any

from flask import Flask
from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from server.extensions import db
from server.jobs.queues import QUEUE_NAMES
from server.redis_client import get_redis


class _AppContextMixin:
    """Push the app context around each job and give it a fresh connection pool."""

    app: Flask

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        with self.app.app_context():
            db.engine.dispose(close=False)  # never share a connection inherited over fork()
            try:
                return super().perform_job(job, queue, *args, **kwargs)  # type: ignore[misc]
            finally:
                db.session.remove()


class AppWorker(_AppContextMixin, Worker):
    """Forks a work horse per job, as RQ does by default."""


class InProcessWorker(_AppContextMixin, SimpleWorker):
    """Runs jobs in its own process (for tests and debugging). It takes no commands over
    Redis pub/sub: the subscription's thread would share the app's Redis connections, and
    one stopped while it waited for a message (up to a minute) held the connection the
    app's next command was given, which then waited as long."""

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


def build_worker(
    app: Flask, queue_names: tuple[str, ...] = QUEUE_NAMES, *, in_process: bool = False
) -> Worker | SimpleWorker:
    with app.app_context():
        connection = get_redis()
    worker_class = InProcessWorker if in_process else AppWorker
    queues = [Queue(name, connection=connection) for name in queue_names]
    worker = worker_class(queues, connection=connection)
    worker.app = app
    return worker
