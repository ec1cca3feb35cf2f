"""Configuration: refuse to run outside development/testing without a strong secret key."""
from __future__ import annotations

import pytest

from assist import create_app
from tests.conftest import DATABASE_URL

STRONG = "Qm3v9-xZ2kLp_8rTw4Hy6NbC1dFgJs0aUe7oViR5"


def production(**config):
    return create_app({"ENV_NAME": "production", "DATABASE_URL": DATABASE_URL, **config})


@pytest.fixture(autouse=True)
def no_secret_from_the_environment(monkeypatch):
    for name in ("ASSIST_SECRET_KEY", "ASSIST_DATA_KEY", "ASSIST_ENV_NAME", "ASSIST_TESTING"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("key", [None, "", "dev", "secret", "changeme", "CHANGEME", "short-key-123",
                                 "a" * 64, "abababababababababababababababababab", b"dev"])
def test_production_refuses_a_missing_or_weak_secret_key(key):
    with pytest.raises(RuntimeError, match="ASSIST_SECRET_KEY"):
        production(SECRET_KEY=key)


def test_production_accepts_a_strong_key_and_derives_the_data_key(app):
    prod = production(SECRET_KEY=STRONG)
    assert prod.config["SECRET_KEY"] == STRONG and prod.config["DATA_KEY"] == STRONG
    assert prod.config["ENV_NAME"] == "production"


def test_production_refuses_a_weak_separate_data_key():
    with pytest.raises(RuntimeError, match="ASSIST_DATA_KEY"):
        production(SECRET_KEY=STRONG, DATA_KEY="changeme")
    assert production(SECRET_KEY=STRONG, DATA_KEY=STRONG[::-1]).config["DATA_KEY"] == STRONG[::-1]


def test_an_unknown_environment_name_is_treated_as_production():
    with pytest.raises(RuntimeError):
        create_app({"ENV_NAME": "staging", "DATABASE_URL": DATABASE_URL})


def test_the_secret_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("ASSIST_SECRET_KEY", STRONG)
    assert production().config["SECRET_KEY"] == STRONG
    monkeypatch.setenv("ASSIST_SECRET_KEY", "dev")
    with pytest.raises(RuntimeError):
        production()


@pytest.mark.parametrize("config", [{"TESTING": True}, {"ENV_NAME": "testing"}, {"ENV_NAME": "development"}])
def test_development_and_testing_run_without_a_key(config):
    app = create_app({"DATABASE_URL": DATABASE_URL, **config})
    assert app.config["SECRET_KEY"]  # a development key is filled in
    assert app.config["ENV_NAME"] in ("testing", "development")


def test_weak_keys_are_accepted_in_testing():
    assert create_app({"TESTING": True, "SECRET_KEY": "dev", "DATABASE_URL": DATABASE_URL}).config["SECRET_KEY"] == "dev"


def test_database_url_maps_to_sqlalchemy(monkeypatch):
    monkeypatch.setenv("ASSIST_DATABASE_URL", "sqlite:///:memory:")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///:memory:"


def test_defaults_that_matter():
    app = create_app({"TESTING": True, "DATABASE_URL": DATABASE_URL})
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_Hans_CN"
    assert app.config["BOOTSTRAP_SERVE_LOCAL"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("argv,expected", [
    (["/x/.venv/bin/flask", "--app", "assist", "db", "upgrade"], True),
    (["/x/flask/__main__.py", "-A", "assist", "db", "check"], True),
    (["flask", "--app", "assist", "run"], False),
    (["flask", "--app", "assist", "demo"], False),
    (["flask", "--app", "assist", "user", "create", "db"], False),
    (["gunicorn", "assist:create_app()"], False),
])
def test_only_schema_commands_run_without_a_secret(argv, expected):
    from assist.config import schema_command
    assert schema_command(argv) is expected
