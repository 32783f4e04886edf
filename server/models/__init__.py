"""The data model, one module per aggregate. Importing this package registers every table."""

from server.models.audit import Direction, DriftReport, Outcome, SyncRecord
from server.models.billing import (
    Plan,
    PlanInterval,
    ProviderEvent,
    ProviderEventOutcome,
    Subscription,
    SubscriptionChange,
    SubscriptionStatus,
    TrialClaim,
    UsageCounter,
)
from server.models.binding import Binding, BindingKind
from server.models.connection import ConnectionStatus, WooConnection, WooWebhook, XeroConnection
from server.models.event import EventSource, EventStatus, InboundEvent
from server.models.outbox import (
    Backfill,
    BackfillStatus,
    OutboxAction,
    OutboxEntry,
    OutboxPriority,
    OutboxStatus,
)
from server.models.settings import (
    AccountMapping,
    GatewayMapping,
    SeenTaxKey,
    SyncSettings,
    TaxMapping,
    TrackingRule,
)
from server.models.store import (
    Audience,
    Notification,
    NotificationKind,
    Store,
    StoreState,
    StoreTransition,
)
from server.models.system import EncryptionCanary
from server.models.user import ActionOutcome, Operator, OperatorAction, OperatorRole
from server.models.woo import REFUND_DETAILS, WooRecord
from server.models.xero_cache import ContactIndex, IndexedContact, ReferenceKind, XeroReference

__all__ = [
    "REFUND_DETAILS",
    "AccountMapping",
    "ActionOutcome",
    "Audience",
    "Backfill",
    "BackfillStatus",
    "Binding",
    "BindingKind",
    "ConnectionStatus",
    "ContactIndex",
    "Direction",
    "DriftReport",
    "EncryptionCanary",
    "EventSource",
    "EventStatus",
    "GatewayMapping",
    "InboundEvent",
    "IndexedContact",
    "Notification",
    "NotificationKind",
    "Operator",
    "OperatorAction",
    "OperatorRole",
    "OutboxAction",
    "OutboxEntry",
    "OutboxPriority",
    "OutboxStatus",
    "Outcome",
    "Plan",
    "PlanInterval",
    "ProviderEvent",
    "ProviderEventOutcome",
    "ReferenceKind",
    "SeenTaxKey",
    "Store",
    "StoreState",
    "StoreTransition",
    "Subscription",
    "SubscriptionChange",
    "SubscriptionStatus",
    "SyncRecord",
    "SyncSettings",
    "TaxMapping",
    "TrackingRule",
    "TrialClaim",
    "UsageCounter",
    "WooConnection",
    "WooRecord",
    "WooWebhook",
    "XeroConnection",
    "XeroReference",
]
