"""The audit log: what is written (who, when, action, object, old → new), never an ID number in
clear, the hash chain and its verification, and the same transaction as the change."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from assist.core import audit
from assist.core.audit import AuditEntry
from tests.conftest import PASSWORD, id_number


def entries(db, **where):
    stmt = sa.select(AuditEntry).order_by(AuditEntry.seq)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    db.session.expire_all()
    return db.session.scalars(stmt).all()


def raw_changes(db) -> str:
    """The audit table as the database holds it, bypassing the ORM."""
    rows = db.session.execute(sa.text("SELECT actor, action, object_type, object_id, changes FROM audit_entry")).all()
    return "\n".join(str(tuple(row)) for row in rows)


def test_create_update_and_status_are_logged_with_old_and_new_values(api, resident_data, db):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data(name="王守义", address="旧地址")).get_json()
    rid = body["id"]
    c.patch(f"/api/v1/residents/{rid}", json={"version": 1, "address": "新地址", "conditions": {"bedridden": True}})
    c.post(f"/api/v1/residents/{rid}/status", json={"status": "suspended", "reason": "住院"})
    log = entries(db, object_type="resident", object_id=str(rid))
    assert [e.action for e in log] == ["create", "update", "status"]
    assert all(e.actor == c.user.username and e.actor_id == c.user.id for e in log)
    assert all(e.at.tzinfo is not None and abs(e.at - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=1)
               for e in log)
    created = log[0].changes
    assert created["name"] == "王守义" and created["address"] == "旧地址" and created["area_code"] == body["area_code"]
    assert created["id_number_masked"] == body["id_number_masked"]
    updated = log[1].changes
    assert updated["address"] == ["旧地址", "新地址"]
    assert updated["conditions"][0]["bedridden"] is False and updated["conditions"][1]["bedridden"] is True
    assert updated["version"] == [1, 2]
    assert "name" not in updated  # only what changed
    assert log[2].changes["status"] == ["active", "suspended"] and log[2].changes["reason"] == "住院"


def test_an_edit_that_changes_nothing_writes_no_entry(api, resident_data, db):
    c = api("caseworker")
    body = c.post("/api/v1/residents", json=resident_data()).get_json()
    r = c.patch(f"/api/v1/residents/{body['id']}", json={"version": 1, "name": body["name"], "phone": body["phone"]})
    assert r.status_code == 200 and r.get_json()["version"] == 1
    assert [e.action for e in entries(db, object_type="resident")] == ["create"]


def test_logins_are_logged_both_ways(client, make_user, db):
    user = make_user("caseworker")
    client.post("/api/v1/auth/token", json={"username": user.username, "password": "wrong-password-1"})
    client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    log = entries(db, action="login")
    assert [e.changes["success"] for e in log] == [False, True, True]
    assert log[0].actor == "system" and log[0].object_id == str(user.id) and log[0].changes["username"] == user.username
    assert log[1].actor == user.username and log[1].object_type == "user" and log[1].ip == "127.0.0.1"


def test_user_changes_are_logged_without_password_hashes(api, make_user, db):
    target = make_user("caseworker")
    admin = api("admin")
    admin.patch(f"/api/v1/users/{target.id}", json={"version": target.version, "password": "another-long-secret-7",
                                                    "display_name": "张三"})
    update = entries(db, action="update", object_type="user")[-1]
    assert update.changes["password"] == ["***", "***"] and update.changes["display_name"] == ["", "张三"]
    assert update.actor == admin.user.username
    assert "another-long-secret-7" not in raw_changes(db) and "pbkdf2" not in raw_changes(db)


def test_the_full_id_number_and_phone_never_appear_in_clear(api, resident_data, db):
    number, spouse, replacement = id_number(), id_number(male=False), id_number(birth=dt.date(1945, 1, 1))
    c = api("caseworker")
    rid = c.post("/api/v1/residents", json=resident_data(
        id_number=number, phone="13904731234", emergency_contact_phone="13904735678",
        household=[{"relation": "配偶", "name": "李秀英", "id_number": spouse, "phone": "13904739999"}])).get_json()["id"]
    c.patch(f"/api/v1/residents/{rid}", json={"version": 1, "id_number": replacement, "phone": "13800001111"})
    c.post("/api/v1/residents", json=resident_data(id_number=number))  # a refused duplicate
    text = raw_changes(db)
    for secret in (number, spouse, replacement, number[6:14], "13904731234", "13904735678", "13904739999",
                   "13800001111"):
        assert secret not in text, secret
    # Still readable as a change: masked old → masked new.
    update = entries(db, action="update", object_type="resident")[-1]
    assert update.changes["id_number_masked"] == [number[:6] + "*" * 8 + number[-4:],
                                                  replacement[:6] + "*" * 8 + replacement[-4:]]
    assert update.changes["phone"] == ["139****1234", "138****1111"]
    api_text = api("auditor").get("/api/v1/audit?object_type=resident").get_data(as_text=True)
    assert number not in api_text and "13904731234" not in api_text


def test_a_middle_digit_change_of_the_id_number_is_still_logged(api, resident_data, db):
    # A birth-date typo fixed: the masked forms (first 6 + last 4) of both numbers are the same.
    number = id_number(birth=dt.date(1944, 5, 6), seq=21)
    fixed = next(n for n in (id_number(birth=dt.date(1944, 5, 6) + dt.timedelta(days=d), seq=21)
                             for d in range(1, 400)) if n[-4:] == number[-4:])
    assert fixed != number and fixed[:6] + fixed[-4:] == number[:6] + number[-4:]
    c = api("caseworker")
    rid = c.post("/api/v1/residents", json=resident_data(id_number=number)).get_json()["id"]
    c.patch(f"/api/v1/residents/{rid}", json={"version": 1, "id_number": fixed})
    update = entries(db, action="update", object_type="resident")[-1]
    assert update.changes["id_number_masked"][0] == update.changes["id_number_masked"][1]  # masked, yet logged
    assert update.changes["birth_date"][0] == "1944-05-06" and update.changes["birth_date"][1] == fixed[6:10] + "-" + \
        fixed[10:12] + "-" + fixed[12:14]


def test_verify_is_ok_on_an_untouched_log(api, resident_data):
    c = api("caseworker")
    for _ in range(3):
        c.post("/api/v1/residents", json=resident_data())
    result = api("auditor").get("/api/v1/audit/verify").get_json()
    assert result["ok"] is True
    assert result["entries"] >= 3 + 2  # three residents and two logins


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_entry SET changes = '{\"name\": \"someone else\"}' WHERE seq = 3",
    "UPDATE audit_entry SET actor = 'nobody' WHERE seq = 2",
    "UPDATE audit_entry SET at = at - INTERVAL '1 hour' WHERE seq = 3",
    "DELETE FROM audit_entry WHERE seq = 2",
    "UPDATE audit_entry SET seq = seq + 100 WHERE seq = 4",
])
def test_editing_or_deleting_an_entry_is_detected(api, resident_data, db, tamper):
    c = api("caseworker")
    for _ in range(3):
        c.post("/api/v1/residents", json=resident_data())
    auditor = api("auditor")
    assert auditor.get("/api/v1/audit/verify").get_json()["ok"] is True
    if "INTERVAL" in tamper and db.engine.dialect.name == "sqlite":
        tamper = "UPDATE audit_entry SET at = datetime(at, '-1 hour') WHERE seq = 3"
    db.session.execute(sa.text(tamper))
    db.session.commit()
    result = auditor.get("/api/v1/audit/verify").get_json()
    assert result["ok"] is False
    assert isinstance(result["broken_at"], int)


def test_a_failed_request_leaves_no_entry(api, resident_data, db, monkeypatch):
    c = api("caseworker")
    before = len(entries(db))

    # The change and its entry are written; then the request fails before its end.
    import assist.residents.api as residents_api

    def broken_commit():
        raise RuntimeError("disk full")
    monkeypatch.setattr(residents_api, "commit", broken_commit)
    r = c.post("/api/v1/residents", json=resident_data())
    assert r.status_code == 500 and r.get_json()["error"]["correlation_id"]
    assert len(entries(db)) == before
    from assist.residents.models import Resident
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 0
    # A refused request (validation, duplicate, stale) writes nothing either.
    monkeypatch.undo()
    rid = c.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    count = len(entries(db))
    assert c.post("/api/v1/residents", json={"name": "x"}).status_code == 422
    assert c.patch(f"/api/v1/residents/{rid}", json={"version": 9, "address": "x"}).status_code == 409
    assert c.post(f"/api/v1/residents/{rid}/status", json={"status": "active", "reason": "x"}).status_code == 409
    assert len(entries(db)) == count
    assert api("auditor").get("/api/v1/audit/verify").get_json()["ok"] is True


def test_the_chain_links_each_entry_to_the_previous_one(app, db):
    first = audit.record("export", "resident", None, {"rows": 3})
    second = audit.record("print", "resident", 7, {"pages": 2})
    db.session.commit()
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert first.prev_hash == audit.GENESIS and len(second.hash) == 64
    assert audit.verify() == {"ok": True, "entries": 2}


def test_audit_api_filters_and_is_for_auditors_and_admins(api, resident_data):
    c = api("caseworker")
    one = c.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    two = c.post("/api/v1/residents", json=resident_data()).get_json()["id"]
    auditor = api("auditor")
    body = auditor.get(f"/api/v1/audit?object_type=resident&object_id={one}").get_json()
    assert [(e["action"], e["object_id"]) for e in body["items"]] == [("create", one)]
    entry = body["items"][0]
    assert set(entry) >= {"at", "actor", "action", "object_type", "object_id", "changes"}
    assert dt.datetime.fromisoformat(entry["at"]).utcoffset() is not None
    newest_first = auditor.get("/api/v1/audit?object_type=resident").get_json()["items"]
    assert [e["object_id"] for e in newest_first] == [two, one]
    page = auditor.get("/api/v1/audit?limit=1").get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert api("admin").get("/api/v1/audit").status_code == 200
    for role in ("caseworker", "provider", "unit"):
        assert api(role).get("/api/v1/audit").status_code == 403
        assert api(role).get("/api/v1/audit/verify").status_code == 403


def test_audit_page_for_auditors_with_verification(client, login, api, resident_data, db):
    api("caseworker").post("/api/v1/residents", json=resident_data())
    login("auditor")
    page = client.get("/audit")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "resident" in text and "create" in text
    verified = client.get("/audit?verify=1").get_data(as_text=True)
    assert 'data-testid="verify-result"' in verified and "日志完整" in verified
    db.session.execute(sa.text("DELETE FROM audit_entry WHERE seq = 1"))
    db.session.commit()
    assert "被篡改" in client.get("/audit?verify=1").get_data(as_text=True)


def test_audit_page_is_closed_to_caseworkers(client, login):
    login("caseworker")
    assert client.get("/audit").status_code == 403


def test_looking_at_a_resident_is_logged(api, make_resident, client, login):
    resident = make_resident()
    auditor = api("auditor")
    assert auditor.get(f"/api/v1/residents/{resident.id}").status_code == 200
    caseworker = login("caseworker")
    assert client.get(f"/residents/{resident.id}").status_code == 200
    views = auditor.get(f"/api/v1/audit?object_type=resident&object_id={resident.id}&action=view").get_json()["items"]
    assert sorted(e["actor"] for e in views) == sorted([auditor.user.username, caseworker.username])
    assert auditor.get("/api/v1/audit/verify").get_json()["ok"] is True
