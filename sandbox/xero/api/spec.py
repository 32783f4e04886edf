"""Request validation against Xero's official OpenAPI spec (openapi-core).

The spec fails openapi-spec-validator, so spec validation is switched off. OAuth2 security is
checked by the sandbox itself (openapi-core cannot check OAuth2), so only parameters and bodies
are validated here. Xero also accepts an invoice or credit note number, a contact number or an
item code in place of the UUID path parameter; such requests are validated with a placeholder
UUID because the spec does not model those lookups.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import MissingRequestBody
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue

SERVER_HOST = "https://api.xero.com"
SERVER_PREFIX = "/api.xro/2.0"
_PLACEHOLDER_ID = str(uuid.UUID(int=1))
_NUMBER_LOOKUPS = re.compile(r"^/(Invoices|CreditNotes|Contacts|Items)/([^/]+)$")


class SpecUnavailableError(RuntimeError):
    """The OpenAPI spec file is missing or unreadable."""


class _ParametersAndBodyValidator(V30RequestValidator):
    """openapi-core's request validator without the security step."""

    def _iter_errors(self, request: Any, operation: Any, path: Any) -> Iterator[Exception]:
        yield from self._iter_parameters_errors(request, operation, path)
        try:
            self._get_body(request.body, request.content_type, operation)
        except MissingRequestBody:
            return
        except Exception as exc:  # noqa: BLE001 - every body error is a validation finding
            yield exc


@dataclass(frozen=True)
class SpecRequest:
    """What the validator needs from an HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    content_type: str


def _describe(error: Exception) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, InvalidSchemaValue):
            details = [f"{e.json_path}: {e.message}" for e in cause.schema_errors]
            prefix = "Request body" if "body" in str(error).lower() else str(error)
            return f"{prefix}: " + "; ".join(details)
        cause = cause.__cause__
    return str(error)


class SpecValidator:
    """Validates Accounting API requests against ``xero_accounting.yaml``.

    Without a spec (``spec_path`` None: the file is Xero's, not the project's, and a clone may
    lack it) nothing is refused here and no schema is known, so the sandbox applies only its
    own rules and ``where`` fields go unchecked. A path that is named but missing is an error.
    """

    def __init__(self, spec_path: str | None) -> None:
        self._api: OpenAPI | None = None
        self.document: dict[str, Any] = {"components": {"schemas": {}}}
        if spec_path is None:
            return
        path = Path(spec_path)
        if not path.is_file():
            raise SpecUnavailableError(
                f"Xero OpenAPI spec not found at {path}: set XERO_OPENAPI_SPEC or spec_path "
                "to the xero_accounting.yaml file"
            )
        with path.open("rb") as handle:
            document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
        config = Config(spec_validator_cls=None, request_validator_cls=_ParametersAndBodyValidator)
        self._api = OpenAPI.from_dict(document, config=config)
        self.document = document

    def errors(self, request: SpecRequest) -> list[str]:
        """Every reason the request breaks the spec (empty when it conforms or there is none)."""
        if self._api is None:
            return []
        path = request.path
        match = _NUMBER_LOOKUPS.match(path)
        if match and not _is_uuid(match.group(2)):
            path = f"/{match.group(1)}/{_PLACEHOLDER_ID}"
        mock = MockRequest(
            SERVER_HOST,
            request.method.lower(),
            SERVER_PREFIX + path,
            headers=request.headers,
            args=request.query,
            data=request.body or None,
            content_type=request.content_type,
        )
        try:
            return [_describe(e) for e in self._api.request_validator.iter_errors(mock)]
        except PathError as exc:
            return [str(exc)]

    @cached_property
    def schemas(self) -> dict[str, dict[str, Any]]:
        """Component schema name → its properties (for ``where`` and ``order`` fields)."""
        return {
            name: schema.get("properties", {})
            for name, schema in self.document["components"]["schemas"].items()
        }

    def enum(self, schema: str) -> frozenset[str] | None:
        """The values a component schema allows (e.g. ``CurrencyCode``); None without a spec
        or when the schema has no enum."""
        values = self.document["components"]["schemas"].get(schema, {}).get("enum")
        return frozenset(values) if values else None


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
