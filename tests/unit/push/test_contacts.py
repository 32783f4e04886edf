"""Matching customers to contacts, whichever way the candidates were found (a `where`
lookup or the copy of the organisation's contacts): a number's match wins over an email's,
emails match whatever their case, a contact numbered for another customer is never taken,
and an active contact is preferred to an archived one."""

from __future__ import annotations

from typing import Any

from server.push import contacts


def _contact(contact_id: str, number: str = "", email: str = "", status: str = "ACTIVE") -> dict:
    return {"ContactID": contact_id, "ContactNumber": number, "EmailAddress": email,
            "Name": f"Contact {contact_id}", "ContactStatus": status}  # fmt: skip


def _match(spec: dict[str, Any], *known: dict[str, Any]) -> str | None:
    missing = {"customer:7": spec}
    values = contacts._wanted_values(missing)
    found = contacts._find(missing, values, contacts._by_value(known))
    return found["customer:7"]["ContactID"] if found else None


SPEC = {"Name": "Ann Lee", "ContactNumber": "7", "EmailAddress": "Ann@Example.com"}


def test_a_number_match_wins_over_an_email_match() -> None:
    by_email = _contact("a", email="ann@example.com")
    by_number = _contact("b", number="7")
    assert _match(SPEC, by_email, by_number) == "b"


def test_emails_match_whatever_their_case() -> None:
    assert _match(SPEC, _contact("a", email="ANN@EXAMPLE.COM")) == "a"


def test_a_contact_numbered_for_another_customer_is_not_taken() -> None:
    assert _match(SPEC, _contact("a", number="8", email="ann@example.com")) is None


def test_an_active_contact_is_preferred_to_an_archived_one() -> None:
    archived = _contact("a", email="ann@example.com", status="ARCHIVED")
    active = _contact("b", email="ann@example.com")
    assert _match(SPEC, archived, active) == "b"


def test_no_candidate_no_match() -> None:
    assert _match(SPEC, _contact("a", email="someone@example.com")) is None
