"""Xero's one-shot faults: an error status or a dropped response, by path and method.

Random faults (``error_rate``, ``drop_response_rate``) and latency apply to Accounting API
calls only; one-shot faults (``POST /_sandbox/faults``) match any request by method and exact
path (the full path, or the path after ``/api.xro/2.0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..common.faults import OneShotFault, error_status, target


@dataclass
class Fault(OneShotFault):
    """A one-shot fault for the next ``count`` matching requests."""

    path: str | None
    method: str | None
    status: int | None
    drop_response: bool
    count: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Parse ``{"path", "method", "status", "drop_response", "count"}``."""
        drop = bool(data.get("drop_response", False))
        if data.get("status") is None and not drop:
            raise ValueError("a fault needs a status or drop_response: true")
        status = error_status(data.get("status"))
        return cls(**target(data), status=status, drop_response=drop)
