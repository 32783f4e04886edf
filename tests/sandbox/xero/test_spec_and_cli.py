"""OpenAPI validation of requests, start-up with a missing spec or none, and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.xero import SandboxConfig, create_app, serve_in_thread
from sandbox.xero.__main__ import config_from_args
from sandbox.xero.api.spec import SpecUnavailableError

from .conftest import REDIRECT_URI, Xero, invoice, line


@pytest.mark.xero_spec
def test_invalid_bodies_and_parameters_are_refused_and_recorded(nz: Xero):
    bad_type = nz.put(
        "/Invoices", {"Invoices": [{"Type": "ACCREC", "LineItems": [{"Quantity": "two"}]}]}
    )
    bad_param = nz.get("/Invoices", page="first")
    bad_ids = nz.get("/Contacts", IDs="not-a-guid")
    violations = nz.sandbox("GET", "violations").json()
    assert bad_type.status_code == 400 and bad_type.json()["Type"] == "PostDataInvalidException"
    assert bad_param.status_code == 400 and bad_param.json()["Type"] == "ValidationException"
    assert bad_ids.status_code == 400
    assert [v["path"] for v in violations] == ["/Invoices", "/Invoices", "/Contacts"]
    assert "is not of type 'number'" in violations[0]["reasons"][0]


@pytest.mark.xero_spec
def test_unknown_paths_are_404(nz: Xero):
    assert nz.get("/NoSuchThing").status_code == 404
    assert nz.sandbox("GET", "violations").json()[-1]["path"] == "/NoSuchThing"


def test_json_must_be_asked_for(nz: Xero):
    no_accept = nz.http.get(
        f"{nz.base}/api.xro/2.0/Organisation",
        headers={**nz.headers(), "Accept": "*/*"},
    )
    assert no_accept.status_code == 406
    assert [v["path"] for v in nz.sandbox("GET", "violations").json()] == ["/Organisation"]


@pytest.mark.xero_spec
def test_json_must_be_declared(nz: Xero):
    no_content_type = nz.http.put(
        f"{nz.base}/api.xro/2.0/Contacts",
        headers=nz.headers(),
        data=b'{"Contacts": [{"Name": "X"}]}',
    )
    assert no_content_type.status_code == 400
    assert nz.get("/Contacts").json()["Contacts"] == []


def test_malformed_json_is_post_data_invalid(nz: Xero):
    response = nz.http.put(
        f"{nz.base}/api.xro/2.0/Invoices",
        headers=nz.headers(**{"Content-Type": "application/json"}),
        data=b'{"Invoices": [',
    )
    assert response.status_code == 400
    assert response.json()["ErrorNumber"] == 14


def test_missing_spec_fails_at_start_with_a_clear_message(tmp_path: Path):
    with pytest.raises(SpecUnavailableError, match="XERO_OPENAPI_SPEC"):
        create_app(SandboxConfig(spec_path=str(tmp_path / "nope.yaml")))


def test_without_a_spec_the_sandbox_starts_and_keeps_its_own_rules():
    """Xero's spec is not the project's (a clone has none): the sandbox serves all the same
    with its own checks (tokens, line accounts, where expressions) and none of the spec's."""
    config = SandboxConfig(auto_approve=True, spec_path=None).with_redirect_uris([REDIRECT_URI])
    with serve_in_thread(config) as served:
        nz = Xero(served.base_url).connect()
        anonymous = nz.http.get(
            f"{nz.base}/api.xro/2.0/Invoices", headers={"Accept": "application/json"}
        )
        bad_account = line("x", "1", "5", AccountCode="999")
        created = nz.put(
            "/Invoices",
            {"Invoices": [invoice(Reference="a"), invoice(Reference="b", LineItems=[bad_account])]},
            summarizeErrors="false",
        )
        found = nz.get("/Invoices", where='Reference=="a" AND Contact.Name.StartsWith("alice")')
        unknown = nz.get("/Invoices", where='Colour=="red"')  # only the spec knows the fields
        nz.http.close()
    assert anonymous.status_code == 401
    outcomes = [bool(i.get("ValidationErrors")) for i in created.json()["Invoices"]]
    assert outcomes == [False, True]
    assert [i["Reference"] for i in found.json()["Invoices"]] == ["a"]
    assert (unknown.status_code, unknown.json()["Invoices"]) == (200, [])


def test_command_line_options():
    config, host, port = config_from_args(
        [
            "--port",
            "9911",
            "--auto-approve",
            "--redirect-uri",
            "http://localhost/a",
            "--redirect-uri",
            "http://localhost/b",
            "--minute-limit",
            "7",
            "--minute-window",
            "2.5",
            "--error-rate",
            "0.1",
        ]
    )
    assert (host, port) == ("127.0.0.1", 9911)
    assert config.auto_approve and config.minute_limit == 7 and config.minute_window_seconds == 2.5
    assert config.clients["wooxero-sandbox"].redirect_uris == (
        "http://localhost/a",
        "http://localhost/b",
    )
    assert config.error_rate == 0.1


def test_command_line_refuses_to_start_without_a_spec(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "sandbox.xero", "--port", "0", "--spec", str(tmp_path / "x.yaml")],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 2
    assert "Xero OpenAPI spec not found" in result.stderr
