"""The plans stores can be on: the configured set, written to the database once each."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.config import PlanConfig
from server.extensions import current_config, db
from server.models import Plan, PlanInterval


def ensure_configured() -> list[Plan]:
    """Add each configured plan whose code no plan has yet (a fresh install gets the default
    set). An existing plan is never changed: once written, the admin is where it is edited.
    Returns the plans added; commits them."""
    added = _add_missing()
    if not added:
        return []
    try:
        db.session.commit()
    except IntegrityError:  # another process added them first
        db.session.rollback()
        return []
    return added


def trial_plan() -> Plan:
    """The plan a trial runs on (written first if the database has none of that code)."""
    code = current_config().billing.trial_plan
    plan = db.session.scalar(sa.select(Plan).where(Plan.code == code))
    if plan is None:  # not started through `serve`/`web`, which write them first
        (plan,) = [added for added in _add_missing() if added.code == code]
    return plan


def offered() -> list[Plan]:
    """The plans a store may choose, cheapest first."""
    return list(
        db.session.scalars(
            sa.select(Plan).where(Plan.active.is_(True)).order_by(Plan.monthly_price, Plan.id)
        )
    )


def _add_missing() -> list[Plan]:
    """The configured plans no plan has the code of, added to the session."""
    settings = current_config().billing
    existing = set(db.session.scalars(sa.select(Plan.code)))
    added = [
        _plan(plan, settings.trial_days) for plan in settings.plans if plan.code not in existing
    ]
    db.session.add_all(added)
    return added


def _plan(plan: PlanConfig, trial_days: int) -> Plan:
    return Plan(
        code=plan.code,
        name=plan.name,
        monthly_price=plan.price,
        currency=plan.currency,
        interval=PlanInterval(plan.interval),
        monthly_order_limit=plan.monthly_order_quota,
        features=list(plan.features),
        provider_price_id=plan.provider_price_id,
        trial_days=trial_days,
    )
