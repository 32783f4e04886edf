"""The notification check against a real SMTP server (aiosmtpd on loopback): each kind told
once to the right people, never again while it lasts, what follows within a day gathered
into one digest, the store's switches obeyed, and the log when there is no SMTP server.
The clock is passed in: `check.run(now)`."""

from __future__ import annotations

import email
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from server.extensions import CONFIG_KEY, current_config, db
from server.locks import kept
from server.models import (
    ConnectionStatus,
    Notification,
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    Plan,
    Store,
    StoreState,
    Subscription,
    SubscriptionStatus,
    WooConnection,
    WooWebhook,
    XeroConnection,
)
from server.models import NotificationKind as Kind
from server.notifications import check
from server.redis_client import get_redis
from server.stores.settings import storage
from server.stores.settings.schema import Notifications
from tests.support.processes import free_port

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
OWNER = "owner@shop.example"
OPERATOR = "ops@sync.example"


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.original_content, policy=default)
        self.mails.append(Mail(tuple(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"

    def take(self) -> list[Mail]:
        mails, self.mails = self.mails, []
        return mails


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def use_email(app_context: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Run the app with these [email] settings."""

    def use(**values: Any) -> None:
        settings = current_config().with_overrides({"email": values})
        monkeypatch.setitem(app_context.extensions, CONFIG_KEY, settings)

    return use


@pytest.fixture
def mailbox(inbox: tuple[Inbox, int], use_email: Callable[..., None]) -> Inbox:
    handler, port = inbox
    use_email(host="127.0.0.1", port=port, security="none",
              from_address="wooxero@sync.example", operators=[OPERATOR])  # fmt: skip
    return handler


def make_store(admin_email: str = OWNER, url: str = "https://shop.example") -> Store:
    store = Store(url=url, name="Corner Shop", state=StoreState.ACTIVE, admin_email=admin_email)
    db.session.add(store)
    db.session.commit()
    return store


def subscription(store: Store, status: SubscriptionStatus, trial_ends_at: datetime) -> None:
    plan = db.session.scalar(sa.select(Plan)) or Plan(code="standard", name="Standard")
    db.session.add(Subscription(store_id=store.id, plan=plan, status=status,
                                trial_ends_at=trial_ends_at))  # fmt: skip
    db.session.commit()


def xero_lapsed(store: Store) -> XeroConnection:
    connection = XeroConnection(store_id=store.id, tenant_name="Corner Shop Ltd")
    connection.mark(ConnectionStatus.NEEDS_REAUTHORISATION, "invalid_grant")
    db.session.add(connection)
    db.session.commit()
    return connection


def woo_refused(store: Store) -> None:
    connection = WooConnection(store_id=store.id)
    connection.mark(ConnectionStatus.NEEDS_REAUTHORISATION, "the store answered 401")
    db.session.add(connection)
    db.session.commit()


def webhooks_off(store: Store) -> None:
    db.session.add(WooConnection(store_id=store.id, status=ConnectionStatus.CONNECTED,
                                 connected_at=T0 - timedelta(days=3)))  # fmt: skip
    db.session.add(WooWebhook(store_id=store.id, topic="order.created", webhook_id=5,
                              status="disabled", checked_at=T0 - timedelta(minutes=5)))  # fmt: skip
    db.session.commit()


def held_orders(store: Store, count: int = 5, first: int = 1) -> None:
    db.session.add_all(
        OutboxEntry(store_id=store.id, woo_order_id=str(first + n), kind="invoice",
                    action=OutboxAction.UPSERT, status=OutboxStatus.HELD)
        for n in range(count)
    )  # fmt: skip
    db.session.commit()


SETUPS: dict[Kind, Callable[[Store], Any]] = {
    Kind.TRIAL_ENDING: lambda store: subscription(
        store, SubscriptionStatus.TRIALING, T0 + timedelta(days=2)
    ),
    Kind.TRIAL_ENDED: lambda store: subscription(
        store, SubscriptionStatus.TRIALING, T0 - timedelta(hours=1)
    ),
    Kind.PAYMENT_FAILED: lambda store: subscription(
        store, SubscriptionStatus.PAST_DUE, T0 - timedelta(days=40)
    ),
    Kind.XERO_REAUTHORISATION: xero_lapsed,
    Kind.WOOCOMMERCE_REFUSED: woo_refused,
    Kind.WEBHOOKS_LOST: webhooks_off,
    Kind.ORDERS_NEED_ATTENTION: held_orders,
}
RECIPIENTS = {
    Kind.WEBHOOKS_LOST: [(OPERATOR,)],
    Kind.ORDERS_NEED_ATTENTION: [(OWNER,), (OPERATOR,)],
}
PAGES = {  # where each message sends the store's admin
    Kind.TRIAL_ENDING: "wooxero-bridge-subscription",
    Kind.TRIAL_ENDED: "wooxero-bridge-subscription",
    Kind.PAYMENT_FAILED: "wooxero-bridge-subscription",
    Kind.XERO_REAUTHORISATION: "wooxero-bridge-xero",
    Kind.WOOCOMMERCE_REFUSED: "wooxero-bridge",
    Kind.ORDERS_NEED_ATTENTION: "wooxero-bridge-activity",
}


@pytest.mark.parametrize("kind", list(Kind))
def test_each_kind_is_sent_once_to_its_recipients(mailbox, kind):
    store = make_store()
    SETUPS[kind](store)

    result = check.run(T0)

    mails = mailbox.take()
    assert sorted(mail.to for mail in mails) == sorted(RECIPIENTS.get(kind, [(OWNER,)]))
    assert result.opened == len(mails) and result.sent == len(mails)
    for mail in mails:
        assert "Corner Shop" in mail.subject
        assert mail.message["From"] == "wooxero@sync.example"
        assert "What to do: " in mail.text and "What it means for the books:</strong>" in mail.html
        if mail.to == (OWNER,):
            link = f"https://shop.example/wp-admin/admin.php?page={PAGES[kind]}"
            assert link in mail.text.split() and f'href="{link}"' in mail.html
        else:
            assert f"/admin/store/details/?id={store.id}" in mail.text

    assert check.run(T0 + timedelta(minutes=5)).sent == 0  # it lasts: nothing more
    assert check.run(T0 + timedelta(days=1, minutes=5)).sent == 0  # nor the next day
    assert mailbox.take() == []


def test_what_follows_within_a_day_goes_in_one_digest(mailbox):
    store = make_store()
    xero_lapsed(store)
    check.run(T0)
    assert [mail.subject for mail in mailbox.take()] == [
        "Xero needs you to sign in again: Corner Shop (https://shop.example)"
    ]

    woo_refused(store)
    assert check.run(T0 + timedelta(hours=1)).sent == 0
    held_orders(store)
    assert check.run(T0 + timedelta(hours=5)).sent == 1  # the operators' first, at once
    assert [mail.to for mail in mailbox.take()] == [(OPERATOR,)]

    check.run(T0 + timedelta(hours=23, minutes=59))
    assert mailbox.take() == []
    check.run(T0 + timedelta(hours=24))
    (digest,) = mailbox.take()
    assert digest.to == (OWNER,)
    assert digest.subject == "wooxero: 2 things need attention"
    assert "WooCommerce access stopped working" in digest.text
    assert "5 orders (5 held) not in Xero" in digest.text
    assert "Xero needs you" not in digest.text  # told already
    check.run(T0 + timedelta(hours=30))
    assert mailbox.take() == []


def test_a_condition_fixed_before_its_digest_is_not_told(mailbox):
    store = make_store()
    xero_lapsed(store)
    check.run(T0)
    mailbox.take()
    woo_refused(store)
    check.run(T0 + timedelta(hours=1))
    db.session.get(WooConnection, store.id)  # loaded to fix it
    connection = db.session.scalar(
        sa.select(WooConnection).where(WooConnection.store_id == store.id)
    )
    connection.mark(ConnectionStatus.CONNECTED)
    db.session.commit()
    check.run(T0 + timedelta(hours=25))
    assert mailbox.take() == []


def test_a_condition_that_clears_and_comes_back_is_told_again(mailbox):
    store = make_store()
    connection = xero_lapsed(store)
    check.run(T0)
    assert len(mailbox.take()) == 1
    connection.mark(ConnectionStatus.CONNECTED)
    db.session.commit()
    check.run(T0 + timedelta(hours=2))
    connection.mark(ConnectionStatus.NEEDS_REAUTHORISATION, "invalid_grant")
    db.session.commit()
    check.run(T0 + timedelta(hours=3))
    assert mailbox.take() == []  # within the day of the last email: kept for the digest
    check.run(T0 + timedelta(hours=24))
    (again,) = mailbox.take()
    assert "Xero stopped accepting wooxero's access" in again.text
    rows = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert [(row.resolved_at is not None, row.sent_at is not None) for row in rows] == [
        (True, True),
        (False, True),
    ]


def test_a_trial_extended_to_another_day_is_another_occurrence(mailbox):
    store = make_store()
    subscription(store, SubscriptionStatus.TRIALING, T0 + timedelta(days=2))
    check.run(T0)
    assert len(mailbox.take()) == 1
    row = db.session.scalar(sa.select(Subscription))
    row.trial_ends_at = T0 + timedelta(days=3, hours=12)
    db.session.commit()
    check.run(T0 + timedelta(days=1, hours=1))
    (told,) = mailbox.take()
    assert "ends on Sunday 6 December 2026, 21:00 UTC" in told.text


def test_a_kind_turned_off_is_not_sent_to_the_store_but_the_operators_still_hear(mailbox):
    store = make_store()
    settings = storage.load(store.id).model_copy(
        update={"notifications": Notifications(xero_reauthorisation=False,
                                               orders_need_attention=False)}
    )  # fmt: skip
    storage.save(store.id, settings)
    db.session.commit()
    xero_lapsed(store)
    held_orders(store)
    check.run(T0)
    assert [mail.to for mail in mailbox.take()] == [(OPERATOR,)]


def test_without_an_smtp_host_messages_go_to_the_log(app_context, caplog):
    store = make_store()
    xero_lapsed(store)
    with caplog.at_level(logging.INFO, logger="server.notifications"):
        result = check.run(T0)
    assert result.sent == 1
    (record,) = [r for r in caplog.records if r.name == "server.notifications"]
    first, _, body = record.getMessage().partition("\n")
    assert first == (
        f"email to {OWNER}: Xero needs you to sign in again: Corner Shop (https://shop.example)"
    )
    assert "Sign in to Xero again" in body
    assert check.run(T0 + timedelta(minutes=5)).sent == 0


def test_a_store_without_an_address_is_written_to_the_log(mailbox, caplog):
    store = make_store(admin_email="")
    xero_lapsed(store)
    with caplog.at_level(logging.INFO, logger="server.notifications"):
        check.run(T0)
    assert mailbox.take() == []
    assert "email to nobody (no address known): Xero needs you" in caplog.text


def test_a_message_the_smtp_server_cannot_take_waits_for_the_next_check(inbox, use_email, mailbox):
    handler, port = inbox
    store = make_store()
    xero_lapsed(store)
    use_email(host="127.0.0.1", port=free_port(), security="none",
              from_address="wooxero@sync.example", timeout=5)  # fmt: skip
    result = check.run(T0)
    assert (result.sent, result.failed) == (0, 1)
    assert db.session.scalar(sa.select(Notification.sent_at)) is None
    use_email(host="127.0.0.1", port=port, security="none", from_address="wooxero@sync.example")
    assert check.run(T0 + timedelta(minutes=5)).sent == 1
    assert [mail.to for mail in handler.take()] == [(OWNER,)]


def test_stores_not_active_are_not_told(mailbox):
    store = make_store()
    xero_lapsed(store)
    store.state = StoreState.PAUSED
    db.session.commit()
    check.run(T0)
    assert mailbox.take() == []


def test_a_store_name_with_a_line_break_is_told_on_one_subject_line(mailbox):
    store = make_store()
    store.name = "Corner\nShop\r\nBcc: someone@elsewhere.example"
    db.session.commit()
    xero_lapsed(store)

    assert check.run(T0).sent == 1

    (mail,) = mailbox.take()
    assert "\n" not in mail.subject and "Corner Shop Bcc:" in mail.subject
    assert mail.to == (OWNER,) and mail.message["Bcc"] is None


def test_a_check_while_another_runs_does_nothing(mailbox, app_context):
    store = make_store()
    xero_lapsed(store)
    with kept(get_redis(), check.LOCK) as taken:
        assert taken
        assert check.run(T0) == check.CheckResult(0, 0, 0, 0)
    assert mailbox.take() == []
    assert check.run(T0).sent == 1  # once the other round is over
