"""Stripe's keys are required with provider = "stripe", named when missing; a Stripe event's
parts are checked before anything is done with it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.billing.providers.stripe import InvalidEventError, parse_event
from server.config import ConfigError, build_config

STRIPE_KEYS = {"stripe_secret_key": "sk_test_x", "stripe_webhook_secret": "whsec_x"}


@pytest.mark.parametrize("missing", sorted(STRIPE_KEYS))
def test_stripe_needs_both_its_keys_and_says_which_is_missing(missing):
    keys = {key: value for key, value in STRIPE_KEYS.items() if key != missing}
    with pytest.raises(ConfigError) as error:
        build_config({"billing": {"provider": "stripe", **keys}})
    assert str(error.value) == f'billing: {missing} is required with provider = "stripe"'


def test_the_manual_provider_needs_no_key_and_the_tolerance_defaults_to_stripes():
    assert build_config({}).billing.provider == "manual"
    settings = build_config({"billing": {"provider": "stripe", **STRIPE_KEYS}}).billing
    assert settings.stripe_webhook_tolerance_seconds == 300
    with pytest.raises(ConfigError, match="stripe_webhook_tolerance_seconds"):
        build_config({"billing": {"stripe_webhook_tolerance_seconds": 0}})


def test_an_event_is_read_into_its_parts():
    event = parse_event(
        {"id": "evt_1", "type": "invoice.paid", "created": 1_700_000_000,
         "data": {"object": {"id": "in_1"}}}
    )  # fmt: skip
    assert (event.id, event.type, event.object) == ("evt_1", "invoice.paid", {"id": "in_1"})
    assert event.created == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ([], "not a Stripe event"),
        ({"type": "invoice.paid", "created": 1, "data": {"object": {}}}, "no id or type"),
        ({"id": "evt_1", "type": "", "created": 1, "data": {"object": {}}}, "no id or type"),
        ({"id": "evt_1", "type": "x", "created": "soon", "data": {"object": {}}}, "no creation"),
        ({"id": "evt_1", "type": "x", "created": True, "data": {"object": {}}}, "no creation"),
        ({"id": "evt_1", "type": "x", "created": 1, "data": {"object": None}}, "no data.object"),
        ({"id": "evt_1", "type": "x", "created": 1}, "no data.object"),
    ],
)
def test_what_is_not_an_event_is_refused_saying_why(data, why):
    with pytest.raises(InvalidEventError, match=why):
        parse_event(data)
