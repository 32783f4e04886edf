"""The System > Status page: queues, workers, the scheduler, and a worker round-trip check."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_admin import expose
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from server.admin.access import SecureView
from server.jobs import monitor
from server.jobs.queues import Priority, enqueue, fetch_job
from server.jobs.tasks import housekeeping

CHECK_RESULT_TTL = 600


class SystemView(SecureView):
    @expose("/")
    def index(self) -> str:
        job_id = request.args.get("job", "")
        try:
            status = {
                "queues": monitor.queue_stats(),
                "workers": monitor.workers(),
                "schedulers": monitor.schedulers(),
                "check": _check_result(job_id) if job_id else None,
            }
            redis_error = ""
        except RedisError as error:
            status = {"queues": [], "workers": [], "schedulers": [], "check": None}
            redis_error = f"{type(error).__name__}: {error}"
        return self.render("admin/system.html", redis_error=redis_error, **status)

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
