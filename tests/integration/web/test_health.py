from server import create_app
from server.extensions import db


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_is_200_when_database_and_redis_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_readyz_names_an_unreachable_redis(settings, tmp_path):
    app = create_app(settings.with_overrides({"redis": {"url": f"unix://{tmp_path}/nothing.sock"}}))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["problems"] == {"redis": "does not answer"}
    assert str(tmp_path) not in response.text, "no path or host is disclosed"


def test_readyz_names_an_unusable_database(settings, tmp_path):
    missing = tmp_path / "no-such-dir" / "db.sqlite"
    app = create_app(settings.with_overrides({"database": {"url": f"sqlite:///{missing}"}}))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["problems"] == {"database": "does not answer"}
    assert str(tmp_path) not in response.text
    with app.app_context():
        db.engine.dispose()


def test_readyz_without_any_redis_configured(settings):
    app = create_app(settings.with_overrides({"redis": {"url": ""}}))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["problems"] == {"redis": "not configured"}
