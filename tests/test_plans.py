"""Matching on the resident page, overrides, and service plans (API.md "Matching and plans")."""
import datetime as dt
import io

import pytest

from tests.conftest import LASENGZHONG, XIZHUOZISHAN_C, id_number

USCC = "91110108551385082Q"


@pytest.fixture
def provider(api):
    admin = api("admin")
    return admin.post("/api/v1/providers", json={
        "name": "颐康居家养老服务中心", "uscc": USCC, "item_codes": ["A1", "A2", "B1", "D1", "E1", "F2"],
        "area_codes": [LASENGZHONG], "weekly_capacity": 100}).get_json()


@pytest.fixture
def elderly(make_resident):
    """82, lives alone, moderate loss of self-care: eligible for A1, A2, B1, D1, E1 …"""
    return make_resident(id_number=id_number(dt.date(1944, 3, 2)), conditions={
        "lives_alone": True, "self_care_level": 2, "chronic_illness": True}, assistance_type="dibao")


def plan_body(resident, provider, **kw):
    body = {"resident_id": resident.id, "item_code": "A1", "provider_id": provider["id"],
            "rrule": "FREQ=WEEKLY;BYDAY=MO,TH", "start_date": (dt.date.today() + dt.timedelta(days=1)).isoformat(),
            "end_date": (dt.date.today() + dt.timedelta(days=120)).isoformat(), "start_time": "09:00",
            "duration_minutes": 45, "quantity_per_visit": 1, "monthly_cap": 10}
    body.update(kw)
    return body


def test_matches_list_all_24_items_eligible_first_with_reasons(api, elderly):
    body = api("caseworker").get(f"/api/v1/residents/{elderly.id}/matches").get_json()
    assert body["resident_id"] == elderly.id
    matches = body["matches"]
    assert len(matches) == 24 and len({m["item_code"] for m in matches}) == 24
    flags = [m["eligible"] for m in matches]
    assert flags == sorted(flags, reverse=True)  # eligible ones first
    eligible = [m for m in matches if m["eligible"]]
    assert [m["score"] for m in eligible] == sorted((m["score"] for m in eligible), reverse=True)
    a1 = next(m for m in matches if m["item_code"] == "A1")
    assert a1["eligible"] and any("82" in r["text"] and r["met"] for r in a1["reasons"])
    e4 = next(m for m in matches if m["item_code"] == "E4")
    assert not e4["eligible"] and any(not r["met"] for r in e4["reasons"])


def test_inactive_resident_qualifies_for_nothing(api, elderly):
    c = api("caseworker")
    c.post(f"/api/v1/residents/{elderly.id}/status", json={"status": "suspended", "reason": "住院"})
    matches = c.get(f"/api/v1/residents/{elderly.id}/matches").get_json()["matches"]
    assert not any(m["eligible"] for m in matches)


def test_matches_are_scoped(api, elderly):
    other = api("caseworker", areas=[XIZHUOZISHAN_C])
    assert other.get(f"/api/v1/residents/{elderly.id}/matches").status_code == 404


def test_create_plan_and_list_it(api, elderly, provider):
    c = api("caseworker")
    r = c.post("/api/v1/plans", json=plan_body(elderly, provider))
    assert r.status_code == 201, r.get_json()
    plan = r.get_json()
    assert plan["status"] == "active" and plan["rrule"] == "FREQ=WEEKLY;BYDAY=MO,TH" and plan["warnings"] == []
    listed = c.get(f"/api/v1/plans?resident_id={elderly.id}").get_json()["items"]
    assert [p["id"] for p in listed] == [plan["id"]]
    assert c.get(f"/api/v1/plans/{plan['id']}").get_json()["item_code"] == "A1"


def test_cap_exceeded_by_recurrence_warns(api, elderly, provider):
    r = api("caseworker").post("/api/v1/plans", json=plan_body(elderly, provider, rrule="FREQ=DAILY", monthly_cap=20))
    assert r.status_code == 201
    assert r.get_json()["warnings"] and "31" in r.get_json()["warnings"][0] and "20" in r.get_json()["warnings"][0]


@pytest.mark.parametrize("field,value", [
    ("rrule", "FREQ=SOMETIMES"),
    ("rrule", "FREQ=HOURLY"),
    ("rrule", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20000101"),  # yields no occurrence
    ("end_date", "2000-01-01"),
    ("quantity_per_visit", -1),
    ("monthly_cap", 0),
    ("monthly_cap", 2.5),
    ("item_code", "Z9"),
    ("provider_id", 99999),
    ("start_time", "25:00"),
    ("resident_id", 99999),
])
def test_bad_plan_input_is_422_naming_the_field(api, elderly, provider, field, value):
    r = api("caseworker").post("/api/v1/plans", json=plan_body(elderly, provider, **{field: value}))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]


def test_provider_must_offer_item_and_serve_the_area(api, elderly, provider, make_resident):
    c = api("caseworker", areas=[LASENGZHONG, XIZHUOZISHAN_C])
    r = c.post("/api/v1/plans", json=plan_body(elderly, provider, item_code="C4"))
    assert r.status_code == 422 and "provider_id" in r.get_json()["error"]["fields"]
    far = make_resident(area_code=XIZHUOZISHAN_C, conditions={"self_care_level": 3})
    r = c.post("/api/v1/plans", json=plan_body(far, provider))
    assert r.status_code == 422 and "provider_id" in r.get_json()["error"]["fields"]


def test_plan_for_inactive_resident_is_409(api, elderly, provider):
    c = api("caseworker")
    c.post(f"/api/v1/residents/{elderly.id}/status", json={"status": "terminated", "reason": "去世", "reason_kind": "deceased"})
    assert c.post("/api/v1/plans", json=plan_body(elderly, provider)).status_code == 409


def test_end_plan_with_reason(api, elderly, provider):
    c = api("caseworker")
    plan = c.post("/api/v1/plans", json=plan_body(elderly, provider)).get_json()
    assert c.post(f"/api/v1/plans/{plan['id']}/end", json={}).status_code == 422
    r = c.post(f"/api/v1/plans/{plan['id']}/end", json={"reason": "本人拒绝"})
    assert r.status_code == 200 and r.get_json()["status"] == "ended" and r.get_json()["end_reason"] == "本人拒绝"
    assert c.post(f"/api/v1/plans/{plan['id']}/end", json={"reason": "again"}).status_code == 409


def test_reassessment_flags_plans_no_longer_eligible(api, elderly, provider):
    c = api("caseworker")
    plan = c.post("/api/v1/plans", json=plan_body(elderly, provider, item_code="A2")).get_json()
    assert plan["needs_review"] is False
    resident = c.get(f"/api/v1/residents/{elderly.id}").get_json()
    r = c.patch(f"/api/v1/residents/{elderly.id}", json={"version": resident["version"],
                                                        "conditions": {"self_care_level": 0}})
    assert r.status_code == 200
    after = c.get(f"/api/v1/plans/{plan['id']}").get_json()
    assert after["needs_review"] is True and after["status"] == "active"  # flagged, not ended
    assert "失能等级" in after["review_reason"]  # says which criterion no longer holds


def test_overrides_grant_and_decline_with_required_reason(api, elderly, provider):
    c = api("caseworker")
    assert c.post(f"/api/v1/residents/{elderly.id}/decisions", json={"item_code": "F1", "kind": "grant"}).status_code == 422
    r = c.post(f"/api/v1/residents/{elderly.id}/decisions", json={"item_code": "A1", "kind": "decline",
                                                                 "reason": "家属每日送餐"})
    assert r.status_code == 201
    a1 = next(m for m in c.get(f"/api/v1/residents/{elderly.id}/matches").get_json()["matches"] if m["item_code"] == "A1")
    assert a1["override"]["kind"] == "decline" and a1["override"]["reason"] == "家属每日送餐"
    audit = api("auditor").get(f"/api/v1/audit?object_type=resident&object_id={elderly.id}").get_json()["items"]
    assert any(e["action"] == "override" and e["changes"]["reason"] == "家属每日送餐" for e in audit)


def test_ineligible_plan_without_override_is_flagged(api, elderly, provider):
    r = api("caseworker").post("/api/v1/plans", json=plan_body(elderly, provider, item_code="F2", rrule="FREQ=DAILY;COUNT=1"))
    assert r.status_code == 201  # F2 is for any active resident: eligible
    assert r.get_json()["needs_review"] is False


def test_provider_sees_only_residents_with_its_plans(api, elderly, provider, make_resident, make_user):
    from assist.extensions import db
    from assist.providers.models import Provider
    c = api("caseworker")
    stranger = make_resident()
    c.post("/api/v1/plans", json=plan_body(elderly, provider))
    staff = api(make_user("provider", provider=db.session.get(Provider, provider["id"])))
    ids = [r["id"] for r in staff.get("/api/v1/residents").get_json()["items"]]
    assert ids == [elderly.id]
    seen = staff.get(f"/api/v1/residents/{elderly.id}").get_json()
    assert set(seen) == {"id", "name", "gender", "age", "phone", "address", "area_code"}
    assert staff.get(f"/api/v1/residents/{stranger.id}").status_code == 404


def test_update_plan_with_version(api, elderly, provider):
    c = api("caseworker")
    plan = c.post("/api/v1/plans", json=plan_body(elderly, provider)).get_json()
    r = c.patch(f"/api/v1/plans/{plan['id']}", json={"version": plan["version"], "monthly_cap": 12})
    assert r.status_code == 200 and r.get_json()["monthly_cap"] == 12
    assert c.patch(f"/api/v1/plans/{plan['id']}", json={"version": plan["version"], "monthly_cap": 9}).status_code == 409


def test_matching_page_accept_and_override(client, login, elderly, provider):
    login("caseworker")
    page = client.get(f"/residents/{elderly.id}/matching").get_data(as_text=True)
    assert "A1" in page and "82" in page
    form = client.get(f"/plans/new?resident_id={elderly.id}&item_code=A1").get_data(as_text=True)
    assert "颐康居家养老服务中心" in form
    r = client.post(f"/plans/new?resident_id={elderly.id}&item_code=A1", data={
        "resident_id": elderly.id, "item_code": "A1", "provider_id": provider["id"], "pattern": "weekly",
        "interval": "1", "weekdays": ["MO", "TH"], "start_date": dt.date.today().isoformat(), "start_time": "09:00",
        "duration_minutes": "30", "quantity_per_visit": "1", "monthly_cap": "10"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    page = client.get(f"/residents/{elderly.id}/matching").get_data(as_text=True)
    plans_table = page.split('data-testid="plans-table"')[1].split("</table>")[0]
    assert "A1" in plans_table and "FREQ=WEEKLY;BYDAY=MO,TH" in plans_table
    # A decline without a reason is refused; with one it shows on the page.
    client.post(f"/residents/{elderly.id}/decisions", data={"item_code": "B1", "kind": "decline", "reason": ""})
    assert 'data-testid="override-B1"' not in client.get(f"/residents/{elderly.id}/matching").get_data(as_text=True)
    client.post(f"/residents/{elderly.id}/decisions", data={"item_code": "B1", "kind": "decline", "reason": "子女每周打扫"})
    page = client.get(f"/residents/{elderly.id}/matching").get_data(as_text=True)
    assert 'data-testid="override-B1"' in page and "子女每周打扫" in page


def test_unmet_needs_page_export_and_cli(client, login, api, elderly, provider, make_resident, app, tmp_path):
    import openpyxl
    c = api("caseworker")
    c.post("/api/v1/plans", json=plan_body(elderly, provider))  # A1 planned
    c.post(f"/api/v1/residents/{elderly.id}/decisions", json={"item_code": "B1", "kind": "decline", "reason": "不需要"})
    make_resident(area_code=XIZHUOZISHAN_C, conditions={"self_care_level": 3})  # outside the caseworker's area
    login("caseworker")
    page = client.get("/matching/?item_code=A1").get_data(as_text=True)
    per_item = page.split('data-testid="per-item"')[1].split("</table>")[0]
    assert "A1" in per_item and "B1" not in per_item
    unmet = page.split('data-testid="unmet"')[1].split("</table>")[0]
    assert elderly.name not in unmet  # A1 is planned for them
    all_page = client.get("/matching/").get_data(as_text=True)
    unmet_all = all_page.split('data-testid="unmet"')[1].split("</table>")[0]
    assert "A2" in unmet_all and "B1 " not in unmet_all  # declined B1 is not unmet
    wb = openpyxl.load_workbook(io.BytesIO(client.get("/matching/unmet.xlsx").data))
    rows = list(wb["未满足需求"].iter_rows(values_only=True))
    assert rows[0][2] == "姓名" and all(r[1] == elderly.id for r in rows[1:])  # only residents in scope
    summary = {r[0]: r for r in wb["按项目汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["A1"][3] == 1 and summary["B1"][4] == 1  # planned, declined
    out = tmp_path / "unmet.xlsx"
    result = app.test_cli_runner().invoke(args=["unmet-needs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 active residents" in result.output and out.exists()
