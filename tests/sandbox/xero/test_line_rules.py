"""Line-item rules found in Xero's spec and public reports: derived quantities, discounts,
Xero's zero-LineAmount bug, negative totals, status-change messages and date strings.

Every expected amount is worked out by hand in the comments (2 dp, half away from zero).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from .conftest import Xero, decimal_json, invoice, line

D = Decimal


def _one(nz: Xero, body: dict, **params: str) -> dict:
    response = nz.put("/Invoices", {"Invoices": [body]}, summarizeErrors="false", **params)
    assert response.status_code == 200, response.text
    return decimal_json(response)["Invoices"][0]


def _messages(element: dict) -> list[str]:
    return [m["Message"] for m in element["ValidationErrors"]]


def _bare(description: str, **fields: object) -> dict:
    return {"Description": description, "AccountCode": "200", **fields}


def test_missing_quantity_or_unit_amount_is_derived_from_the_line_amount(nz: Xero):
    # Spec, LineItem.LineAmount: "If you wish to omit either the Quantity or UnitAmount you can
    # provide a LineAmount and Xero will calculate the missing amount for you."
    no_quantity = _bare("No quantity", UnitAmount=D("2.50"), LineAmount=D("10.00"))
    # 18.00 after 10% off two units: 18.00 / 0.9 / 2 = 10.00 each.
    no_unit = _bare("No unit", Quantity=2, LineAmount=D("18.00"), DiscountRate=D("10"))
    created = _one(nz, invoice(LineItems=[no_quantity, no_unit]))
    first, second = created["LineItems"]
    assert created["ValidationErrors"] == []
    assert (first["Quantity"], first["UnitAmount"], first["LineAmount"]) == (
        D("4.0000"),
        D("2.50"),
        D("10.00"),
    )
    assert first["TaxAmount"] == D("1.50")  # 10.00 x 15%
    assert (second["Quantity"], second["UnitAmount"], second["LineAmount"]) == (
        D("2.0000"),
        D("10.00"),
        D("18.00"),
    )


def test_discount_rate_takes_precedence_over_discount_amount(nz: Xero):
    # xeroizer#483: "DiscountRate will take precedence over DiscountAmount".
    both = line("Both", "1", "100.00", DiscountRate=D("10"), DiscountAmount=D("5.00"))
    created = _one(nz, invoice(LineItems=[both]))
    assert created["LineItems"][0]["LineAmount"] == D("90.00")  # 100 x 0.9, not 100 - 5
    assert created["SubTotal"] == D("90.00")


def test_discount_amount_lines_come_back_with_a_rounded_rate_that_breaks_a_round_trip(nz: Xero):
    # community.xero.com/developer/discussion/144129369: Xero derives the DiscountRate from the
    # DiscountAmount, rounds it to 2 dp, and validates a posted-back line with the rate.
    created = _one(nz, invoice(LineItems=[line("Big", "1", "3000.00", DiscountAmount=D("1000"))]))
    (row,) = created["LineItems"]
    assert (row["LineAmount"], row["DiscountAmount"]) == (D("2000.00"), D("1000.00"))
    assert row["DiscountRate"] == D("33.33")  # 1000 / 3000 = 33.333...%
    echoed = {
        key: row[key]
        for key in (
            "LineItemID",
            "Description",
            "Quantity",
            "UnitAmount",
            "LineAmount",
            "AccountCode",
            "DiscountRate",
            "DiscountAmount",
        )
    }
    posted = nz.post(
        "/Invoices",
        {"Invoices": [{"InvoiceID": created["InvoiceID"], "LineItems": [echoed]}]},
        summarizeErrors="false",
    )
    # 3000.00 x (1 - 0.3333) = 2000.10
    assert _messages(posted.json()["Invoices"][0]) == [
        "The line total 2000.00 does not match the expected line total 2000.10"
    ]


def test_discount_amount_is_compared_with_the_signed_line_total(nz: Xero):
    # Xero-OpenAPI#429: a DiscountAmount of 0 on a negative UnitAmount is refused.
    negative = _bare("Credit", Quantity=1, UnitAmount=D("-10.00"), DiscountAmount=D("0"))
    refused = _one(nz, invoice(LineItems=[line("Goods", "1", "50.00"), negative]))
    # xero-php-oauth2#288 (a WooCommerce extension): 27.826 off a 27.8260 line (unitdp=4) is
    # refused as '27.83'.
    exact = _bare(
        "Woo",
        Quantity=1,
        UnitAmount=D("27.8260"),
        DiscountAmount=D("27.826"),
    )
    rounded_up = _one(nz, invoice(LineItems=[line("Goods", "1", "50.00"), exact]), unitdp="4")
    zero_on_positive = _one(
        nz, invoice(LineItems=[line("Goods", "1", "50.00", DiscountAmount=D("0"))])
    )
    assert _messages(refused) == [
        "The discount rate '0.00' is invalid. Discount must not be greater than the line total."
    ]
    assert _messages(rounded_up) == [
        "The discount rate '27.83' is invalid. Discount must not be greater than the line total."
    ]
    assert zero_on_positive["StatusAttributeString"] == "OK"


def test_zero_line_amount_with_a_discount_rate_hits_xeros_line_total_bug(nz: Xero):
    # Xero-NetStandard#74: 1 x 795.00 at 100% with LineAmount 0.00 ->
    # "The line total -795.00 does not match the expected line total 0.00";
    # Xero-NetStandard#147 reports the same for other rates whose total rounds to 0.00.
    free = line("Free", "1", "795.00", DiscountRate=D("100"), LineAmount=D("0.00"))
    tiny = line("Tiny", "1", "0.01", DiscountRate=D("40"), LineAmount=D("0"))  # 0.006 -> 0.01
    nearly = line("Nearly", "2", "0.01", DiscountRate=D("80"), LineAmount=D("0"))  # 0.004
    without_amount = line("Free", "1", "795.00", DiscountRate=D("100"))
    refused = _one(nz, invoice(LineItems=[free]))
    refused_nearly = _one(nz, invoice(LineItems=[nearly]))
    ordinary_mismatch = _one(nz, invoice(LineItems=[tiny]))
    accepted = _one(nz, invoice(LineItems=[without_amount]))
    assert _messages(refused) == [
        "The line total -795.00 does not match the expected line total 0.00"
    ]
    assert _messages(refused_nearly) == [
        "The line total -0.02 does not match the expected line total 0.00"
    ]
    assert _messages(ordinary_mismatch) == [
        "The line total 0.00 does not match the expected line total 0.01"
    ]
    assert accepted["StatusAttributeString"] == "OK"
    assert (accepted["LineItems"][0]["LineAmount"], accepted["Total"]) == (D("0.00"), D("0.00"))


def test_documents_with_a_negative_total_are_refused(nz: Xero):
    # Neto/Maropost "Xero Common Errors": "The Total for this document must be greater than or
    # equal to zero."
    negative = _one(nz, invoice(LineItems=[line("Refund", "1", "-5.00")]))
    mixed = _one(nz, invoice(LineItems=[line("Goods", "1", "10.00"), line("Less", "1", "-5.00")]))
    assert _messages(negative) == [
        "The Total for this document must be greater than or equal to zero."
    ]
    assert mixed["Total"] == D("5.75")  # 5.00 + 0.75 tax (1.50 - 0.75)


def test_invalid_status_changes_say_not_of_valid_status_for_modification(nz: Xero):
    # Xero staff in Xero-NetStandard#79: an invalid status change gives this message.
    approved = _one(nz, invoice(Status="AUTHORISED"))
    draft = _one(nz, invoice())
    to_deleted = nz.post(
        f"/Invoices/{approved['InvoiceID']}", {"Invoices": [{"Status": "DELETED"}]}
    )
    to_voided = nz.post(f"/Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    for response in (to_deleted, to_voided):
        assert response.status_code == 400
        assert response.json()["Elements"][0]["ValidationErrors"] == [
            {"Message": "Invoice not of valid status for modification"}
        ]


def test_updated_date_utc_string_is_iso_to_the_second_with_z(nz: Xero):
    created = _one(nz, invoice())
    millis = int(created["UpdatedDateUTC"][len("/Date(") : -len("+0000)/")])
    expected = datetime.fromtimestamp(millis // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert created["UpdatedDateUTCString"] == expected  # spec example: 2019-11-14T18:10:38Z
