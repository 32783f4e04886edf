import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from server import create_app
from server.billing import trial
from server.extensions import db
from server.models import (
    OutboxAction,
    OutboxEntry,
    OutboxStatus,
    SeenTaxKey,
    Store,
    StoreState,
    TrialClaim,
    WooRecord,
)
from server.models.types import utcnow
from server.startup import apply_migrations, require_current_schema


def script_directory(app):
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_there_is_exactly_one_head(app):
    with app.app_context():
        assert len(script_directory(app).get_heads()) == 1


def test_upgrade_on_an_empty_database_then_models_match(make_config, database_factory):
    app = create_app(make_config(database_factory()))
    with app.app_context():
        with db.engine.connect() as connection:
            assert sa.inspect(connection).get_table_names() == []
        apply_migrations()
        with db.engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            assert set(db.metadata.tables) <= tables
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"
        db.engine.dispose()


def test_downgrade_to_nothing_and_back(make_config, database_factory):
    app = create_app(make_config(database_factory()))
    with app.app_context():
        apply_migrations()
        downgrade(directory=app.extensions["migrate"].directory, revision="base")
        with db.engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        apply_migrations()
        require_current_schema()
        db.engine.dispose()


def test_orders_held_for_prerequisites_become_waiting(make_config, database_factory):
    """Before c4e7a9b2d310, an order waiting for the store's prerequisites was `held` with
    an error beginning "not sent yet: "; the migration gives those, and only those, the
    `waiting` status, and its downgrade turns them back."""
    app = create_app(make_config(database_factory()))
    directory = app.extensions["migrate"].directory
    with app.app_context():
        apply_migrations()
        store = Store(url="https://a.example", name="A", state=StoreState.ACTIVE)
        db.session.add(store)
        db.session.flush()
        for order, error in (("1", "not sent yet: Xero is not connected"),
                             ("2", "the number WC-2 is used by another document")):  # fmt: skip
            db.session.add(
                OutboxEntry(
                    store_id=store.id,
                    woo_order_id=order,
                    kind="",
                    error=error,
                    action=OutboxAction.UPSERT,
                    status=OutboxStatus.HELD,
                )
            )
        db.session.commit()
        db.session.remove()
        downgrade(directory=directory, revision="b3c1d2e4f5a6")
        assert _outbox_statuses() == {"1": "held", "2": "held"}
        upgrade(directory=directory, revision="c4e7a9b2d310")
        assert _outbox_statuses() == {"1": "waiting", "2": "held"}
        downgrade(directory=directory, revision="b3c1d2e4f5a6")
        assert _outbox_statuses() == {"1": "held", "2": "held"}
        db.engine.dispose()


def _outbox_statuses() -> dict[str, str]:
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT woo_order_id, status FROM outbox_entries"))
        return dict(rows.all())


def test_the_tax_keys_of_orders_already_kept_are_found(make_config, database_factory):
    """d5f8b3c4e621 fills `seen_tax_keys` from the orders kept before it (refunds and the
    first order to carry a key included; deleted orders and other records left out)."""
    app = create_app(make_config(database_factory()))
    directory = app.extensions["migrate"].directory
    with app.app_context():
        apply_migrations()
        downgrade(directory=directory, revision="c4e7a9b2d310")
        store = Store(url="https://a.example", name="A", state=StoreState.ACTIVE)
        db.session.add(store)
        db.session.flush()
        line = {"id": 1, "taxes": [{"id": 5, "total": "1"}, {"id": 6, "total": "1"}]}
        refund = {"line_items": [{"id": 9, "taxes": [{"id": 7, "total": "-1"}]}]}
        kept = {
            "3": ({"line_items": [line], "_wooxero_refunds": [refund]}, False),
            "4": ({"line_items": [line], "shipping_lines": [{"id": 2, "taxes": []}]}, False),
            "5": ({"line_items": [{"id": 1, "taxes": [{"id": 8, "total": "1"}]}]}, True),
        }
        for woo_id, (data, deleted) in kept.items():
            db.session.add(
                WooRecord(store_id=store.id, resource="order", woo_id=woo_id, content_hash="",
                          deleted=deleted, data=data)
            )  # fmt: skip
        db.session.add(
            WooRecord(store_id=store.id, resource="product", woo_id="3", content_hash="",
                      data={"line_items": [{"id": 1, "taxes": [{"id": 99}]}]})
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
        upgrade(directory=directory, revision="d5f8b3c4e621")
        seen = db.session.execute(sa.select(SeenTaxKey.woo_rates, SeenTaxKey.woo_order_id)).all()
        assert sorted(seen) == [("5+6", "3"), ("7", "3"), ("none", "4")]
        db.session.remove()
        downgrade(directory=directory, revision="c4e7a9b2d310")
        with db.engine.connect() as connection:
            assert "seen_tax_keys" not in sa.inspect(connection).get_table_names()
        db.engine.dispose()


def test_stores_that_had_their_trial_before_claims_were_kept_are_claimed(
    make_config, database_factory
):
    """9306862b98e6 claims the trial of every store that has a subscription, so erasing and
    re-installing it after the upgrade gives no second trial."""
    app = create_app(make_config(database_factory()))
    directory = app.extensions["migrate"].directory
    with app.app_context():
        apply_migrations()
        downgrade(directory=directory, revision="b41c7e9a2d05")
        with db.engine.begin() as connection:
            for store_id, url in ((1, "https://a.example/"), (2, "https://b.example")):
                connection.execute(
                    sa.text("INSERT INTO stores (id, public_id, name, url, admin_url, state, "
                            "admin_email, admin_username, plugin_version, wp_version, "
                            "wc_version, created_at, updated_at) VALUES (:id, :pid, '', :url, "
                            "'', 'active', '', '', '', '', '', :now, :now)"),
                    {"id": store_id, "pid": f"p{store_id}", "url": url, "now": utcnow()},
                )  # fmt: skip
            connection.execute(
                sa.text("INSERT INTO plans (id, code, name, monthly_price, currency, "
                        "trial_days, active) VALUES (1, 'standard', 'Standard', 0, 'USD', 14, "
                        "true)")
            )  # fmt: skip
            connection.execute(
                sa.text("INSERT INTO subscriptions (store_id, plan_id, status, provider, "
                        "provider_ref, created_at, updated_at, trial_ends_at) VALUES (1, 1, "
                        "'expired', 'manual', '', :now, :now, :now)"),
                {"now": utcnow()},
            )  # fmt: skip
        upgrade(directory=directory)
        claimed = set(db.session.scalars(sa.select(TrialClaim.url_digest)))
        assert claimed == {trial.url_digest("https://a.example")}  # b had no subscription
        db.session.remove()
        db.engine.dispose()
