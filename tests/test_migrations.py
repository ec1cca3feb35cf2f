"""`flask db upgrade` on an empty database gives exactly the models' schema (no drift) and loads
the reference data; running it twice is harmless. Runs on the test database's backend: a fresh
SQLite file, or a fresh PostgreSQL database next to the test one (the session's schema is untouched)."""
from __future__ import annotations

import logging
import os
import tempfile
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from assist.areas import data as area_data
from assist.extensions import db
from tests.conftest import DATABASE_URL, make_app


@pytest.fixture
def empty_database_url():
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        folder = tempfile.mkdtemp(prefix="assist-migrate-")
        yield f"sqlite:///{os.path.join(folder, 'fresh.db')}"
        return
    name = f"assist_migrate_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def keep_loggers():
    """Alembic's env.py runs logging.fileConfig, which disables every logger that exists: undo that."""
    enabled = [lg for lg in logging.root.manager.loggerDict.values()
               if isinstance(lg, logging.Logger) and not lg.disabled]
    level = logging.root.level
    yield
    for lg in enabled:
        lg.disabled = False
    logging.root.setLevel(level)


def _drift(engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return compare_metadata(context, db.metadata)


def _counts(engine) -> dict:
    with engine.connect() as conn:
        return {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
                for table in ("area", "category", "service_item")}


def test_upgrade_of_an_empty_database_matches_the_models_and_loads_reference_data(empty_database_url, keep_loggers):
    app = make_app(DATABASE_URL=empty_database_url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    with app.app_context():
        engine = db.engine
        drift = _drift(engine)
        assert drift == [], "the migrations do not match the models:\n" + "\n".join(map(repr, drift))
        expected_areas = len(list(area_data.rows()))
        assert _counts(engine) == {"area": expected_areas, "category": 6, "service_item": 24}
        with engine.connect() as conn:
            names = dict(conn.execute(sa.text("SELECT code, name FROM area")).all())
        assert names["150303002000"] == "拉僧仲街道" and names["150303002001"] == "华苑社区"
        engine.dispose()


def test_running_upgrade_twice_is_harmless(empty_database_url, keep_loggers):
    app = make_app(DATABASE_URL=empty_database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        first = _counts(db.engine)
        # Reference data deleted by hand comes back; what is there is not duplicated or overwritten.
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE service_item SET name_zh = '助餐' WHERE code = 'A1'"))
        db.engine.dispose()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from flask_migrate import downgrade, upgrade
    with app.app_context():
        downgrade(revision="0001")
        upgrade()
        assert _counts(db.engine) == first
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name_zh FROM service_item WHERE code = 'A1'")).scalar() == "助餐"
        db.engine.dispose()
