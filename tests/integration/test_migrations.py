import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade

from server import create_app
from server.extensions import db
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
