"""Running queued jobs inside a test."""

from __future__ import annotations

from flask import Flask

from server.extensions import db
from server.jobs.worker import build_worker


def run_jobs(app: Flask) -> None:
    """Run every queued job here, until the queues are empty. The test's own transaction
    ends first: on SQLite it holds the write lock, which the job (in this same thread) would
    wait for in vain."""
    db.session.commit()
    build_worker(app, in_process=True).work(burst=True)
