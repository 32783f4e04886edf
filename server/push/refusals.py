"""Xero's refusals in plain words, each with the fix: Xero's validation messages (as the flush
keeps them on a failed order, "; "-joined) matched against a small table. Pure: text in,
explanations out, so the dashboard, notices and e-mails all say the same."""

from __future__ import annotations

import re
from dataclasses import dataclass

ELEMENT_PREFIX = re.compile(r"^element \d+:\s*")
REPLAY = "then replay the order"


@dataclass(frozen=True)
class Explanation:
    xero_says: str  # the message as Xero gave it
    meaning: str  # what it means, in plain words
    fix: str  # what to do; "" when nothing is known beyond Xero's words


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    meaning: str  # may name the pattern's groups: {code}, {tax}, …
    fix: str


def _rule(pattern: str, meaning: str, fix: str) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), meaning, fix)


RULES = (
    _rule(
        r"Account code '(?P<code>[^']*)' has been archived, or has been deleted",
        "Account {code} is archived or deleted in Xero.",
        f"Choose an active account in Settings → Accounts (or restore {{code}} in Xero), {REPLAY}.",
    ),
    _rule(
        r"Account code '(?P<code>[^']*)' is not a valid code",
        "Xero does not take account {code} on a sales document: it does not exist, or it is a "
        "bank or system account.",
        f"Choose an active revenue account in Settings → Accounts, {REPLAY}.",
    ),
    _rule(
        r"Account must be valid",
        "A line is coded to an account Xero does not know.",
        f"Choose the accounts in Settings → Accounts from the organisation's list, {REPLAY}.",
    ),
    _rule(
        r"The TaxType code '(?P<tax>[^']*)' cannot be used with account code '(?P<code>[^']*)'",
        "Tax rate {tax} cannot be used with account {code}.",
        f"Choose a tax rate that applies to revenue in Settings → Tax mapping, or another "
        f"account in Settings → Accounts, {REPLAY}.",
    ),
    _rule(
        r"The TaxType code '(?P<tax>[^']*)' does not exist or cannot be used",
        "Tax rate {tax} does not exist in Xero, or cannot be used on sales.",
        f"Map the store's tax rate to an active sales tax rate in Settings → Tax mapping, "
        f"{REPLAY}.",
    ),
    _rule(
        r"Tax rate must be valid",
        "A line has a tax rate Xero does not know.",
        f"Map every tax rate of the store in Settings → Tax mapping, {REPLAY}.",
    ),
    _rule(
        r"The document date cannot be before the (?P<lock>period lock date|end of year lock "
        r"date), currently set at (?P<date>[\w-]+)",
        "The order is dated in a period closed in Xero (the {lock}, {date}).",
        "Ask your adviser to move the lock date in Xero (Settings → Advanced → Financial "
        f"settings), {REPLAY}.",
    ),
    _rule(
        r"The document cannot be edited as it is currently dated before the (?P<lock>period "
        r"lock date|end of year lock date)",
        "The document is in a period closed in Xero (the {lock}) and can no longer change.",
        "Change it in Xero by hand if it must change, or ask your adviser to move the lock "
        f"date, {REPLAY}.",
    ),
    _rule(
        r"Unable to assign an Archived contact|contact is archived",
        "The customer's contact is archived in Xero.",
        f"Restore the contact in Xero (Contacts → Archived → Restore), {REPLAY}.",
    ),
    _rule(
        r"The contact name (?P<name>.+?) is already assigned to another contact",
        "Another contact in Xero already has the name {name}.",
        f"Rename or merge the two contacts in Xero, {REPLAY}.",
    ),
    _rule(
        r"Organisation is not subscribed to currency (?P<currency>\w+)",
        "The order is in {currency}, a currency the Xero organisation does not use.",
        f"Add {{currency}} in Xero (Settings → Currencies; it needs a plan with "
        f"multi-currency), {REPLAY}.",
    ),
    _rule(
        r"Item code '(?P<item>[^']*)' is not valid",
        "Item {item} is not in Xero.",
        f"Turn on the Items module in Settings (wooxero then creates it), or create it in "
        f"Xero, {REPLAY}.",
    ),
    _rule(
        r"The tracking (?:category|option) '(?P<name>[^']*)' does not exist or is not active",
        "Tracking {name} does not exist or is archived in Xero.",
        f"Choose an active tracking option in Settings → Tracking, or restore it in Xero, "
        f"{REPLAY}.",
    ),
    _rule(
        r"Invoice # must be unique|is already assigned to another invoice",
        "A document with this number is already in Xero, made elsewhere.",
        "Change the number template in Settings → Documents, or remove the other document "
        f"in Xero, {REPLAY}.",
    ),
    _rule(
        r"does not match the expected line total",
        "Xero worked a line out to a different total than wooxero did.",
        "Replay the order; if Xero refuses it again, tell your provider (this is a rounding "
        "case wooxero should handle).",
    ),
)


def explain(error: str) -> list[Explanation]:
    """Each of Xero's messages in `error`, with what it means and how to fix it; once each
    (Xero repeats a message for every line it applies to)."""
    explanations: list[Explanation] = []
    for part in error.split("; "):
        message = ELEMENT_PREFIX.sub("", part.strip())
        if message:
            explanation = explain_one(message)
            if all((e.meaning, e.fix) != (explanation.meaning, explanation.fix)
                   for e in explanations):  # fmt: skip
                explanations.append(explanation)
    return explanations


def explain_one(message: str) -> Explanation:
    for rule in RULES:
        found = rule.pattern.search(message)
        if found:
            names = {key: value or "" for key, value in found.groupdict().items()}
            return Explanation(message, rule.meaning.format(**names), rule.fix.format(**names))
    return Explanation(message, message, "")
