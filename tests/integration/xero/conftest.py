from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest

from server.connectors.xero.client import XeroClient
from server.models import Store
from server.sync import xero_access
from tests.integration.xero.helpers import connect, make_store, signed_in_operator, tenants

SPEC_VARIABLE = "XERO_OPENAPI_SPEC"
DEFAULT_SPEC = Path(__file__).resolve().parents[4] / "shared" / "reference" / "xero_accounting.yaml"
XERO_API_ORIGIN = "https://api.xero.com"


@pytest.fixture(scope="session")
def xero_spec() -> OpenAPI:
    path = Path(os.environ.get(SPEC_VARIABLE) or DEFAULT_SPEC)
    if not path.exists():
        pytest.fail(
            f"Xero's OpenAPI spec is missing at {path}: the contract tests need it "
            f"(set {SPEC_VARIABLE} to its path)"
        )
    with path.open() as stream:
        spec = yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


class RecordingSession(requests.Session):
    """Keeps every request the connector sends, to check it against Xero's spec."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent.append(request.copy())
        return super().send(request, **kwargs)


def spec_problems(spec: OpenAPI, sent: list[requests.PreparedRequest]) -> list[str]:
    """Each accounting request, moved to Xero's own host, validated by openapi-core."""
    problems = []
    for request in sent:
        parts = urlsplit(request.url)
        if not parts.path.startswith("/api.xro/2.0/"):
            continue
        as_xero = request.copy()
        as_xero.url = urlunsplit(("https", "api.xero.com", parts.path, parts.query, ""))
        try:
            spec.validate_request(RequestsOpenAPIRequest(as_xero))
        except Exception as error:  # noqa: BLE001 - every kind of spec error is reported
            detail = getattr(error, "__cause__", None) or error
            problems.append(f"{request.method} {parts.path}: {type(error).__name__}: {detail}")
    return problems


@pytest.fixture
def connected_store(client: Any, sandbox: Any) -> Store:
    """A store connected to the sandbox's NZ organisation through the real OAuth dance."""
    signed_in_operator(client)
    store = make_store()
    connect(client, store, sandbox, [tenants(sandbox)["Demo Company (NZ)"]])
    return store


@pytest.fixture
def recorded() -> RecordingSession:
    return RecordingSession()


@pytest.fixture
def xero(
    connected_store: Store, recorded: RecordingSession, xero_spec: OpenAPI
) -> Iterator[XeroClient]:
    """The store's real client; afterwards every request it sent is checked against the spec."""
    client = xero_access.client_for(xero_access.connection_for_store(connected_store.id))
    client.http = recorded
    yield client
    problems = spec_problems(xero_spec, recorded.sent)
    assert problems == [], "\n".join(problems)
