"""`flask --app assist demo`: a believable district, through the real services, into an empty database."""
from __future__ import annotations

import collections
import re
import time

import pytest
import sqlalchemy as sa
from stdnum.cn import uscc

from assist.areas.models import Area
from assist.auth.models import User
from assist.core import audit
from assist.core.permissions import ROLES
from assist.core.validation import MOBILE_RE
from assist.providers.models import Provider
from assist.residents import idnumber
from assist.residents.models import Resident
from assist.units.models import PartnerUnit
from tests.conftest import PASSWORD, _empty_tables

DISTRICT_PATH = "150303/"


@pytest.fixture
def demo(app):
    """``demo(residents=60, seed=7, password=PASSWORD)`` → the click result of the CLI command."""
    def run(residents=60, seed=7, password=PASSWORD, args=()):
        result = app.test_cli_runner().invoke(
            args=["demo", "--residents", str(residents), "--seed", str(seed), *args],
            env={"ASSIST_DEMO_PASSWORD": password})  # None removes it from the environment
        app.extensions["sqlalchemy"].session.remove()
        return result
    return run


def residents(db):
    return db.session.scalars(sa.select(Resident).order_by(Resident.id)).all()


def test_demo_fills_an_empty_district(demo, db):
    result = demo(residents=60)
    assert result.exit_code == 0, result.output
    rs = residents(db)
    assert len(rs) >= 60

    numbers = [r.id_number for r in rs]
    assert len(set(numbers)) == len(numbers), "two residents share an ID number"
    for r in rs:
        info = idnumber.parse(r.id_number)  # the register's own check: length, check character, birth date
        assert (info.birth_date, info.gender) == (r.birth_date, r.gender)
        assert r.phone is None or MOBILE_RE.match(r.phone)
        assert r.emergency_contact_phone is None or MOBILE_RE.match(r.emergency_contact_phone)
        assert re.search(r"\d+号楼\d单元\d+室$|\d+排\d+号$|村[一二三四五六七八九十]组\d+号$", r.address), r.address
        assert r.assistance_since is not None and r.birth_date <= r.assistance_since
        assert r.assessments, "registered without an assessment"
        if r.bedridden:
            assert r.self_care_level >= 3 and r.limited_mobility
        for m in r.household:
            if m.id_number_enc:
                idnumber.parse(m.id_number_enc)
            assert m.relation and m.name

    # Every resident lives in a community of the district, and every community has residents.
    communities = {a.code: a for a in db.session.scalars(sa.select(Area).where(Area.level == "community"))}
    assert {r.area_code for r in rs} == set(communities)
    assert all(r.area.level == "community" and r.area.path.startswith(DISTRICT_PATH) for r in rs)

    # Old people with 150303 numbers from before the code existed (1983) are the core of the register.
    assert sum(1 for r in rs if r.id_number.startswith("150303") and r.birth_date.year < 1983) >= 10
    assert any(not r.id_number.startswith("150303") for r in rs)
    assert any(r.age >= 80 for r in rs)
    children = [r for r in rs if r.age < 18]
    assert any(c.child_status != "none" for c in children)
    assert all(c.household for c in children), "a child without guardians on the household"
    assert len({r.assistance_type for r in rs}) == 5
    assert {"suspended", "terminated"} <= {r.status for r in rs}
    assert all(r.status_changes and r.status_reason for r in rs if r.status != "active")
    assert any(len(r.household) >= 2 for r in rs)

    # Providers with valid 统一社会信用代码, partner units, and the audit trail of it all.
    providers = db.session.scalars(sa.select(Provider)).all()
    assert len(providers) >= 2
    for p in providers:
        assert uscc.validate(p.uscc) == p.uscc
        assert p.weekly_capacity > 0 and p.contact and MOBILE_RE.match(p.phone)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartnerUnit)) >= 2
    assert audit.verify()["ok"]
    created = db.session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEntry).where(
        audit.AuditEntry.object_type == "resident", audit.AuditEntry.action == "create"))
    assert created == len(rs)
    # The full ID number never goes into the audit log in clear.
    changes = " ".join(str(e.changes) for e in db.session.scalars(sa.select(audit.AuditEntry)))
    assert not any(n in changes for n in numbers)

    assert "60 residents" in result.output and "admin" in result.output
    assert PASSWORD not in result.output  # a password the operator gave is not echoed


def test_every_role_has_a_user_who_can_log_in(demo, db, client):
    assert demo(residents=20).exit_code == 0
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    assert set(ROLES) <= {u.role for u in users}
    by_name = {u.username: u for u in users}
    assert {"admin", "caseworker", "caseworker2", "auditor", "provider1", "provider2", "unit1"} <= set(by_name)
    assert [a.code for a in by_name["caseworker"].areas] == ["150303"]
    assert [a.code for a in by_name["caseworker2"].areas] == ["150303002000"]
    assert all(u.provider_id for u in users if u.role == "provider")
    assert len({u.provider_id for u in users if u.role == "provider"}) >= 2
    assert all(u.unit_id for u in users if u.role == "unit")
    for user in users:
        resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
        assert resp.status_code == 200, (user.username, resp.get_json())
        assert resp.get_json()["role"] == user.role


def test_without_a_password_one_is_generated_and_shown_once(demo, client):
    result = demo(residents=5, password=None)
    assert result.exit_code == 0, result.output
    match = re.search(r"generated, shown only now\): (\S+)", result.output)
    assert match, result.output
    password = match.group(1)
    assert len(password) >= 16 and password != PASSWORD
    resp = client.post("/api/v1/auth/token", json={"username": "caseworker", "password": password})
    assert resp.status_code == 200


def test_weak_password_is_refused_before_anything_is_written(demo, db):
    result = demo(residents=5, password="admin12345")
    assert result.exit_code != 0
    assert "password" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_refuses_a_database_that_has_residents(demo, db, make_resident):
    make_resident()
    result = demo(residents=5)
    assert result.exit_code != 0
    assert "already holds 1 residents" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_refuses_a_second_run(demo, db):
    assert demo(residents=5).exit_code == 0
    result = demo(residents=5)
    assert result.exit_code != 0 and "empty database" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 5


def _fingerprint(db):
    people = [(r.name, r.id_number, r.phone, r.address, r.area_code, r.assistance_type, r.assistance_since,
               r.conditions, r.status, r.emergency_contact_name, r.emergency_contact_phone,
               [(m.relation, m.name, m.id_number_enc, m.phone_enc) for m in r.household]) for r in residents(db)]
    orgs = [(p.name, p.uscc, p.contact, p.phone) for p in db.session.scalars(sa.select(Provider).order_by(Provider.id))]
    users = [(u.username, u.role, u.display_name) for u in db.session.scalars(sa.select(User).order_by(User.id))]
    return people, orgs, users


def _wipe(app, db):
    db.session.remove()  # end the read transaction first: PostgreSQL's TRUNCATE would wait for it
    _empty_tables(app)


def test_the_same_seed_gives_the_same_district(app, demo, db):
    assert demo(residents=40, seed=7).exit_code == 0
    first = _fingerprint(db)
    _wipe(app, db)
    assert demo(residents=40, seed=7).exit_code == 0
    assert _fingerprint(db) == first
    _wipe(app, db)
    assert demo(residents=40, seed=8).exit_code == 0
    assert _fingerprint(db)[0] != first[0]


@pytest.mark.slow
def test_full_demo_district(demo, db):
    started = time.monotonic()
    result = demo(residents=520, seed=2026)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 60, f"the demo took {elapsed:.1f} s"
    rs = residents(db)
    assert len(rs) == 520
    assert len({r.id_number for r in rs}) == 520
    groups = collections.Counter(r.assistance_type for r in rs)
    for group, share in {"tekun": 0.10, "dibao": 0.45, "dibian": 0.20, "zhichu": 0.15, "linshi": 0.10}.items():
        assert abs(groups[group] / 520 - share) < 0.06, groups
    ages = [r.age for r in rs]
    assert sum(a >= 60 for a in ages) > 0.55 * 520
    assert sum(a >= 80 for a in ages) > 0.12 * 520
    assert sum(a < 18 for a in ages) >= 15
    assert sum(18 <= a < 60 for a in ages) >= 60
    assert any(r.able_to_work_unemployed for r in rs) and any(r.recent_crisis for r in rs)
    assert {c.child_status for c in rs if c.age < 18} >= {"in_difficulty", "left_behind", "unsupported"}
    assert audit.verify()["ok"]
