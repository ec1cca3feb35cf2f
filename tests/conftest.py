"""Fixtures: a real database (SQLite by default, PostgreSQL with ASSIST_TEST_DATABASE_URL), a fresh
app per test, tables emptied and reference data reloaded after each test, and factories."""
from __future__ import annotations

import datetime as dt
import itertools
import os
import tempfile

import pytest
import sqlalchemy as sa

from assist import create_app
from assist.core import refdata
from assist.extensions import db as _db
from assist.residents import idnumber

PASSWORD = "correct-horse-battery-9"
HUAYUAN = "150303002001"  # 拉僧仲街道 华苑社区
XINQIAO = "150303002002"  # 拉僧仲街道 新桥社区
LASENGZHONG = "150303002000"
XIZHUOZISHAN_C = "150303001001"  # 西卓子山街道 兴隆社区

_tmpdir = tempfile.mkdtemp(prefix="assist-tests-")
DATABASE_URL = os.environ.get("ASSIST_TEST_DATABASE_URL") or f"sqlite:///{_tmpdir}/test.db"


def make_app(**extra):
    config = {
        "TESTING": True, "DATABASE_URL": DATABASE_URL, "SECRET_KEY": "test-secret-key-" + "k" * 32,
        "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "DASHBOARD_CACHE_SECONDS": 0,
        "UPLOAD_DIR": tempfile.mkdtemp(prefix="uploads-", dir=_tmpdir), "SERVER_NAME": None,
    }
    config.update(extra)
    return create_app(config)


@pytest.fixture(scope="session")
def _schema():
    app = make_app()
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        with _db.engine.begin() as conn:
            refdata.load(conn)
        _db.engine.dispose()
    yield


def _empty_tables(app):
    with app.app_context():
        _db.session.remove()
        engine = _db.engine
        tables = list(reversed(_db.metadata.sorted_tables))
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for t in tables:
                    conn.execute(t.delete())
                conn.execute(sa.text("DELETE FROM sqlite_sequence")) if conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
            refdata.load(conn)
        engine.dispose()


@pytest.fixture
def app(_schema):
    app = make_app()
    ctx = app.app_context()
    ctx.push()
    yield app
    ctx.pop()
    _empty_tables(app)


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories ------------------------------------------------------------------------------------

_seq = itertools.count(1)


@pytest.fixture
def make_user(app):
    from assist.auth import services
    from assist.providers.models import Provider

    def make(role="caseworker", areas=(HUAYUAN,), username=None, provider=None, unit=None, **kw):
        n = next(_seq)
        data = {"username": username or f"{role}{n}", "password": PASSWORD, "role": role,
                "area_codes": list(areas) if role == "caseworker" else []}
        if role == "provider":
            if provider is None:
                provider = Provider(name=f"服务机构{n}")
                _db.session.add(provider)
                _db.session.flush()
            data["provider_id"] = provider.id
        if role == "unit":
            from assist.units.models import PartnerUnit
            if unit is None:
                unit = PartnerUnit(name=f"包联单位{n}")
                _db.session.add(unit)
                _db.session.flush()
            data["unit_id"] = unit.id
        data.update(kw)
        user = services.create_user(data, actor=None)
        _db.session.commit()
        return user
    return make


def id_number(birth=dt.date(1944, 5, 6), region="150303", seq=None, male=True) -> str:
    """A valid ID number; distinct per call unless ``seq`` is given."""
    if seq is None:
        seq = (next(_seq) * 2 + (1 if male else 0)) % 1000
    return idnumber.make(region, birth, seq)


@pytest.fixture
def resident_data():
    def data(**overrides):
        base = {"id_number": id_number(), "name": "王守义", "phone": "13904730000", "address": "华苑小区3号楼2单元101",
                "area_code": HUAYUAN, "assistance_type": "dibao",
                "conditions": {"lives_alone": True, "self_care_level": 2}}
        base.update(overrides)
        return base
    return data


@pytest.fixture
def make_resident(app, resident_data):
    from assist.residents import services

    def make(actor=None, **overrides):
        resident = services.register(resident_data(**overrides), actor)
        _db.session.commit()
        return resident
    return make


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def _headers(self, headers):
        out = dict(headers or {})
        if self.token:
            out.setdefault("Authorization", f"Bearer {self.token}")
        return out

    def get(self, url, **kw):
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url, **kw):
        return self.client.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url, json=None, **kw):
        return self.client.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url, json=None, **kw):
        return self.client.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def api(client, make_user):
    """``api("caseworker", areas=[...])`` → an ApiClient logged in as a new user of that role."""
    def login(role_or_user="admin", **kw):
        user = make_user(role_or_user, **kw) if isinstance(role_or_user, str) else role_or_user
        resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
        assert resp.status_code == 200, resp.get_json()
        c = ApiClient(client, resp.get_json()["token"])
        c.user = user
        return c
    return login


@pytest.fixture
def login(client, make_user):
    """Log the HTML test client in as a new user of ``role``; returns the user."""
    def do(role="caseworker", **kw):
        user = make_user(role, **kw) if isinstance(role, str) else role
        resp = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert resp.status_code == 302, resp.data[:500]
        return user
    return do


VISIT_PROVIDER_USCC = "91110108551385082Q"


@pytest.fixture
def visit_setup(api, make_resident, make_user):
    """A resident with an A1 plan (Mon/Thu 09:00, 45 min, from today) of a provider with two workers.

    Returns API clients (``admin``, ``cw`` — a caseworker of the resident's area — ``w1``, ``w2``) and
    the objects: ``provider`` and ``plan`` (JSON), ``resident``, ``w1_user``, ``w2_user``.
    """
    from assist.providers.models import Provider
    today = dt.date.today()
    admin = api("admin")
    provider = admin.post("/api/v1/providers", json={"name": "颐康居家养老服务中心", "uscc": VISIT_PROVIDER_USCC,
                                                     "item_codes": ["A1", "B1", "E1"], "area_codes": [LASENGZHONG],
                                                     "weekly_capacity": 50}).get_json()
    resident = make_resident(id_number=id_number(dt.date(1940, 1, 9)), conditions={"self_care_level": 2})
    caseworker = api("caseworker")
    plan = caseworker.post("/api/v1/plans", json={
        "resident_id": resident.id, "item_code": "A1", "provider_id": provider["id"],
        "rrule": "FREQ=WEEKLY;BYDAY=MO,TH", "start_date": today.isoformat(), "start_time": "09:00",
        "duration_minutes": 45, "quantity_per_visit": 1, "monthly_cap": 10}).get_json()
    prov = _db.session.get(Provider, provider["id"])
    w1, w2 = make_user("provider", provider=prov), make_user("provider", provider=prov)
    return {"admin": admin, "cw": caseworker, "provider": provider, "resident": resident, "plan": plan,
            "w1": api(w1), "w2": api(w2), "w1_user": w1, "w2_user": w2}
