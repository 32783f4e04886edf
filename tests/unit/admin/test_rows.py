"""What the admin panel hides of stored JSON and of messages: the values secrets' names hold."""

import pytest

from server.admin.rows import HIDDEN, redacted, redacted_text


def test_keys_naming_a_secret_are_hidden_at_any_depth_and_the_rest_kept():
    payload = {
        "id": 41,
        "consumer_secret": "cs_1",
        "billing": {"email": "a@b.example", "password": "p"},
        "tokens": [{"access_token": "at", "expires_in": 1800}],
        "line_items": [{"name": "Tea", "total": "9.50"}],
    }
    assert redacted(payload) == {
        "id": 41,
        "consumer_secret": HIDDEN,
        "billing": {"email": "a@b.example", "password": HIDDEN},
        "tokens": HIDDEN,
        "line_items": [{"name": "Tea", "total": "9.50"}],
    }


def test_a_woocommerce_meta_entry_whose_key_names_a_secret_hides_its_value_only():
    meta = [
        {"id": 1, "key": "_stripe_api_key", "value": "sk"},
        {"id": 2, "key": "gift", "value": "y"},
    ]
    assert redacted(meta) == [
        {"id": 1, "key": "_stripe_api_key", "value": HIDDEN},
        {"id": 2, "key": "gift", "value": "y"},
    ]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET https://s.example/wp-json/wc/v3/orders?consumer_key=ck_1&consumer_secret=cs_2&page=3",
         f"GET https://s.example/wp-json/wc/v3/orders?consumer_key={HIDDEN}&consumer_secret={HIDDEN}&page=3"),
        ("Authorization: Bearer eyJabc rest", f"Authorization: {HIDDEN} rest"),
        ('{"refresh_token": "rt_1", "scope": "x"}', f'{{"refresh_token": "{HIDDEN}", "scope": "x"}}'),
        ("Xero refused: Account code 200 is archived", "Xero refused: Account code 200 is archived"),
    ],
)  # fmt: skip
def test_values_after_a_secrets_name_in_text_are_hidden(text, shown):
    assert redacted_text(text) == shown
