"""The demo's parts that need no server: the stand-in site's challenge route, and the data
directory it erases only when it is a demo's own."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from flask import Flask
from werkzeug.test import Client

from sandbox.demo.__main__ import MARKER, _parser, demo_directory
from sandbox.demo.onboarding import DemoError
from sandbox.demo.site import ChallengeRoute

ROUTE = "/?rest_route=/wooxero-bridge/v1/challenge"


@pytest.fixture
def site() -> tuple[ChallengeRoute, Client]:
    store = Flask("store")
    store.add_url_rule("/wp-json/wc/v3/orders", "orders", lambda: {"store": "answers"})
    route = ChallengeRoute(store.wsgi_app)
    return route, Client(route)


def test_the_site_answers_the_challenge_only_while_an_activation_is_under_way(site):
    route, client = site
    nonce = "a1B2c3D4e5F6g7H8"
    idle = client.post(ROUTE, json={"nonce": nonce})
    assert idle.status_code == 404 and idle.json["code"] == "wooxero_bridge_no_activation"

    route.challenge = "c0ffee" * 8
    answer = client.post(ROUTE, json={"nonce": nonce})
    expected = hmac.new(route.challenge.encode(), nonce.encode(), hashlib.sha256).hexdigest()
    assert answer.status_code == 200 and answer.json == {"proof": expected}


@pytest.mark.parametrize(
    "body", [{}, {"nonce": "short"}, {"nonce": "not-alnum-but-long-enough"}, []]
)
def test_a_nonce_the_plugin_would_refuse_gets_no_proof(site, body):
    route, client = site
    route.challenge = "c0ffee" * 8
    answer = client.post(ROUTE, json=body)
    assert answer.status_code == 400 and "proof" not in answer.json


def test_everything_else_reaches_the_store(site):
    _, client = site
    assert client.get("/wp-json/wc/v3/orders").json == {"store": "answers"}
    assert client.get(ROUTE).status_code == 404


def test_a_previous_demos_directory_is_erased_and_marked_again(tmp_path):
    data_dir = tmp_path / "demo"
    data_dir.mkdir()
    (data_dir / MARKER).touch()
    (data_dir / "wooxero.db").write_text("last run")
    with demo_directory(data_dir):
        assert sorted(p.name for p in data_dir.iterdir()) == [MARKER]


def test_a_directory_that_is_not_a_demos_is_never_erased(tmp_path):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    (data_dir / "wooxero.db").write_text("make run's data")
    with (
        pytest.raises(DemoError, match="holds something else than a demo"),
        demo_directory(data_dir),
    ):
        pass
    assert (data_dir / "wooxero.db").read_text() == "make run's data"


def test_two_demos_never_share_a_directory(tmp_path):
    data_dir = tmp_path / "demo"
    with demo_directory(data_dir):
        with pytest.raises(DemoError, match="another demo uses"), demo_directory(data_dir):
            pass
        assert (data_dir / MARKER).exists()


@pytest.mark.parametrize("value", ["-1", "abc", "86400"])
def test_the_order_interval_is_a_sensible_number_of_seconds(value, capsys):
    with pytest.raises(SystemExit):
        _parser().parse_args(["--order-every", value])
    assert "--order-every" in capsys.readouterr().err


def test_secrets_that_begin_with_a_dash_reach_the_xero_sandbox_whole() -> None:
    """token_urlsafe may begin with "-": the demo once failed to start one run in a few dozen."""
    from sandbox.demo.__main__ import xero_sandbox_options
    from sandbox.xero.__main__ import _parser

    options = xero_sandbox_options(9, "http://127.0.0.1:8", "-secret", "--key")
    parsed = _parser().parse_args(options)
    assert (parsed.client_secret, parsed.webhook_key) == ("-secret", "--key")
