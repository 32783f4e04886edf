"""Seed data for a new organisation: region-correct tax rates, chart of accounts, tracking,
currencies.

The NZ and AU tax types (OUTPUT2/INPUT2 and OUTPUT/INPUT) and the account codes follow
Xero's demo companies. Ids are derived from the tenant id so that they survive a restart.
Currency names are those of ``GET /Currencies`` (spec example: ``NZD``, "New Zealand Dollar").
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from .config import OrganisationSpec

Row = dict[str, Any]

_CLASS_OF_TYPE = {
    "BANK": "ASSET",
    "CURRENT": "ASSET",
    "INVENTORY": "ASSET",
    "FIXED": "ASSET",
    "NONCURRENT": "ASSET",
    "PREPAYMENT": "ASSET",
    "CURRLIAB": "LIABILITY",
    "LIABILITY": "LIABILITY",
    "TERMLIAB": "LIABILITY",
    "EQUITY": "EQUITY",
    "REVENUE": "REVENUE",
    "SALES": "REVENUE",
    "OTHERINCOME": "REVENUE",
    "EXPENSE": "EXPENSE",
    "DIRECTCOSTS": "EXPENSE",
    "OVERHEADS": "EXPENSE",
    "DEPRECIATN": "EXPENSE",
}

# (Name, TaxType, rate %, ReportTaxType, applies to: Revenue, Expenses, Assets, Liab., Equity)
_TAX_RATES: dict[str, list[tuple[str, str, str, str, str]]] = {
    "NZ": [
        ("15% GST on Expenses", "INPUT2", "15", "INPUT", "01110"),
        ("15% GST on Income", "OUTPUT2", "15", "OUTPUT", "10000"),
        ("GST on Imports", "GSTONIMPORTS", "0", "GSTONIMPORTS", "01110"),
        ("No GST", "NONE", "0", "NONE", "11111"),
        ("Zero Rated", "ZERORATED", "0", "NONE", "11100"),
    ],
    "AU": [
        ("GST on Income", "OUTPUT", "10", "OUTPUT", "10000"),
        ("GST on Expenses", "INPUT", "10", "INPUT", "01110"),
        ("GST Free Income", "EXEMPTOUTPUT", "0", "EXEMPTOUTPUT", "10000"),
        ("GST Free Expenses", "EXEMPTEXPENSES", "0", "EXEMPTEXPENSES", "01110"),
        ("GST Free Exports", "EXEMPTEXPORT", "0", "EXEMPTEXPORT", "10000"),
        ("GST on Capital", "CAPEXINPUT", "10", "CAPITALEXPENSESINPUT", "00100"),
        ("BAS Excluded", "BASEXCLUDED", "0", "BASEXCLUDED", "11111"),
        ("Input Taxed", "INPUTTAXED", "0", "INPUTTAXED", "11100"),
    ],
}

_COMPONENT_NAME = {"NZ": "GST", "AU": "GST"}

# (Code, Name, Type, TaxType key, extra fields)
_ACCOUNTS: list[tuple[str, str, str, str, Row]] = [
    ("090", "Business Bank Account", "BANK", "none", {"BankAccountNumber": "0101010101"}),
    ("091", "Business Savings Account", "BANK", "none", {"BankAccountNumber": "0202020202"}),
    ("200", "Sales", "REVENUE", "output", {}),
    ("210", "Old Sales (archived)", "REVENUE", "output", {"Status": "ARCHIVED"}),
    ("260", "Other Revenue", "REVENUE", "output", {}),
    ("270", "Interest Income", "REVENUE", "none", {}),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "input", {}),
    ("400", "Advertising", "EXPENSE", "input", {}),
    ("404", "Bank Fees", "EXPENSE", "none", {}),
    ("429", "General Expenses", "EXPENSE", "input", {}),
    ("610", "Accounts Receivable", "CURRENT", "none", {"SystemAccount": "DEBTORS"}),
    ("615", "Payments Clearing", "CURRENT", "none", {"EnablePaymentsToAccount": True}),
    ("630", "Inventory", "INVENTORY", "none", {}),
    ("800", "Accounts Payable", "CURRLIAB", "none", {"SystemAccount": "CREDITORS"}),
    ("820", "GST", "CURRLIAB", "none", {"SystemAccount": "GST"}),
    ("860", "Rounding", "CURRLIAB", "none", {"SystemAccount": "ROUNDING"}),
    ("877", "Tracking Transfers", "CURRLIAB", "none", {"SystemAccount": "TRACKINGTRANSFERS"}),
    ("960", "Retained Earnings", "EQUITY", "none", {"SystemAccount": "RETAINEDEARNINGS"}),
    ("970", "Owner A Funds Introduced", "EQUITY", "none", {}),
]

_TAX_KEYS = {
    "NZ": {"output": "OUTPUT2", "input": "INPUT2", "none": "NONE"},
    "AU": {"output": "OUTPUT", "input": "INPUT", "none": "BASEXCLUDED"},
}

_TRACKING: list[tuple[str, list[tuple[str, str]]]] = [
    ("Region", [("North", "ACTIVE"), ("South", "ACTIVE"), ("Old Town", "ARCHIVED")]),
    ("Sales Channel", [("Online", "ACTIVE"), ("Retail", "ACTIVE")]),
]

CURRENCY_NAMES = {
    "AUD": "Australian Dollar",
    "CAD": "Canadian Dollar",
    "EUR": "Euro",
    "GBP": "British Pound",
    "JPY": "Japanese Yen",
    "NZD": "New Zealand Dollar",
    "SGD": "Singapore Dollar",
    "USD": "United States Dollar",
}

_REGION_DETAILS = {
    "NZ": ("NEWZEALANDSTANDARDTIME", 3, "INVOICE", "TWOMONTHS"),
    "AU": ("AUSEASTERNSTANDARDTIME", 6, "ACCRUALS", "QUARTERLY1"),
}


def class_of_account_type(account_type: str) -> str:
    """Xero's account ``Class`` for an account ``Type``."""
    return _CLASS_OF_TYPE.get(account_type, "ASSET")


def stable_id(tenant_id: str, *parts: str) -> str:
    """A deterministic UUID for seeded rows of one tenant."""
    return str(uuid.uuid5(uuid.UUID(tenant_id), "/".join(parts)))


def tax_rates(spec: OrganisationSpec) -> list[Row]:
    """The region's system tax rates."""
    rows = []
    for name, tax_type, rate, report_type, applies in _TAX_RATES[spec.country]:
        value = Decimal(rate).quantize(Decimal("0.0001"))
        flags = [flag == "1" for flag in applies]
        rows.append(
            {
                "Name": name,
                "TaxType": tax_type,
                "ReportTaxType": report_type,
                "CanApplyToAssets": flags[2],
                "CanApplyToEquity": flags[4],
                "CanApplyToExpenses": flags[1],
                "CanApplyToLiabilities": flags[3],
                "CanApplyToRevenue": flags[0],
                "DisplayTaxRate": value,
                "EffectiveRate": value,
                "Status": "ACTIVE",
                "TaxComponents": [
                    {
                        "Name": _COMPONENT_NAME[spec.country],
                        "Rate": value,
                        "IsCompound": False,
                        "IsNonRecoverable": False,
                    }
                ],
            }
        )
    return rows


def accounts(spec: OrganisationSpec, tenant_id: str, now: datetime) -> list[Row]:
    """The chart of accounts, including BANK accounts and the ROUNDING system account."""
    keys = _TAX_KEYS[spec.country]
    rows = []
    for code, name, account_type, tax_key, extra in _ACCOUNTS:
        row: Row = {
            "AccountID": stable_id(tenant_id, "account", code),
            "Code": code,
            "Name": name,
            "Status": "ACTIVE",
            "Type": account_type,
            "TaxType": keys[tax_key],
            "Class": class_of_account_type(account_type),
            "EnablePaymentsToAccount": False,
            "ShowInExpenseClaims": account_type in {"EXPENSE", "DIRECTCOSTS"},
            "ReportingCode": "",
            "HasAttachments": False,
            "UpdatedDateUTC": now,
            "AddToWatchlist": False,
        }
        if account_type == "BANK":
            row |= {"BankAccountType": "BANK", "CurrencyCode": spec.base_currency}
        rows.append(row | extra)
    return rows


def currency(code: str, description: str = "", rate: Decimal | None = None) -> Row:
    """A row of the organisation's currencies. ``Rate`` is the sandbox's stand-in for the
    XE.com day rate, in Xero's ``CurrencyRate`` sense; None when nobody set one."""
    return {
        "Code": code,
        "Description": description or CURRENCY_NAMES.get(code, code),
        "Rate": rate,
    }


def currencies(spec: OrganisationSpec) -> list[Row]:
    """The base currency and the organisation's foreign currencies (no rates set)."""
    return [currency(code) for code in (spec.base_currency, *spec.currencies)]


def tracking_categories(tenant_id: str) -> list[Row]:
    """Two tracking categories with options (one option archived)."""
    rows = []
    for name, options in _TRACKING:
        category_id = stable_id(tenant_id, "tracking", name)
        rows.append(
            {
                "TrackingCategoryID": category_id,
                "Name": name,
                "Status": "ACTIVE",
                "Options": [
                    {
                        "TrackingOptionID": stable_id(tenant_id, "tracking", name, option),
                        "Name": option,
                        "Status": status,
                        "HasValidationErrors": False,
                        "IsDeleted": False,
                        "IsArchived": status == "ARCHIVED",
                        "IsActive": status == "ACTIVE",
                    }
                    for option, status in options
                ],
            }
        )
    return rows


def organisation(spec: OrganisationSpec, tenant_id: str, now: datetime) -> Row:
    """The ``GET /Organisation`` record."""
    timezone, year_end_month, tax_basis, tax_period = _REGION_DETAILS[spec.country]
    return {
        "OrganisationID": tenant_id,
        "Name": spec.name,
        "LegalName": spec.name,
        "PaysTax": True,
        "Version": spec.country,
        "OrganisationType": "COMPANY",
        "BaseCurrency": spec.base_currency,
        "CountryCode": spec.country,
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31 if year_end_month == 3 else 30,
        "FinancialYearEndMonth": year_end_month,
        "SalesTaxBasis": tax_basis,
        "SalesTaxPeriod": tax_period,
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": now,
        "Timezone": timezone,
        "OrganisationEntityType": "COMPANY",
        "ShortCode": "!" + tenant_id[:5],
        "Class": spec.org_class,
        "Edition": "BUSINESS",
        "LineOfBusiness": "Retail",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }
