"""Batched writes: up to 50 elements per request (and under 3.5 MB), `summarizeErrors=false`,
and each element's outcome given back in the caller's order as soon as its batch answers, so
the caller can bind and commit what succeeded before sending the next batch."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.connectors.base import TransientError
from server.connectors.xero import wire
from server.connectors.xero.client import XeroClient
from server.connectors.xero.ratelimit import CallPriority
from server.connectors.xero.resources import BATCH_WRITE_SIZE, Resource

MAX_BODY_BYTES = 3_400_000  # Xero accepts 3.5 MB per request; keep a margin


@dataclass(frozen=True)
class ElementResult:
    index: int  # position in the caller's sequence
    status: str  # OK, WARNING or ERROR
    element: Mapping[str, Any]  # as Xero returned it (IDs, numbers, totals)
    errors: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.status != "ERROR"


def chunks(elements: Sequence[Mapping[str, Any]], collection: str) -> Iterator[range]:
    """Index ranges of at most 50 elements whose request body stays under the size limit."""
    start = 0
    while start < len(elements):
        end = min(start + BATCH_WRITE_SIZE, len(elements))
        while (
            end - start > 1 and len(wire.dumps({collection: elements[start:end]})) > MAX_BODY_BYTES
        ):
            end = start + (end - start) // 2
        yield range(start, end)
        start = end


def write_batches(
    client: XeroClient,
    resource: Resource,
    elements: Sequence[Mapping[str, Any]],
    *,
    method: str = "PUT",
    path: str | None = None,
    priority: CallPriority | None = None,
    idempotency_salt: str = "",
    params: Mapping[str, Any] | None = None,
) -> Iterator[list[ElementResult]]:
    """PUT (create) or POST (update or create) `elements`; yield each batch's results.
    `params` adds query parameters (e.g. `unitdp`)."""
    if not resource.summarises_errors:
        raise ValueError(f"{resource.path} takes no batches with per-element results")
    for indexes in chunks(elements, resource.collection):
        batch = [elements[index] for index in indexes]
        response = client.write(
            method,
            path or resource.path,
            {resource.collection: batch},
            params={**(params or {}), "summarizeErrors": "false"},
            priority=priority,
            idempotency_salt=idempotency_salt,
        )
        answered = response.data.get(resource.collection) or []
        if len(answered) != len(batch):  # applied, but which element is which cannot be told
            raise TransientError(
                f"Xero answered {len(answered)} {resource.collection} for {len(batch)} sent",
                uncertain=True,
            )
        yield [_element_result(index, item) for index, item in zip(indexes, answered, strict=True)]


def _messages(items: Any) -> tuple[str, ...]:
    return tuple(str(item.get("Message", "")) for item in items or [] if isinstance(item, Mapping))


def _element_result(index: int, item: Mapping[str, Any]) -> ElementResult:
    errors = _messages(item.get("ValidationErrors"))
    warnings = _messages(item.get("Warnings"))
    status = str(item.get("StatusAttributeString") or ("ERROR" if errors else "OK")).upper()
    if item.get("HasErrors") or item.get("HasValidationErrors"):
        status = "ERROR"
    return ElementResult(index=index, status=status, element=item, errors=errors, warnings=warnings)
