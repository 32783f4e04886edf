"""The operators' panel at /admin (Flask-Admin), behind the operator login."""

from __future__ import annotations

from flask import Flask
from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from server.admin.access import OverviewView
from server.admin.account import AccountView
from server.admin.billing import (
    PlanView,
    ProviderEventView,
    SubscriptionChangeView,
    SubscriptionView,
)
from server.admin.operator_log import OperatorActionView
from server.admin.plugin_download import PluginDownloadView
from server.admin.stores import StoreView
from server.admin.sync import (
    BackfillView,
    BindingView,
    InboundEventView,
    OutboxEntryView,
    SyncRecordView,
)
from server.admin.sync_settings import SyncSettingsView
from server.admin.system import SystemView
from server.admin.views import (
    OperatorAccountView,
    StoreTransitionView,
    WooConnectionView,
    XeroConnectionView,
)
from server.extensions import db
from server.models import (
    Backfill,
    Binding,
    InboundEvent,
    Operator,
    OperatorAction,
    OutboxEntry,
    Plan,
    ProviderEvent,
    Store,
    StoreTransition,
    Subscription,
    SubscriptionChange,
    SyncRecord,
    WooConnection,
    XeroConnection,
)


def init_admin(app: Flask) -> Admin:
    """Create this app's Admin (never a module-level one) with every operator view."""
    admin = Admin(
        app,
        name="wooxero",
        index_view=OverviewView(name="Overview", url="/admin"),
        theme=Bootstrap4Theme(swatch="default", fluid=True),
    )
    session = db
    admin.add_view(StoreView(Store, session, name="Stores", category="Stores"))
    admin.add_view(
        StoreTransitionView(StoreTransition, session, name="State changes", category="Stores")
    )
    admin.add_view(SyncSettingsView(name="Sync settings", endpoint="sync_settings"))
    admin.add_view(XeroConnectionView(XeroConnection, session, name="Xero", category="Connections"))
    admin.add_view(
        WooConnectionView(WooConnection, session, name="WooCommerce", category="Connections")
    )
    admin.add_view(InboundEventView(InboundEvent, session, name="Inbound events", category="Sync"))
    admin.add_view(SyncRecordView(SyncRecord, session, name="Sync records", category="Sync"))
    admin.add_view(OutboxEntryView(OutboxEntry, session, name="Outbox", category="Sync"))
    admin.add_view(BackfillView(Backfill, session, name="Backfills", category="Sync"))
    admin.add_view(BindingView(Binding, session, name="Bindings", category="Sync"))
    admin.add_view(PlanView(Plan, session, name="Plans", category="Billing"))
    admin.add_view(
        SubscriptionView(Subscription, session, name="Subscriptions", category="Billing")
    )
    admin.add_view(
        SubscriptionChangeView(
            SubscriptionChange, session, name="Subscription changes", category="Billing"
        )
    )
    admin.add_view(
        ProviderEventView(ProviderEvent, session, name="Payment events", category="Billing")
    )
    admin.add_view(OperatorAccountView(Operator, session, name="Operators", category="System"))
    admin.add_view(
        OperatorActionView(OperatorAction, session, name="Operator log", category="System")
    )
    admin.add_view(AccountView(name="My account", endpoint="account", category="System"))
    admin.add_view(SystemView(name="Status", endpoint="system", category="System"))
    admin.add_view(PluginDownloadView(name="Bridge plugin", endpoint="plugin", category="System"))
    return admin
