"""Xero's refusals in plain words: each known message gets its meaning and its fix (naming
what Xero named), several messages are told apart, and an unknown one is kept as Xero said
it."""

from __future__ import annotations

import pytest

from server.push.refusals import explain, explain_one


@pytest.mark.parametrize(
    ("message", "meaning_has", "fix_has"),
    [
        ("Account code '200' is not a valid code for this document.", "200", "Settings → Accounts"),
        (
            "Account code '201' has been archived, or has been deleted. Each line item must "
            "reference a valid account.",
            "archived",
            "Settings → Accounts",
        ),
        (
            "The TaxType code 'OUTPUT9' does not exist or cannot be used for this type of "
            "transaction.",
            "OUTPUT9",
            "Tax mapping",
        ),
        (
            "The TaxType code 'INPUT2' cannot be used with account code '200'.",
            "INPUT2 cannot be used with account 200",
            "Tax mapping",
        ),
        (
            "The document date cannot be before the period lock date, currently set at 30-Nov-2018",
            "period lock date, 30-Nov-2018",
            "lock date",
        ),
        ("Unable to assign an Archived contact.", "archived", "Restore the contact"),
        ("Organisation is not subscribed to currency USD", "USD", "Currencies"),
        (
            "The tracking option 'Old Town' does not exist or is not active in the tracking "
            "category 'Region'.",
            "Old Town",
            "Tracking",
        ),
    ],
)
def test_known_messages_say_what_they_mean_and_the_fix(message, meaning_has, fix_has):
    explained = explain_one(message)
    assert explained.xero_says == message
    assert meaning_has in explained.meaning and explained.meaning != message
    assert fix_has in explained.fix and "{" not in explained.fix


def test_the_flush_s_joined_messages_are_explained_one_by_one():
    error = (
        "element 1: Account code '200' is not a valid code for this document.; "
        "element 1: Unable to assign an Archived contact."
    )
    first, second = explain(error)
    assert first.xero_says.startswith("Account code '200'")
    assert "contact is archived" in second.meaning


def test_an_unknown_message_is_kept_as_xero_said_it_without_a_made_up_fix():
    (explained,) = explain("Something new went wrong.")
    assert explained.meaning == "Something new went wrong." and explained.fix == ""
    assert explain("") == []


def test_a_message_xero_repeats_for_every_line_is_explained_once() -> None:
    error = "; ".join(["Account code '260' is not a valid code for this document."] * 3)
    (only,) = explain(error)
    assert "260" in only.meaning
