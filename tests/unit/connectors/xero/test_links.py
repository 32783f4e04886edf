"""Deep links into Xero: the organisation by its short code, then the document."""

from __future__ import annotations

import pytest

from server.connectors.xero.links import document_url

INVOICE_ID = "0b5e8d43-7c9f-4a4e-9a57-2f1c1d2f6a01"


def test_an_invoice_opens_through_the_organisation_login():
    assert document_url("!Ab1Cd", "invoice", INVOICE_ID) == (
        "https://go.xero.com/organisationlogin/default.aspx?shortcode=!Ab1Cd"
        "&redirecturl=/AccountsReceivable/View.aspx?InvoiceID=" + INVOICE_ID
    )


def test_a_credit_note_and_a_quote_have_their_own_pages():
    assert document_url("!Ab1Cd", "credit_note", INVOICE_ID) == (
        "https://go.xero.com/organisationlogin/default.aspx?shortcode=!Ab1Cd"
        "&redirecturl=/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=" + INVOICE_ID
    )
    assert document_url("!Ab1Cd", "quote", INVOICE_ID) == (
        f"https://go.xero.com/app/!Ab1Cd/quotes/view/{INVOICE_ID}"
    )


@pytest.mark.parametrize(
    ("short_code", "kind", "xero_id"),
    [
        ("", "invoice", INVOICE_ID),  # the organisation not read yet
        ("!Ab&x=1", "invoice", INVOICE_ID),  # not a short code
        ("!Ab1Cd", "invoice", "not-an-id"),
        ("!Ab1Cd", "payment", INVOICE_ID),  # no page of its own here
    ],
)
def test_no_link_without_a_short_code_an_id_and_a_page(short_code, kind, xero_id):
    assert document_url(short_code, kind, xero_id) is None
