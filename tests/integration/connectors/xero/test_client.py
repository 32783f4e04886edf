"""The client against the sandbox over HTTP: reads, batched writes with per-element
results, Xero's rules, lost answers and failures. Every request is also checked against
Xero's OpenAPI spec by the `xero` fixture."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from server.connectors.base import NotFoundError, ValidationError
from server.connectors.xero import resources, where
from server.connectors.xero.batch import write_batches
from server.connectors.xero.ratelimit import CallPriority
from tests.support.waiting import HTTP_TIMEOUT
from tests.support.xero import objects, tenants

NZ = "Demo Company (NZ)"


def invoice(number: str, contact: str, lines: list[dict], **extra) -> dict:
    return {
        "Type": "ACCREC", "InvoiceNumber": number, "Contact": {"Name": contact},
        "Date": date(2026, 11, 20), "DueDate": date(2026, 12, 20), "LineAmountTypes": "Exclusive",
        "LineItems": lines, "Status": "AUTHORISED", **extra,
    }  # fmt: skip


def line(
    description: str, quantity: str, unit: str, tax: str = "OUTPUT2", account: str = "200"
) -> dict:
    return {
        "Description": description,
        "Quantity": Decimal(quantity),
        "UnitAmount": Decimal(unit),
        "AccountCode": account,
        "TaxType": tax,
    }


def create(xero, resource, elements, **options):
    return [
        result for batch in write_batches(xero, resource, elements, **options) for result in batch
    ]


def test_reference_data_reads(xero):
    (organisation,) = xero.get(resources.ORGANISATION)
    assert organisation["Name"] == NZ and organisation["BaseCurrency"] == "NZD"
    tax_types = {rate["TaxType"]: rate for rate in xero.get(resources.TAX_RATES)}
    assert tax_types["OUTPUT2"]["EffectiveRate"] == Decimal("15")
    bank = xero.get(resources.ACCOUNTS, {"where": 'Status=="ACTIVE" AND Type=="BANK"'})
    assert bank and {account["Type"] for account in bank} == {"BANK"}
    categories = xero.get(resources.TRACKING_CATEGORIES)
    assert len(categories) <= 2


def test_invoices_in_one_batch_with_one_refused_and_totals_as_xero_computes_them(xero, sandbox):
    results = create(xero, resources.INVOICES, [
        invoice("WC-1001", "Ann Archer", [line("Mug", "3", "19.99"), line("Spoon", "1", "5.00")]),
        invoice("WC-1001", "Bob Baker", [line("Mug", "1", "19.99")]),  # number taken
        invoice("WC-1003", "Cat Cole", [line("Mug", "1", "11.50")], LineAmountTypes="Inclusive"),
    ])  # fmt: skip
    assert [r.status for r in results] == ["OK", "ERROR", "OK"]
    assert results[1].errors == ("Invoice # must be unique.",)
    first, third = results[0].element, results[2].element
    # 3 x 19.99 = 59.97, tax 8.9955 → 9.00; 5.00, tax 0.75
    assert (first["SubTotal"], first["TotalTax"], first["Total"]) == (
        Decimal("64.97"),
        Decimal("9.75"),
        Decimal("74.72"),
    )
    # 11.50 including 15%: tax 11.50 - 11.50/1.15 = 1.50
    assert (third["SubTotal"], third["TotalTax"], third["Total"]) == (
        Decimal("10.00"),
        Decimal("1.50"),
        Decimal("11.50"),
    )
    stored = objects(sandbox, tenants(sandbox)[NZ], "Invoices")
    assert sorted(i["InvoiceNumber"] for i in stored) == ["WC-1001", "WC-1003"]


def test_batch_reads_by_number_and_paging(xero):
    create(xero, resources.INVOICES, [
        invoice(f"WC-{n}", f"Customer {n}", [line("Mug", "1", "10.00")]) for n in range(2000, 2060)
    ])  # fmt: skip
    found = xero.get(resources.INVOICES, {"InvoiceNumbers": ["WC-2003", "WC-2059", "WC-9999"]})
    assert sorted(i["InvoiceNumber"] for i in found) == ["WC-2003", "WC-2059"]
    everything = list(xero.iterate(resources.INVOICES, {"Statuses": ["AUTHORISED"]}))
    assert len(everything) == 60


def test_payments_follow_xeros_rules(xero):
    (created,) = create(
        xero, resources.INVOICES, [invoice("WC-3001", "Dan Drew", [line("Mug", "2", "10.00")])]
    )
    invoice_id = created.element["InvoiceID"]  # total 23.00
    results = create(xero, resources.PAYMENTS, [
        {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Date": date(2026, 11, 21), "Amount": Decimal("20.00")},
        {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"}, "Date": date(2026, 11, 21), "Amount": Decimal("5.00")},
    ], priority=CallPriority.HIGH)  # fmt: skip
    assert [r.status for r in results] == ["OK", "ERROR"]
    assert "exceeds the amount outstanding" in results[1].errors[0]
    assert xero.get_one(resources.INVOICES, invoice_id)["AmountDue"] == Decimal("3.00")


def test_a_credit_note_is_allocated_to_its_invoice(xero):
    (inv,) = create(
        xero, resources.INVOICES, [invoice("WC-4001", "Eve East", [line("Mug", "1", "20.00")])]
    )
    (credit,) = create(xero, resources.CREDIT_NOTES, [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": inv.element["Contact"]["ContactID"]},
        "Date": date(2026, 11, 22), "LineAmountTypes": "Exclusive", "Status": "AUTHORISED",
        "LineItems": [line("Refund mug", "1", "5.00")], "Reference": "Refund WC-4001",
    }])  # fmt: skip
    assert credit.ok, credit.errors
    credit_id = credit.element["CreditNoteID"]
    (allocation,) = create(
        xero, resources.ALLOCATIONS,
        [{"Invoice": {"InvoiceID": inv.element["InvoiceID"]}, "Amount": Decimal("5.75"), "Date": date(2026, 11, 22)}],
        path=f"CreditNotes/{credit_id}/Allocations",
    )  # fmt: skip
    assert allocation.ok, allocation.errors
    assert xero.get_one(resources.INVOICES, inv.element["InvoiceID"])["AmountDue"] == Decimal(
        "17.25"
    )


def test_contacts_are_found_by_email_whatever_the_case_even_with_ampersand_and_plus(xero):
    results = create(xero, resources.CONTACTS, [
        {"Name": "Fay & Co", "EmailAddress": "fay&co+shop@example.com"},
        {"Name": "Fay & Co", "EmailAddress": "other@example.com"},  # name taken
    ])  # fmt: skip
    assert [r.status for r in results] == ["OK", "ERROR"]
    assert "already assigned to another contact" in results[1].errors[0]
    found = xero.get(
        resources.CONTACTS,
        {"where": where.equals_ignoring_case("EmailAddress", "FAY&CO+SHOP@example.com")},
    )
    assert [c["Name"] for c in found] == ["Fay & Co"]


def test_modified_since_leaves_out_older_records(xero):
    create(xero, resources.CONTACTS, [{"Name": "Gus Grey"}])
    assert xero.get(resources.CONTACTS, modified_since=datetime.now(UTC) + timedelta(hours=1)) == []
    assert (
        len(xero.get(resources.CONTACTS, modified_since=datetime.now(UTC) - timedelta(hours=1)))
        == 1
    )


def test_a_missing_record_is_not_found(xero):
    with pytest.raises(NotFoundError):
        xero.get_one(resources.INVOICES, "00000000-0000-4000-8000-000000000000")


def test_an_update_of_a_paid_invoice_is_refused_with_xeros_message(xero):
    (created,) = create(
        xero, resources.INVOICES, [invoice("WC-5001", "Hal Hill", [line("Mug", "1", "10.00")])]
    )
    invoice_id = created.element["InvoiceID"]
    create(
        xero,
        resources.PAYMENTS,
        [
            {
                "Invoice": {"InvoiceID": invoice_id},
                "Account": {"Code": "090"},
                "Date": date(2026, 11, 21),
                "Amount": Decimal("11.50"),
            }
        ],
    )
    (update,) = create(
        xero, resources.INVOICES, [{"InvoiceID": invoice_id, "Reference": "changed"}], method="POST"
    )
    assert update.status == "ERROR"
    assert any("not of valid status for modification" in e for e in update.errors)


def test_a_write_whose_answer_is_lost_is_retried_and_made_once(xero, sandbox):
    requests.post(
        f"{sandbox.base_url}/_sandbox/faults",
        json={"path": "/Invoices", "method": "PUT", "drop_response": True, "count": 1},
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()
    (result,) = create(
        xero, resources.INVOICES, [invoice("WC-6001", "Ida Ives", [line("Mug", "1", "10.00")])]
    )
    assert result.ok
    stored = objects(sandbox, tenants(sandbox)[NZ], "Invoices")
    assert [i["InvoiceNumber"] for i in stored] == ["WC-6001"], (
        "applied once, answered from the idempotency cache"
    )


def test_a_passing_failure_is_retried(xero, sandbox):
    requests.post(
        f"{sandbox.base_url}/_sandbox/faults",
        json={"path": "/Contacts", "status": 503, "count": 2},
        timeout=HTTP_TIMEOUT,
    ).raise_for_status()
    assert xero.get(resources.CONTACTS) == []


def test_a_refused_batch_without_summarize_errors_is_a_validation_error(xero):
    with pytest.raises(ValidationError) as caught:
        xero.write(
            "PUT",
            "Invoices",
            {
                "Invoices": [
                    invoice("WC-7001", "Jo Jones", [line("Mug", "1", "1.00", account="999")])
                ]
            },
        )
    assert caught.value.messages and "element 1" in caught.value.messages[0]
