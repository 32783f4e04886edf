"""The System > Status page: queues and their failed jobs (requeued one or all at once),
workers and whether each is alive, the scheduler, and a worker round-trip check. Every rq
call is in `server.jobs.monitor`."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from server.admin.access import SecureView
from server.admin.rows import redacted_text
from server.jobs import monitor
from server.jobs.queues import QUEUE_NAMES, Priority, enqueue, fetch_job
from server.jobs.tasks import housekeeping

CHECK_RESULT_TTL = 600
JOB_ID = re.compile(r"^[A-Za-z0-9:_.-]{1,200}$")  # rq's ids: uuids, or ours with a key


class SystemView(SecureView):
    @expose("/")
    def index(self) -> str:
        job_id = request.args.get("job", "")
        try:
            status = {
                "queues": monitor.queue_stats(),
                "failed": [job for name in QUEUE_NAMES for job in monitor.failed_jobs(name)],
                "workers": monitor.workers(),
                "schedulers": monitor.schedulers(),
                "check": _check_result(job_id) if job_id else None,
            }
            redis_error = ""
        except RedisError as error:
            status = {"queues": [], "failed": [], "workers": [], "schedulers": [], "check": None}
            redis_error = f"{type(error).__name__}: {error}"
        return self.render(
            "admin/system.html", redis_error=redis_error, redacted=redacted_text, **status
        )

    @expose("/check-worker", methods=["POST"])
    def check_worker(self) -> Response:
        """POST only; CSRFProtect has checked the token before this runs."""
        try:
            job = enqueue(
                housekeeping.check_worker, priority=Priority.HIGH, result_ttl=CHECK_RESULT_TTL
            )
        except RedisError as error:
            flash(f"Redis is not reachable: {error}", "error")
            return redirect(url_for(".index"))
        return redirect(url_for(".index", job=job.id))

    @expose("/requeue", methods=["POST"])
    def requeue(self) -> Response:
        """One failed job (`job`) or all of a queue's (no `job`) back on the queue."""
        queue = request.form.get("queue", "")
        job_id = request.form.get("job")
        if queue not in QUEUE_NAMES:
            abort(400, f"queue must be one of {', '.join(QUEUE_NAMES)}")
        if job_id is not None and not JOB_ID.match(job_id):
            abort(400, "job must be a job id (letters, digits, and : _ . -)")
        try:
            if job_id is None:
                count = monitor.requeue_all_failed(queue)
                flash(f"{count} failed job(s) of the {queue} queue are queued again.")
            elif monitor.requeue_failed(queue, job_id):
                flash(f"Job {job_id} is queued again on the {queue} queue.")
            else:
                flash(f"Job {job_id} is no longer among the {queue} queue's failed jobs.", "error")
        except RedisError as error:
            flash(f"Nothing was requeued: Redis is not reachable ({error}).", "error")
        return redirect(url_for(".index"))


def _check_result(job_id: str) -> dict[str, object] | None:
    job = fetch_job(job_id)
    if job is None:
        return None
    status = job.get_status()
    return {
        "id": job.id,
        "status": status.value if status else "unknown",
        "answer": job.return_value(),
    }
