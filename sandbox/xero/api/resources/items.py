"""Items: codes of at most 30 characters, unique ("Price List Item with Code 'X' already
exists", spec example), sales/purchase details checked against accounts and tax rates.

Assumed: codes compare case-insensitively; ``UnitPrice`` is stored to 2 dp, or 4 dp when the
request has ``unitdp=4``; ``IsSold``/``IsPurchased`` false clears the matching details;
inventory quantities are not tracked (``QuantityOnHand`` stays as given).
"""

from __future__ import annotations

import uuid
from typing import Any

from ...formats import round_to, to_decimal
from ...store import Row
from .. import references
from ..context import Context, ElementErrors, same_text, text

COLLECTION = "Items"
SCHEMA = "Item"
ID_FIELD = "ItemID"
_DETAILS = {"SalesDetails": "IsSold", "PurchaseDetails": "IsPurchased"}


def find(ctx: Context, key: str) -> Row | None:
    """An item by ItemID or Code."""
    rows = ctx.rows(COLLECTION)
    return rows.get(key) or next(
        (i for i in rows.values() if same_text(i["ItemID"], key) or same_text(i["Code"], key)),
        None,
    )


def _details(ctx: Context, raw: Any, sales: bool, errors: list[str]) -> Row:
    if not isinstance(raw, dict):
        return {}
    result: Row = {}
    if raw.get("UnitPrice") is not None:
        price = to_decimal(raw["UnitPrice"])
        if price is None:
            errors.append("UnitPrice must be a number.")
        else:
            result["UnitPrice"] = round_to(price, ctx.unitdp)
    account = None
    code = text(raw.get("AccountCode"))
    if code:
        account = references.line_account(ctx.tenant, code, "", errors)
        result["AccountCode"] = code
    tax_type = text(raw.get("TaxType"))
    if tax_type:
        references.check_tax_type(ctx.tenant, tax_type, account, sales, errors)
        result["TaxType"] = tax_type
    if text(raw.get("COGSAccountCode")):
        result["COGSAccountCode"] = raw["COGSAccountCode"]
    return result


def _apply(ctx: Context, row: Row, raw: dict[str, Any], errors: list[str]) -> None:
    for key in ("Name", "Description", "PurchaseDescription", "InventoryAssetAccountCode"):
        if key in raw:
            row[key] = raw[key]
    for flag in ("IsSold", "IsPurchased"):
        if isinstance(raw.get(flag), bool):
            row[flag] = raw[flag]
    for key, flag in _DETAILS.items():
        if key in raw:
            row[key] = _details(ctx, raw[key], key == "SalesDetails", errors)
        if not row[flag]:
            row[key] = {}
    row["IsTrackedAsInventory"] = bool(
        row.get("InventoryAssetAccountCode") and row["PurchaseDetails"].get("COGSAccountCode")
    )


def _check_code(ctx: Context, code: str, item_id: str, errors: list[str]) -> None:
    if not code:
        errors.append("Item Code must be specified.")
    elif len(code) > 30:
        errors.append("The Code must be 30 characters or less.")
    elif any(
        same_text(i["Code"], code) and i["ItemID"] != item_id for i in ctx.rows(COLLECTION).values()
    ):
        errors.append(f"Price List Item with Code '{code}' already exists")


def create(ctx: Context, raw: dict[str, Any]) -> Row:
    """A new item (PUT semantics)."""
    errors: list[str] = []
    row: Row = {
        "ItemID": str(uuid.uuid4()),
        "Code": text(raw.get("Code")),
        "IsSold": True,
        "IsPurchased": True,
        "SalesDetails": {},
        "PurchaseDetails": {},
    }
    _check_code(ctx, row["Code"], row["ItemID"], errors)
    _apply(ctx, row, raw, errors)
    if errors:
        raise ElementErrors(errors)
    row["UpdatedDateUTC"] = ctx.now
    ctx.rows(COLLECTION)[row["ItemID"]] = row
    return row


def update(ctx: Context, row: Row, raw: dict[str, Any]) -> Row:
    """Apply an update to an existing item."""
    errors: list[str] = []
    draft = dict(row)
    if "Code" in raw:
        draft["Code"] = text(raw["Code"])
        _check_code(ctx, draft["Code"], row["ItemID"], errors)
    _apply(ctx, draft, raw, errors)
    if errors:
        raise ElementErrors(errors)
    draft["UpdatedDateUTC"] = ctx.now
    row.clear()
    row.update(draft)
    return row


def upsert(ctx: Context, raw: dict[str, Any]) -> Row:
    """POST semantics: update the item matched by ItemID or Code, else create it."""
    item_id = text(raw.get("ItemID"))
    existing = find(ctx, item_id) if item_id else None
    if item_id and existing is None:
        raise ElementErrors([f"The item with ItemID '{item_id}' could not be found."])
    if existing is None and text(raw.get("Code")):
        existing = find(ctx, raw["Code"].strip())
    return update(ctx, existing, raw) if existing else create(ctx, raw)


def _render_details(details: Row, unitdp: int) -> Row:
    rendered = dict(details)
    if "UnitPrice" in rendered:
        rendered["UnitPrice"] = round_to(rendered["UnitPrice"], unitdp)
    return rendered


def render(row: Row, unitdp: int) -> Row:
    """An item as Xero returns it."""
    rendered: Row = {
        "ItemID": row["ItemID"],
        "Code": row["Code"],
        "UpdatedDateUTC": row["UpdatedDateUTC"],
        "PurchaseDetails": _render_details(row["PurchaseDetails"], unitdp),
        "SalesDetails": _render_details(row["SalesDetails"], unitdp),
        "IsTrackedAsInventory": row["IsTrackedAsInventory"],
        "IsSold": row["IsSold"],
        "IsPurchased": row["IsPurchased"],
    }
    for key in ("Name", "Description", "PurchaseDescription", "InventoryAssetAccountCode"):
        if row.get(key) is not None:
            rendered[key] = row[key]
    return rendered
