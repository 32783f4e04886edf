"""The periodic notification check: conditions found, each occurrence told once."""

from __future__ import annotations

from server.notifications import check


def check_notifications() -> str:
    """On a schedule: find what stores' admins and the operators must act on, and email it."""
    return str(check.run())
