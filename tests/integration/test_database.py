import shutil
import threading
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from server import create_app
from server.extensions import db
from server.models import Binding, BindingKind, Store, XeroConnection
from server.startup import apply_migrations
from tests.support.waiting import PATIENCE

BATCH_REVISION = '''"""widen store names (a batch migration that rebuilds the stores table)"""
import sqlalchemy as sa
from alembic import op

revision = "test_batch_rebuild"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stores") as batch_op:  # SQLite rebuilds the table
        batch_op.alter_column("name", type_=sa.String(length=400))


def downgrade():
    pass
'''


def test_a_table_rebuilt_by_a_migration_keeps_the_rows_that_refer_to_it(
    make_config, database_factory, tmp_path
):
    app = create_app(make_config(database_factory()))
    with app.app_context():
        apply_migrations()
        store = Store(url="https://shop.example", signing_secret="s")
        db.session.add(store)
        db.session.flush()
        db.session.add(XeroConnection(store_id=store.id, tenant_name="Org"))
        db.session.add(
            Binding(store_id=store.id, kind=BindingKind.INVOICE, woo_id="1", xero_id="x")
        )
        db.session.commit()

        directory = tmp_path / "migrations"
        shutil.copytree(app.extensions["migrate"].directory, directory)
        head = app.extensions["migrate"].migrate.get_config(str(directory))
        from alembic.script import ScriptDirectory

        current_head = ScriptDirectory.from_config(head).get_current_head()
        (Path(directory) / "versions" / "test_batch_rebuild.py").write_text(
            BATCH_REVISION.replace("{head}", current_head)
        )
        upgrade(directory=str(directory))

        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(XeroConnection)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Binding)) == 1
        db.session.remove()
        db.engine.dispose()


def test_concurrent_read_then_write_transactions_wait_instead_of_failing(app_context):
    """Two transactions that each read and then write: on SQLite a deferred BEGIN fails the
    second writer at once ('database is locked'); both must succeed, one after the other."""
    db.session.add(Store(url="https://shop.example", name="0"))
    db.session.commit()
    db.session.remove()
    first_has_read = threading.Event()
    errors: list[Exception] = []
    engine = db.engine

    def bump(wait_for_other: bool) -> None:
        try:
            with engine.connect() as connection, connection.begin():
                # FOR UPDATE: PostgreSQL's row lock; SQLite's IMMEDIATE lock already holds.
                query = sa.select(Store.name).with_for_update()
                name = connection.execute(query).scalar_one()
                first_has_read.set()
                if wait_for_other:
                    threading.Event().wait(0.3)
                connection.execute(sa.update(Store).values(name=str(int(name) + 1)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    first = threading.Thread(target=bump, args=(True,))
    first.start()
    first_has_read.wait(PATIENCE)
    second = threading.Thread(target=bump, args=(False,))
    second.start()
    first.join(PATIENCE)
    second.join(PATIENCE)
    assert errors == []
    assert db.session.scalar(sa.select(Store.name)) == "2", "no update was lost"
