"""The settings form that the store's Settings page and the operator's admin both show
(`templates/settings/form.html`): what it shows, and what a posted form changes.

A posted form becomes a patch for `actions.change_settings` holding only the sections that
differ from the stored ones (so a code the organisation has since archived, in a section
nobody touched, does not block saving another), and the errors that come back by dotted path
("tax_mapping.3.xero_tax_type") are put next to the form's fields ("tax_mapping.5+6"). A form
that fails is shown again as it was typed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from server import untrusted
from server.models import ReferenceKind, Store
from server.stores.settings import choices as choice_lists
from server.stores.settings import rules, tax_mapping
from server.stores.settings import storage as settings_store
from server.stores.settings.choices import AccountUse, Choices
from server.stores.settings.schema import (
    MODULE_PREREQUISITES,
    WOO_STATUSES,
    Notifications,
    Polling,
    StoreSettings,
)
from server.untrusted import INT32_MAX, ascii_int
from server.web.dashboard import actions

CHECKED = "on"
ROW_FIELDS = {
    "accounts.products": ("id", "account"),
    "accounts.categories": ("id", "account"),
    "tracking": (
        "position", "source", "source_key", "match_value", "tracking_category", "tracking_option",
    ),
}  # fmt: skip
# Fields of a tracking row that make it a rule (position and source always have a value).
TRACKING_TYPED = ("source_key", "match_value", "tracking_category", "tracking_option")
# The emails a store admin can turn off, as the form names them, in the order shown.
NOTIFICATION_LABELS = {
    "trial_ending": "Trial ending (3 days before)",
    "trial_ended": "Trial ended",
    "payment_failed": "Payment failed",
    "xero_reauthorisation": "Xero needs signing in again",
    "woocommerce_refused": "WooCommerce access refused",
    "orders_need_attention": "Orders held or failed",
}
BLANK_ROWS = 2  # rows offered for adding, without JavaScript
MAX_ROW_INDEX = 100_000


@dataclass(frozen=True)
class SettingsForm:
    """The form as shown: its values by field name, errors and warnings next to fields, and
    the errors no field holds (`other_errors`)."""

    values: Mapping[str, str]
    choices: Choices
    tax_status: tax_mapping.TaxMappingStatus
    errors: Mapping[str, str] = field(default_factory=dict)
    warnings: Mapping[str, str] = field(default_factory=dict)
    default_poll_minutes: int = 0

    modules = tuple(rules.MODULE_LABELS.items())
    notifications = tuple(NOTIFICATION_LABELS.items())

    @staticmethod
    def module_needs(module: str) -> str:
        """A module's place in the chain, in words: "needs Contacts and Items and a complete
        tax mapping"."""
        needed = [rules.MODULE_LABELS[name] for name in MODULE_PREREQUISITES[module]]
        if module in rules.NEEDS_TAX_MAPPING:
            needed.append("a complete tax mapping")
        return "needs " + " and ".join(needed) if needed else "needed by every other module"

    def tracking_category_options(self, name: str) -> list[tuple[str, str]]:
        """The organisation's tracking categories for the select `name`, the stored value
        kept as the person wrote it (rules match names whatever their case), and one no
        longer in the organisation offered as it is, saying so: never silently dropped."""
        return self._kept(self.value(name), list(self.choices.tracking))

    def tracking_option_options(self, name: str) -> list[tuple[str, str]]:
        options = [option for options in self.choices.tracking.values() for option in options]
        return self._kept(self.value(name), options)

    @staticmethod
    def _kept(current: str, names: list[str]) -> list[tuple[str, str]]:
        matched = {name.lower(): name for name in names}
        choices = [(current if name.lower() == current.lower() else name, name) for name in names]
        if current and current.lower() not in matched:
            choices.insert(0, (current, f"{current} — not in the organisation"))
        return [("", "— choose —"), *choices]

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def checked(self, name: str) -> bool:
        return self.values.get(name) == CHECKED

    @property
    def statuses(self) -> list[str]:
        """WooCommerce's order statuses, then those of the store's own (a plugin's) that the
        settings have rules for."""
        prefix = "documents.by_status."
        return [*WOO_STATUSES] + [
            name.removeprefix(prefix)
            for name in self.values
            if name.startswith(prefix) and name.removeprefix(prefix) not in WOO_STATUSES
        ]

    def rows(self, table: str) -> list[tuple[int, dict[str, str]]]:
        """A table's rows as (index in field names, values), then blank ones to add."""
        indexes = sorted(_row_indexes(self.values, table))
        rows = [
            (index, {name: self.value(f"{table}.{index}.{name}") for name in ROW_FIELDS[table]})
            for index in indexes
        ]
        rows = [(index, row) for index, row in rows if not _blank(table, row)]
        start = max(indexes, default=-1) + 1
        return rows + [(start + n, {}) for n in range(BLANK_ROWS)]

    def accounts(self, use: str) -> list[choice_lists.Account]:
        return self.choices.accounts_for(AccountUse(use))

    @property
    def accounts_read(self) -> bool:
        return ReferenceKind.ACCOUNTS in self.choices.read

    def stale_account(self, name: str, use: str) -> str:
        """A warning if the field names an account the organisation no longer offers for it."""
        code = self.value(name)
        if not code or not self.accounts_read:
            return ""
        if code in {account.code for account in self.accounts(use)}:
            return ""
        return (
            f"account {code} is not among the organisation's active accounts for this "
            "(archived, deleted or of another type): choose another"
        )

    @property
    def tax_rows(self) -> list[tuple[tax_mapping.NeededKey, str]]:
        """Each needed key with the tax type shown for it, then the keys mapped that are no
        longer needed (kept unless cleared)."""
        needed = {need.key: need for need in self.tax_status.needed}
        mapped = _by_prefix(self.values, "tax_mapping.")
        extra = [
            tax_mapping.NeededKey(key, key, (), tax_type or None, None)
            for key, tax_type in mapped.items()
            if key not in needed
        ]
        return [(need, mapped.get(need.key, "")) for need in [*needed.values(), *extra]]

    def tax_rate(self, tax_type: str) -> choice_lists.TaxRate | None:
        return next((rate for rate in self.choices.tax_rates if rate.tax_type == tax_type), None)

    @property
    def gateways(self) -> list[tuple[str, str]]:
        """(id, title) of the store's gateways, then any the settings name that it lacks."""
        known = [(gateway.id, gateway.title) for gateway in self.choices.gateways]
        prefix = "payments.by_gateway."
        extra = [
            (name.removeprefix(prefix), name.removeprefix(prefix))
            for name in self.values
            if name.startswith(prefix) and name.removeprefix(prefix) not in dict(known)
        ]
        return known + extra

    @property
    def other_errors(self) -> list[str]:
        """Errors of no field the form shows, as "path: message"."""
        return [f"{path}: {text}" for path, text in self.errors.items() if not _shown(path)]


def values_of(settings: StoreSettings, polling: Polling) -> dict[str, str]:
    """The stored settings as form values."""
    values: dict[str, str] = {}
    for module, on in settings.modules.model_dump().items():
        values[f"modules.{module}"] = CHECKED if on else ""
    sections = ("documents", "contacts", "payments", "refunds", "from_xero", "notifications",
                "accounts")  # fmt: skip
    for section in sections:
        for name, value in getattr(settings, section).model_dump(mode="json").items():
            if isinstance(value, dict) and section == "accounts":
                for index, (woo_id, code) in enumerate(value.items()):
                    values[f"accounts.{name}.{index}.id"] = woo_id
                    values[f"accounts.{name}.{index}.account"] = code
            elif isinstance(value, dict):
                values |= {f"{section}.{name}.{key}": str(item) for key, item in value.items()}
            else:
                values[f"{section}.{name}"] = _text(value)
    values |= {f"tax_mapping.{key}": tax_type for key, tax_type in settings.tax_types().items()}
    for index, rule in enumerate(settings.tracking):
        values |= {f"tracking.{index}.{k}": str(v) for k, v in rule.model_dump().items()}
    values["polling.interval_minutes"] = _text(polling.interval_minutes)
    values[SHOWN] = shown_digest(settings, polling)
    return values


SHOWN = "shown"  # the digest of the settings the form was filled from


def shown_digest(settings: StoreSettings, polling: Polling) -> str:
    """Changes whenever the stored settings do: a form filled from older ones is not saved
    over what changed since (the Overview's buttons, another tab, an operator, the API)."""
    document = {"settings": settings.model_dump(mode="json"), "polling": polling.model_dump()}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:32]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return CHECKED if value else ""
    return "" if value is None else str(value)


def posted_values(form: MultiDict[str, str]) -> dict[str, str]:
    """A posted form's fields (the first of each name); ValueError if one holds U+0000."""
    values = {name: form.get(name, "") for name in form}
    if any(untrusted.has_nul(name) or untrusted.has_nul(text) for name, text in values.items()):
        raise ValueError("the character U+0000 is not accepted in a form")
    return values


@dataclass(frozen=True)
class FormPatch:
    """What a posted form asks to change, and how its paths map back to the form's fields."""

    patch: dict[str, Any]
    errors: dict[str, str]  # found before the settings see it (a row's id, say)
    to_field: Callable[[str], str]


def patch_of(
    values: Mapping[str, str],
    current: StoreSettings,
    polling: Polling,
    labels: Mapping[str, str] | None = None,
) -> FormPatch:
    """The sections the posted `values` change; `current`: the stored settings, `labels`:
    the tax mapping's keys named."""
    errors: dict[str, str] = {}
    document: dict[str, Any] = {
        "modules": {
            module: values.get(f"modules.{module}") == CHECKED for module in rules.MODULE_LABELS
        },
        "documents": _section(values, "documents", integers=("due_days",)),
        "contacts": _section(values, "contacts"),
        "accounts": _section(values, "accounts", optional=True),
        "payments": _section(values, "payments", optional=True),
        "refunds": _section(values, "refunds", optional=True),
        "from_xero": _section(values, "from_xero"),
        "notifications": {
            kind: values.get(f"notifications.{kind}") == CHECKED
            for kind in Notifications.model_fields
        },
        "polling": _section(values, "polling", integers=("interval_minutes",), optional=True),
    }
    for checkbox in ("documents.link_to_order", "payments.enabled", "payments.approve_drafts",
                     "refunds.enabled", "from_xero.order_notes"):  # fmt: skip
        section, name = checkbox.split(".")
        document[section][name] = values.get(checkbox) == CHECKED
    document["documents"]["by_status"] = _by_prefix(values, "documents.by_status.")
    for fixed in ("cancelled", "refunded"):  # never a document; always the invoice kept
        document["documents"]["by_status"].pop(fixed, None)
    document["payments"]["by_gateway"] = {
        gateway: code
        for gateway, code in _by_prefix(values, "payments.by_gateway.").items()
        if code
    }
    row_of: dict[str, dict[str, int]] = {}
    for table in ("accounts.products", "accounts.categories"):
        accounts, row_of[table] = _account_rows(values, table, errors)
        document["accounts"][table.split(".")[1]] = accounts
    document["tracking"], tracking_rows = _tracking_rows(values)
    tax_keys = [key for key, tax_type in _by_prefix(values, "tax_mapping.").items() if tax_type]
    document["tax_mapping"] = [
        {
            "woo_rates": key,
            "xero_tax_type": values[f"tax_mapping.{key}"].strip(),
            "label": (labels or {}).get(key, "")[:200],
        }
        for key in tax_keys
    ]
    patch = {
        section: value
        for section, value in document.items()
        if _changed(current, polling, section, value)
    }
    patch["modules"] = {
        module: on
        for module, on in document["modules"].items()
        if on != getattr(current.modules, module)
    }

    def to_field(path: str) -> str:
        parts = path.split(".")
        if parts[0] == "tax_mapping" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            return f"tax_mapping.{tax_keys[index]}" if index < len(tax_keys) else "tax_mapping"
        if parts[0] == "tracking" and len(parts) > 2 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(tracking_rows):
                return ".".join(["tracking", str(tracking_rows[index]), *parts[2:]])
        table = ".".join(parts[:2])  # "accounts.products.<woo id>": that id's row
        if table in row_of and len(parts) == 3 and parts[2] in row_of[table]:
            return f"{table}.{row_of[table][parts[2]]}.account"
        return path

    return FormPatch(patch, errors, to_field)


def _section(
    values: Mapping[str, str],
    section: str,
    integers: tuple[str, ...] = (),
    optional: bool = False,
) -> dict[str, Any]:
    """The plain fields of a section ("documents.due_days"), only those the form has (any
    other name posted is not the form's); "" is None where `optional`."""
    model = Polling if section == "polling" else StoreSettings.model_fields[section].annotation
    known = set(model.model_fields)  # type: ignore[union-attr]
    fields: dict[str, Any] = {}
    for name, text in values.items():
        head, _, rest = name.partition(".")
        if head != section or rest not in known:
            continue
        fields[rest] = _integer(text) if rest in integers else text.strip()
        if optional and text.strip() == "":
            fields[rest] = None
    return fields


def _integer(text: str) -> int | str | None:
    """A whole number typed; what cannot be one goes on as typed, for the settings to refuse
    in words."""
    text = text.strip()
    if not text:
        return None
    number = ascii_int(text, maximum=INT32_MAX)
    return text if number is None else number


def _by_prefix(values: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {
        name.removeprefix(prefix): text.strip()
        for name, text in values.items()
        if name.startswith(prefix) and len(name) > len(prefix)
    }


def _row_indexes(values: Mapping[str, str], table: str) -> set[int]:
    pattern = re.compile(re.escape(table) + r"\.([0-9]{1,6})\.")
    indexes = set()
    for name in values:
        match = pattern.match(name)
        if match and int(match.group(1)) <= MAX_ROW_INDEX:
            indexes.add(int(match.group(1)))
    return indexes


def _blank(table: str, row: Mapping[str, str]) -> bool:
    typed = TRACKING_TYPED if table == "tracking" else ROW_FIELDS[table]
    return not any(row.get(name, "").strip() for name in typed)


def _account_rows(
    values: Mapping[str, str], table: str, errors: dict[str, str]
) -> tuple[dict[str, str], dict[str, int]]:
    """A per-id account table's rows (id → code), and each id's row index."""
    accounts: dict[str, str] = {}
    row_of: dict[str, int] = {}
    what = "product" if table.endswith("products") else "category"
    for index in sorted(_row_indexes(values, table)):
        woo_id = values.get(f"{table}.{index}.id", "").strip()
        code = values.get(f"{table}.{index}.account", "").strip()
        if not woo_id and not code:
            continue
        if not re.fullmatch(r"[0-9]{1,18}", woo_id):
            errors[f"{table}.{index}.id"] = f"a WooCommerce {what} id: a whole number"
        elif woo_id in accounts:
            errors[f"{table}.{index}.id"] = f"{what} {woo_id} has a row already"
        elif not code:
            errors[f"{table}.{index}.account"] = "choose an account, or clear the row"
        else:
            accounts[woo_id] = code
            row_of[woo_id] = index
    return accounts, row_of


def _tracking_rows(values: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    """The tracking rules typed, and the form row each came from."""
    rules_typed, indexes = [], []
    for index in sorted(_row_indexes(values, "tracking")):
        row = {name: values.get(f"tracking.{index}.{name}", "") for name in ROW_FIELDS["tracking"]}
        if _blank("tracking", row):
            continue
        row["position"] = _integer(row["position"])
        rules_typed.append(row)
        indexes.append(index)
    return rules_typed, indexes


def _changed(current: StoreSettings, polling: Polling, section: str, value: Any) -> bool:
    """Whether `value` differs from the stored section (one that does not validate does)."""
    if section == "modules":
        return False  # sent switch by switch, below
    if section == "polling":
        try:
            return Polling.model_validate(value) != polling
        except ValidationError:
            return True
    if section == "tax_mapping":
        return {row["woo_rates"]: row["xero_tax_type"] for row in value} != current.tax_types()
    try:
        return getattr(actions.merged(current, {section: value}), section) != getattr(
            current, section
        )
    except ValidationError:
        return True


# Fields the form shows next to which an error is placed; any other goes to the top.
_SHOWN = re.compile(
    r"(modules|polling)\.[a-z_]+"
    r"|documents(\.[a-z_]+|\.by_status(\.[a-z0-9_-]+)?)"
    r"|contacts\.[a-z_]+|from_xero\.[a-z_]+|notifications\.[a-z_]+|refunds(\.[a-z_]+)?"
    r"|accounts\.(sales|shipping|fees|discounts|rounding)"
    r"|accounts\.(products|categories)(\.[0-9]+\.(id|account))?"
    r"|payments\.(enabled|default_account|approve_drafts|by_gateway(\.[A-Za-z0-9_.:-]+)?)"
    r"|tax_mapping(\.(none|[0-9+]+))?"
    r"|tracking(\.[0-9]+\.[a-z_]+)?"
)


def _shown(path: str) -> bool:
    return _SHOWN.fullmatch(path) is not None


@dataclass(frozen=True)
class Saved:
    """A posted form's outcome: the notices for the top of the page and the form to show."""

    notices: list[tuple[str, str]]
    form: SettingsForm


def load_form(store: Store, default_poll_minutes: int) -> SettingsForm:
    """The form with the stored settings."""
    settings = settings_store.load(store.id)
    status = tax_mapping.needs_of(store.id).status(settings)
    return SettingsForm(
        values=values_of(settings, actions.polling_of(store)),
        choices=choice_lists.choices_of(store.id, status),
        tax_status=status,
        warnings=_status_warnings(status),
        default_poll_minutes=default_poll_minutes,
    )


def save_form(store: Store, form: MultiDict[str, str], default_poll_minutes: int) -> Saved:
    """Save a posted form through `actions.change_settings`; ValueError if it holds what no
    form can (U+0000)."""
    values = posted_values(form)
    current = settings_store.load(store.id)
    status = tax_mapping.needs_of(store.id).status(current)
    labels = {need.key: need.label for need in status.needed}
    polling = actions.polling_of(store)
    asked = patch_of(values, current, polling, labels)
    if values.get(SHOWN) != shown_digest(current, polling):
        stale = SettingsForm(
            values=values,
            choices=choice_lists.choices_of(store.id, status),
            tax_status=status,
            default_poll_minutes=default_poll_minutes,
        )
        words = ("Not saved: these settings changed after this page was opened (another "
                 "page, tab or person saved them). Reload the page to see them, then make "
                 "your change again.")  # fmt: skip
        return Saved([("error", words)], stale)
    if asked.errors:
        change = actions.SettingsChange(errors=asked.errors)
    else:
        change = actions.change_settings(store, asked.patch)
    if change.settings is not None:
        saved = load_form(store, default_poll_minutes)
        warnings = {asked.to_field(path): text for path, text in change.warnings.items()}
        notices = [("success", "Settings saved.")]
        notices += [("warning", text) for text in warnings.values()]
        return Saved(notices, replace(saved, warnings=saved.warnings | warnings))
    shown = SettingsForm(
        values=values,
        choices=choice_lists.choices_of(store.id, status),
        tax_status=status,
        errors={asked.to_field(path): text for path, text in change.errors.items()},
        default_poll_minutes=default_poll_minutes,
    )
    if change.refusal:
        return Saved([("error", f"Not saved: {change.refusal}.")], shown)
    notices = [("error", "Not saved: correct the fields marked below.")]
    notices += [("error", text) for text in shown.other_errors]
    return Saved(notices, shown)


def _status_warnings(status: tax_mapping.TaxMappingStatus) -> dict[str, str]:
    return {f"tax_mapping.{need.key}": need.warning for need in status.needed if need.warning}
