"""The needs diary (民情日志): API.md "Needs diary" — visit records, the problem list and its state
machine, partner-unit scope, the overdue sweep and escalation, figures and their export, photos,
and the service points of the 15-minute life circle."""
from __future__ import annotations

import datetime as dt
import io
import os
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from PIL import Image

from assist.core.timeutil import LOCAL_TZ, local_today
from tests.conftest import HUAYUAN, LASENGZHONG, XINQIAO, XIZHUOZISHAN_C

EN = {"Accept-Language": "en"}
NEEDS = [{"kind": "service", "description": "老人行动不便，做饭困难，需要助餐送餐"},
         {"kind": "wish", "description": "想要一台收音机"}]


def at(days: int = 0, hours: int = 0) -> str:
    """A local timestamp with its offset, ``days`` and ``hours`` ago."""
    return (dt.datetime.now(LOCAL_TZ).replace(microsecond=0) - dt.timedelta(days=days, hours=hours)).isoformat()


def day(offset: int = 0) -> str:
    return (local_today() + dt.timedelta(days=offset)).isoformat()


def visit(**kw) -> dict:
    body = {"area_code": HUAYUAN, "visited_at": at(hours=1), "notes": "入户走访，老人独居。", "needs": NEEDS}
    body.update(kw)
    return body


@pytest.fixture
def world(api, make_user, make_resident, db):
    """A caseworker of 华苑社区, a resident there, two partner units with one staff member each."""
    from assist.units.models import PartnerUnit
    resident = make_resident(conditions={"lives_alone": True, "self_care_level": 2, "limited_mobility": True})
    unit_a = PartnerUnit(name="海南区住房和城乡建设局", kind="department")
    unit_b = PartnerUnit(name="蓝天志愿服务队", kind="volunteer")
    db.session.add_all([unit_a, unit_b])
    db.session.commit()
    return SimpleNamespace(cw=api("caseworker", areas=[HUAYUAN]), resident=resident, unit_a=unit_a, unit_b=unit_b,
                           ua=api("unit", unit=unit_a), ub=api("unit", unit=unit_b), api=api)


def record(w, **kw) -> dict:
    r = w.cw.post("/api/v1/diary", json=visit(resident_id=w.resident.id, **kw))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def sweep(db, offset_days: int) -> dict:
    from assist.diary import services
    counts = services.sweep(local_today() + dt.timedelta(days=offset_days))
    db.session.commit()
    return counts


def act(client, pid: int, action: str, body: dict | None = None, **kw):
    return client.post(f"/api/v1/problems/{pid}/{action}", json=body or {}, **kw)


# --- recording visits -----------------------------------------------------------------------------

def test_a_visit_with_two_needs_puts_both_on_the_problem_list(world, api):
    entry = record(world, household="王守义家", visitors="李娜、网格员张强")
    assert entry["area_code"] == HUAYUAN and entry["resident_id"] == world.resident.id
    assert entry["visited_at"].endswith("+08:00")
    problems = entry["problems"]
    assert [p["kind"] for p in problems] == ["service", "wish"]
    for p in problems:
        assert p["status"] == "recorded" and p["diary_id"] == entry["id"] and p["area_code"] == HUAYUAN
        assert p["resident_id"] == world.resident.id and p["unit_id"] is None and p["satisfied"] is None
        assert set(p) >= {"id", "diary_id", "kind", "description", "status", "area_code", "resident_id", "unit_id",
                          "due_date", "result", "satisfied", "version"}
    got = world.cw.get(f"/api/v1/diary/{entry['id']}").get_json()
    assert got["visitors"] == "李娜、网格员张强" and len(got["problems"]) == 2
    one = world.cw.get(f"/api/v1/problems/{problems[0]['id']}").get_json()
    assert one["description"] == NEEDS[0]["description"] and [e["kind"] for e in one["events"]] == ["record"]
    listed = world.cw.get("/api/v1/problems?status=recorded").get_json()
    assert {p["id"] for p in listed["items"]} == {p["id"] for p in problems}
    auditor = api("auditor")
    assert [e["action"] for e in auditor.get(f"/api/v1/audit?object_type=diary&object_id={entry['id']}")
            .get_json()["items"]] == ["create"]
    assert [e["action"] for e in auditor.get(f"/api/v1/audit?object_type=problem&object_id={problems[1]['id']}")
            .get_json()["items"]] == ["create"]


def test_a_visit_that_found_nothing_is_still_a_visit(world):
    entry = record(world, needs=[])
    assert entry["problems"] == []
    entry = world.cw.post("/api/v1/diary", json={"area_code": HUAYUAN, "visited_at": at(), "notes": "一切正常"})
    assert entry.status_code == 201 and entry.get_json()["problems"] == []


def test_the_area_defaults_to_the_residents_and_utc_offsets_are_kept(world):
    body = visit(resident_id=world.resident.id, visited_at=(dt.datetime.now(dt.timezone.utc)
                                                              - dt.timedelta(hours=2)).isoformat())
    del body["area_code"]
    r = world.cw.post("/api/v1/diary", json=body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["area_code"] == HUAYUAN


@pytest.mark.parametrize("change,field", [
    ({"area_code": "999999999999"}, "area_code"),
    ({"area_code": LASENGZHONG}, "area_code"),  # a street, not a community
    ({"area_code": XINQIAO}, "area_code"),  # outside the caseworker's areas
    ({"area_code": None}, "area_code"),
    ({"visited_at": "2026-05-01 09:30"}, "visited_at"),  # no offset: ambiguous
    ({"visited_at": "yesterday"}, "visited_at"),
    ({"visited_at": None}, "visited_at"),
    ({"visited_at": "FUTURE"}, "visited_at"),
    ({"visited_at": "LONG_AGO"}, "visited_at"),
    ({"resident_id": 999999}, "resident_id"),
    ({"resident_id": "abc"}, "resident_id"),
    ({"needs": [{"kind": "wishes", "description": "x"}]}, "needs.0.kind"),
    ({"needs": [NEEDS[0], {"kind": "service", "description": ""}]}, "needs.1.description"),
    ({"needs": [{"kind": "service"}]}, "needs.0.description"),
    ({"needs": [{}]}, "needs.0.kind"),
    ({"needs": ["需要助餐"]}, "needs.0"),
    ({"needs": "需要助餐"}, "needs"),
    ({"needs": [NEEDS[0]] * 21}, "needs"),
    ({"notes": "x" * 2001}, "notes"),
])
def test_bad_visit_input_is_422_naming_the_field_and_saves_nothing(world, db, change, field):
    from assist.diary.models import DiaryEntry, Problem
    if change.get("visited_at") == "FUTURE":
        change = {"visited_at": (dt.datetime.now(LOCAL_TZ) + dt.timedelta(hours=2)).isoformat()}
    if change.get("visited_at") == "LONG_AGO":
        change = {"visited_at": at(days=400)}
    r = world.cw.post("/api/v1/diary", json=visit(**change))
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DiaryEntry)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Problem)) == 0


def test_a_resident_from_elsewhere_is_refused(world, make_resident, api):
    other = make_resident(area_code=XINQIAO)
    r = world.cw.post("/api/v1/diary", json=visit(resident_id=other.id))
    assert r.status_code == 422 and "resident_id" in r.get_json()["error"]["fields"]  # not in the caller's areas
    district = api("caseworker", areas=["150303"])
    r = district.post("/api/v1/diary", json=visit(resident_id=other.id, area_code=HUAYUAN))
    assert r.status_code == 422 and "resident_id" in r.get_json()["error"]["fields"]  # lives in 新桥, not 华苑


def test_a_retried_visit_with_the_same_idempotency_key_is_recorded_once(world, db):
    from assist.diary.models import DiaryEntry
    body = visit(resident_id=world.resident.id)
    first = world.cw.post("/api/v1/diary", json=body, headers={"Idempotency-Key": "phone-42"})
    again = world.cw.post("/api/v1/diary", json=body, headers={"Idempotency-Key": "phone-42"})
    assert first.status_code == again.status_code == 201 and first.get_json()["id"] == again.get_json()["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DiaryEntry)) == 1
    other = world.cw.post("/api/v1/diary", json=visit(notes="另一次"), headers={"Idempotency-Key": "phone-42"})
    assert other.status_code == 422


# --- the state machine ----------------------------------------------------------------------------

ACTIONS = ("dispatch", "accept", "return", "resolve", "feedback")
# What each state allows (API.md "Needs diary", the module docstring of assist.diary.services).
ALLOWED = {
    "recorded": {"dispatch": "dispatched"},
    "dispatched": {"accept": "accepted", "return": "returned"},
    "accepted": {"resolve": "resolved"},
    "returned": {"dispatch": "dispatched"},
    "overdue_dispatched": {"accept": "overdue", "return": "returned"},
    "overdue_accepted": {"resolve": "resolved"},
    "resolved": {"feedback": "closed"},
    "closed": {},
}


def put_in_state(w, db, state: str) -> int:
    """A fresh item of 华苑社区 brought into ``state`` through the API (and the sweep for overdue)."""
    pid = record(w, needs=[NEEDS[0]])["problems"][0]["id"]
    steps = {"recorded": [], "dispatched": ["dispatch"], "accepted": ["dispatch", "accept"],
             "returned": ["dispatch", "return"], "overdue_dispatched": ["dispatch", "sweep"],
             "overdue_accepted": ["dispatch", "accept", "sweep"], "resolved": ["dispatch", "accept", "resolve"],
             "closed": ["dispatch", "accept", "resolve", "feedback"]}[state]
    for step in steps:
        if step == "sweep":
            assert sweep(db, 10)["overdue"] == 1
            continue
        client = w.cw if step in ("dispatch", "feedback") else w.ua
        r = act(client, pid, step, BODIES[step](w))
        assert r.status_code == 200, (step, r.get_json())
    return pid


BODIES = {
    "dispatch": lambda w: {"unit_id": w.unit_a.id, "due_date": day(3), "note": "请尽快联系"},
    "accept": lambda w: {"note": "已接单"},
    "return": lambda w: {"reason": "不属于本单位职责范围"},
    "resolve": lambda w: {"result": "已联系社区助餐点，每日午餐送餐上门"},
    "feedback": lambda w: {"satisfied": True, "comment": "很满意"},
}


@pytest.mark.parametrize("state", list(ALLOWED))
def test_every_transition_is_allowed_or_refused_as_the_state_machine_says(world, db, state):
    """All five actions from each state: the allowed ones on a fresh item each, the refused ones on one
    item, which must come out of every refusal unchanged."""
    pid = put_in_state(world, db, state)
    before = world.cw.get(f"/api/v1/problems/{pid}").get_json()
    for action in ACTIONS:
        client = world.cw if action in ("dispatch", "feedback") else world.ua
        target = put_in_state(world, db, state) if action in ALLOWED[state] else pid
        version = world.cw.get(f"/api/v1/problems/{target}").get_json()["version"]
        r = act(client, target, action, BODIES[action](world), headers=EN)
        if action in ALLOWED[state]:
            assert r.status_code == 200, (action, r.get_json())
            after = world.cw.get(f"/api/v1/problems/{target}").get_json()
            assert r.get_json()["status"] == ALLOWED[state][action] == after["status"], action
            assert after["version"] > version
        elif client is world.ua and before["unit_id"] != world.unit_a.id:
            # Never (or no longer) dispatched to this unit: for its staff the item does not exist.
            assert r.status_code == 404, action
        else:
            assert r.status_code == 409, (action, r.get_json())
            error = r.get_json()["error"]
            assert error["code"] == "illegal_state" and error["status"] == before["status"]
            assert error["message"] and "illegal" not in error["message"].lower()
            assert set(error["allowed_actions"]) == set(ALLOWED[state])
    assert world.cw.get(f"/api/v1/problems/{pid}").get_json() == before  # no refusal changed anything


@pytest.mark.parametrize("state,action,message", [
    ("dispatched", "resolve", "Accept the item before resolving it."),
    ("accepted", "return", "An accepted item cannot be returned: resolve it."),
    ("accepted", "accept", "This item has been accepted already."),
    ("dispatched", "feedback", "Cannot record the resident's answer: the item's status is “Dispatched”."),
    ("closed", "dispatch", "Cannot dispatch: this item is closed."),
])
def test_refusals_say_why(world, db, state, action, message):
    pid = put_in_state(world, db, state)
    client = world.cw if action in ("dispatch", "feedback") else world.ua
    r = act(client, pid, action, BODIES[action](world), headers=EN)
    assert r.status_code == 409 and r.get_json()["error"]["message"] == message


def test_roles_who_may_not_take_an_action_get_403(world, db, api):
    pid = put_in_state(world, db, "dispatched")
    assert act(world.ua, pid, "dispatch", BODIES["dispatch"](world)).status_code == 403
    assert act(world.ua, pid, "feedback", BODIES["feedback"](world)).status_code == 403
    assert act(world.cw, pid, "accept").status_code == 403
    assert act(world.cw, pid, "resolve", BODIES["resolve"](world)).status_code == 403
    auditor = api("auditor")
    assert auditor.get(f"/api/v1/problems/{pid}").status_code == 200
    assert act(auditor, pid, "dispatch", BODIES["dispatch"](world)).status_code == 403
    provider = api("provider")
    for url in ("/api/v1/problems", f"/api/v1/problems/{pid}", "/api/v1/diary", "/api/v1/diary/figures"):
        assert provider.get(url).status_code == 403
    assert provider.post("/api/v1/diary", json=visit()).status_code == 403


def test_the_full_loop_ends_on_the_satisfaction_list(world, api):
    pid = record(world)["problems"][0]["id"]
    r = act(world.cw, pid, "dispatch", {"unit_id": world.unit_a.id, "due_date": day(7)})
    assert r.status_code == 200 and r.get_json()["unit_id"] == world.unit_a.id and r.get_json()["due_date"] == day(7)
    assert [p["id"] for p in world.ua.get("/api/v1/problems").get_json()["items"]] == [pid]
    assert act(world.ua, pid, "accept").get_json()["status"] == "accepted"
    r = act(world.ua, pid, "resolve", {"result": "已安排助餐点每日送餐"})
    assert r.get_json()["status"] == "resolved" and r.get_json()["result"] == "已安排助餐点每日送餐"
    r = act(world.cw, pid, "feedback", {"satisfied": True, "comment": "饭菜可口"})
    body = r.get_json()
    assert r.status_code == 200 and body["status"] == "closed" and body["satisfied"] is True
    assert body["feedback_comment"] == "饭菜可口" and body["closed_at"]
    assert [e["kind"] for e in body["events"]] == ["record", "dispatch", "accept", "resolve", "close"]
    satisfaction = world.cw.get("/api/v1/problems?status=closed").get_json()["items"]
    assert [p["id"] for p in satisfaction] == [pid]
    audit = api("auditor").get(f"/api/v1/audit?object_type=problem&object_id={pid}").get_json()["items"]
    assert [e["action"] for e in audit] == ["status"] * 4 + ["create"]
    assert audit[0]["changes"]["status"] == ["resolved", "closed"] and audit[0]["changes"]["satisfied"] is True


def test_an_unsatisfied_resident_reopens_the_item_at_the_same_unit(world, db):
    pid = put_in_state(world, db, "resolved")
    r = act(world.cw, pid, "feedback", {"satisfied": False, "comment": "送餐不准时", "due_date": day(5)})
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "accepted" and body["satisfied"] is False and body["due_date"] == day(5)
    assert body["unit_id"] == world.unit_a.id
    assert world.ua.get(f"/api/v1/problems/{pid}").get_json()["status"] == "accepted"
    assert act(world.ua, pid, "resolve", {"result": "调整送餐时间为11:30"}).status_code == 200
    closed = act(world.cw, pid, "feedback", {"satisfied": "yes"}).get_json()
    assert closed["status"] == "closed" and closed["satisfied"] is True
    assert [e["kind"] for e in closed["events"]][-4:] == ["resolve", "reopen", "resolve", "close"]


def test_a_returned_item_goes_back_to_the_community_and_can_go_to_another_unit(world, db):
    pid = put_in_state(world, db, "dispatched")
    r = act(world.ua, pid, "return", {"reason": "不属于本单位职责范围"})
    assert r.status_code == 200
    assert r.get_json()["status"] == "returned" and r.get_json()["unit_id"] is None
    assert r.get_json()["return_reason"] == "不属于本单位职责范围"
    assert world.ua.get(f"/api/v1/problems/{pid}").status_code == 404  # no longer theirs
    assert world.ua.get("/api/v1/problems").get_json()["items"] == []
    assert world.cw.get("/api/v1/problems?status=returned").get_json()["items"][0]["id"] == pid
    r = act(world.cw, pid, "dispatch", {"unit_id": world.unit_b.id, "due_date": day(2)})
    assert r.status_code == 200 and r.get_json()["unit_id"] == world.unit_b.id
    assert world.ub.get(f"/api/v1/problems/{pid}").status_code == 200


@pytest.mark.parametrize("action,body,field", [
    ("dispatch", {"unit_id": "UNIT_A", "due_date": "YESTERDAY"}, "due_date"),
    ("dispatch", {"unit_id": 999999, "due_date": "NEXT_WEEK"}, "unit_id"),
    ("dispatch", {"unit_id": "INACTIVE", "due_date": "NEXT_WEEK"}, "unit_id"),
    ("dispatch", {"unit_id": "abc", "due_date": "NEXT_WEEK"}, "unit_id"),
    ("dispatch", {"due_date": "NEXT_WEEK"}, "unit_id"),
    ("dispatch", {"unit_id": "UNIT_A"}, "due_date"),
    ("dispatch", {"unit_id": "UNIT_A", "due_date": "2026-13-01"}, "due_date"),
    ("dispatch", {"unit_id": "UNIT_A", "due_date": "IN_TWO_YEARS"}, "due_date"),
])
def test_bad_dispatch_input_is_422_naming_the_field_and_changes_nothing(world, db, action, body, field):
    from assist.units.models import PartnerUnit
    closed_unit = PartnerUnit(name="已撤销的单位", active=False)
    db.session.add(closed_unit)
    db.session.commit()
    values = {"UNIT_A": world.unit_a.id, "INACTIVE": closed_unit.id, "YESTERDAY": day(-1), "NEXT_WEEK": day(7),
              "IN_TWO_YEARS": day(800)}
    body = {k: values.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    pid = put_in_state(world, db, "recorded")
    before = world.cw.get(f"/api/v1/problems/{pid}").get_json()
    r = act(world.cw, pid, action, body)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["error"]["fields"]
    assert world.cw.get(f"/api/v1/problems/{pid}").get_json() == before


@pytest.mark.parametrize("state,action,body,field", [
    ("dispatched", "return", {}, "reason"),
    ("dispatched", "return", {"reason": "   "}, "reason"),
    ("accepted", "resolve", {"result": ""}, "result"),
    ("resolved", "feedback", {"comment": "没说"}, "satisfied"),
    ("resolved", "feedback", {"satisfied": "maybe"}, "satisfied"),
    ("resolved", "feedback", {"satisfied": False, "due_date": "YESTERDAY"}, "due_date"),
    ("resolved", "feedback", {"satisfied": True, "due_date": "NEXT_WEEK"}, "due_date"),
])
def test_transitions_need_their_fields(world, db, state, action, body, field):
    body = {k: {"YESTERDAY": day(-1), "NEXT_WEEK": day(7)}.get(v, v) if isinstance(v, str) else v
            for k, v in body.items()}
    pid = put_in_state(world, db, state)
    client = world.cw if action in ("dispatch", "feedback") else world.ua
    r = act(client, pid, action, body)
    assert r.status_code == 422 and field in r.get_json()["error"]["fields"], r.get_json()
    assert world.cw.get(f"/api/v1/problems/{pid}").get_json()["status"] == state


def test_a_transition_based_on_an_old_version_is_409(world, db):
    pid = put_in_state(world, db, "dispatched")
    version = world.ua.get(f"/api/v1/problems/{pid}").get_json()["version"]
    assert act(world.ua, pid, "accept", {"version": version - 1}).status_code == 409
    assert act(world.ua, pid, "accept", {"version": version}).status_code == 200


def test_malformed_bodies_never_500(world, db):
    pid = put_in_state(world, db, "recorded")
    r = world.cw.client.post(f"/api/v1/problems/{pid}/dispatch", data="{not json",
                             headers={"Authorization": f"Bearer {world.cw.token}", "Content-Type": "application/json"})
    assert r.status_code == 400
    assert act(world.cw, pid, "dispatch", {"unit_id": [1], "due_date": {"x": 1}}).status_code == 422
    assert world.cw.get("/api/v1/problems?status=open").status_code == 422
    assert world.cw.get("/api/v1/problems?area_code=nowhere").status_code == 422
    assert world.cw.get("/api/v1/problems?unit_id=x").status_code == 422
    assert world.cw.get("/api/v1/problems?cursor=garbage").status_code == 422
    assert world.cw.get("/api/v1/problems/99999999999").status_code == 404
    assert world.cw.get("/api/v1/diary?from=2026-02-30").status_code == 422


# --- scope ----------------------------------------------------------------------------------------

def test_a_community_sees_only_its_area_and_a_street_sees_its_communities(world, api):
    mine = record(world)["problems"][0]["id"]
    other_cw = api("caseworker", areas=[XINQIAO])
    theirs = other_cw.post("/api/v1/diary", json=visit(area_code=XINQIAO)).get_json()
    assert {p["id"] for p in world.cw.get("/api/v1/problems").get_json()["items"]} == {mine, mine + 1}
    assert world.cw.get(f"/api/v1/problems/{theirs['problems'][0]['id']}").status_code == 404
    assert world.cw.get(f"/api/v1/diary/{theirs['id']}").status_code == 404
    assert other_cw.get(f"/api/v1/problems/{mine}").status_code == 404
    assert act(other_cw, mine, "dispatch", BODIES["dispatch"](world)).status_code == 404
    street = api("caseworker", areas=[LASENGZHONG])
    assert len(street.get("/api/v1/problems").get_json()["items"]) == 4
    assert len(street.get(f"/api/v1/problems?area_code={XINQIAO}").get_json()["items"]) == 2
    assert len(street.get("/api/v1/diary").get_json()["items"]) == 2
    elsewhere = api("caseworker", areas=[XIZHUOZISHAN_C])
    assert elsewhere.get("/api/v1/problems").get_json()["items"] == []


def test_a_unit_sees_only_what_was_dispatched_to_it(world, db):
    a = put_in_state(world, db, "dispatched")
    b = put_in_state(world, db, "recorded")
    act(world.cw, b, "dispatch", {"unit_id": world.unit_b.id, "due_date": day(4)})
    c = put_in_state(world, db, "recorded")
    assert [p["id"] for p in world.ua.get("/api/v1/problems").get_json()["items"]] == [a]
    assert [p["id"] for p in world.ub.get("/api/v1/problems").get_json()["items"]] == [b]
    for pid in (b, c):
        assert world.ua.get(f"/api/v1/problems/{pid}").status_code == 404
        assert act(world.ua, pid, "accept").status_code == 404
    entry_id = world.ua.get(f"/api/v1/problems/{a}").get_json()["diary_id"]
    assert world.ua.get(f"/api/v1/diary/{entry_id}").status_code == 403  # units never see visit records
    assert world.ua.get("/api/v1/diary/figures").status_code == 403


# --- overdue: the sweep and escalation ------------------------------------------------------------

def test_the_sweep_marks_overdue_escalates_and_is_idempotent(world, db, app, api):
    from assist.diary.models import ProblemEvent
    late = put_in_state(world, db, "dispatched")  # due in 3 days
    doing = put_in_state(world, db, "accepted")
    on_time = put_in_state(world, db, "recorded")
    act(world.cw, on_time, "dispatch", {"unit_id": world.unit_a.id, "due_date": day(30)})
    assert sweep(db, 3) == {"overdue": 0, "street": 0, "district": 0}  # due today: not late yet
    assert sweep(db, 4) == {"overdue": 2, "street": 2, "district": 0}
    events = db.session.scalar(sa.select(sa.func.count()).select_from(ProblemEvent))
    entries = api("auditor").get("/api/v1/audit?object_type=problem&limit=200").get_json()["items"]
    assert sweep(db, 4) == {"overdue": 0, "street": 0, "district": 0}  # the same day again: nothing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProblemEvent)) == events
    assert len(api("auditor").get("/api/v1/audit?object_type=problem&limit=200").get_json()["items"]) == len(entries)
    item = world.cw.get(f"/api/v1/problems/{late}").get_json()
    assert item["status"] == "overdue" and item["escalation_level"] == "street" and item["overdue_since"]
    overdue = world.cw.get("/api/v1/problems?status=overdue").get_json()["items"]
    assert {p["id"] for p in overdue} == {late, doing}
    assert world.ua.get("/api/v1/problems?status=overdue").get_json()["items"][0]["status"] == "overdue"

    # A week after the due date it goes to the district — through the operator command this time.
    runner = app.test_cli_runner()
    result = runner.invoke(args=["diary", "sweep", "--today", day(11)])
    assert result.exit_code == 0, result.output
    assert "to the district: 2" in result.output
    result = runner.invoke(args=["diary", "sweep", "--today", day(11)])
    assert "to the district: 0" in result.output and "0 newly overdue" in result.output
    db.session.expire_all()
    item = world.cw.get(f"/api/v1/problems/{late}").get_json()
    assert item["escalation_level"] == "district" and item["escalated_at"]
    assert [e["kind"] for e in item["events"]][-3:] == ["overdue", "escalate", "escalate"]
    assert [e["data"]["level"] for e in item["events"] if e["kind"] == "escalate"] == ["street", "district"]
    assert {p["id"] for p in world.cw.get("/api/v1/problems?escalation=district").get_json()["items"]} == {late, doing}
    assert world.cw.get(f"/api/v1/problems/{on_time}").get_json()["status"] == "dispatched"
    bad = runner.invoke(args=["diary", "sweep", "--today", "someday"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_an_overdue_item_can_still_be_accepted_and_resolving_clears_overdue(world, db):
    pid = put_in_state(world, db, "overdue_dispatched")
    r = act(world.ua, pid, "accept")
    assert r.status_code == 200 and r.get_json()["status"] == "overdue" and r.get_json()["accepted_at"]
    assert sweep(db, 10) == {"overdue": 0, "street": 0, "district": 0}
    r = act(world.ua, pid, "resolve", {"result": "已解决，虽然晚了"})
    body = r.get_json()
    assert body["status"] == "resolved" and body["escalation_level"] is None and body["overdue_since"] is None
    assert "overdue" in [e["kind"] for e in body["events"]]  # the history keeps it
    assert sweep(db, 30)["overdue"] == 0  # resolved items are never overdue


# --- closing needs the resident's answer ----------------------------------------------------------

def test_closing_without_the_residents_answer_is_impossible_and_detected(world, db):
    from sqlalchemy.exc import IntegrityError

    from assist.diary import services
    from assist.diary.models import Problem
    pid = put_in_state(world, db, "resolved")
    done = put_in_state(world, db, "closed")
    assert services.closed_without_answer() == []
    # The database itself refuses a closed row without the answer...
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Problem).where(Problem.id == pid).values(status="closed"))
        db.session.flush()
    db.session.rollback()
    # ...and a row forged to look answered, with no answer ever recorded, is found by the anomaly helper.
    db.session.execute(sa.update(Problem).where(Problem.id == pid).values(
        status="closed", satisfied=True, feedback_at=dt.datetime.now(dt.timezone.utc)))
    db.session.commit()
    found = services.closed_without_answer()
    assert [f["problem_id"] for f in found] == [pid] and found[0]["kind"] == "diary_closed_without_answer"
    assert done not in [f["problem_id"] for f in found]


# --- figures --------------------------------------------------------------------------------------

def _row(figs: dict, code: str) -> dict:
    return next(r for r in figs["rows"] if r["area_code"] == code)


def test_figures_recompute_from_the_records_per_community_street_and_district(world, db, api):
    district = api("caseworker", areas=["150303"])
    resident = world.resident.id

    def note(area, needs, days_ago=0, **kw):
        r = district.post("/api/v1/diary", json=visit(area_code=area, needs=needs, visited_at=at(days=days_ago,
                                                                                                  hours=1), **kw))
        assert r.status_code == 201, r.get_json()
        return [p["id"] for p in r.get_json()["problems"]]

    h1, h2 = note(HUAYUAN, NEEDS, resident_id=resident)
    h3, = note(HUAYUAN, [NEEDS[1]])
    note(HUAYUAN, [])
    x1, = note(XINQIAO, [NEEDS[0]])
    note(XIZHUOZISHAN_C, [NEEDS[0]])
    note(HUAYUAN, [NEEDS[0]], days_ago=40)  # outside a today-only period
    for pid in (h1, h2, x1):
        assert act(district, pid, "dispatch", {"unit_id": world.unit_a.id, "due_date": day(1)}).status_code == 200
    for pid in (h1, h2):
        act(world.ua, pid, "accept")
        act(world.ua, pid, "resolve", {"result": "已办结"})
    act(district, h1, "feedback", {"satisfied": True})
    act(district, h2, "feedback", {"satisfied": False, "comment": "还没解决"})
    sweep(db, 20)  # h2 (reopened, due tomorrow) and x1 overdue, and escalated to the district

    today = local_today().isoformat()
    figs = district.get(f"/api/v1/diary/figures?from={today}&to={today}").get_json()
    assert figs["from"] == figs["to"] == today and figs["area_codes"] == ["150303"]
    huayuan = _row(figs, HUAYUAN)
    assert {k: huayuan[k] for k in ("visits", "needs", "dispatched", "resolved", "satisfied", "unsatisfied",
                                    "overdue", "escalated_district", "overdue_now", "satisfaction_rate")} == {
        "visits": 3, "needs": 3, "dispatched": 2, "resolved": 2, "satisfied": 1, "unsatisfied": 1, "overdue": 1,
        "escalated_district": 1, "overdue_now": 1, "satisfaction_rate": 0.5}
    xinqiao = _row(figs, XINQIAO)
    assert (xinqiao["visits"], xinqiao["needs"], xinqiao["dispatched"], xinqiao["overdue_now"]) == (1, 1, 1, 1)
    assert xinqiao["satisfaction_rate"] is None
    street = _row(figs, LASENGZHONG)
    for key in ("visits", "needs", "dispatched", "resolved", "overdue", "overdue_now"):
        assert street[key] == huayuan[key] + xinqiao[key]
    assert _row(figs, "150303001000")["visits"] == 1 and _row(figs, XIZHUOZISHAN_C)["needs"] == 1
    assert figs["totals"]["visits"] == _row(figs, "150303")["visits"] == 5
    assert figs["totals"]["needs"] == 5 and figs["totals"]["dispatched"] == 3
    assert figs["totals"]["satisfaction_rate"] == 0.5

    longer = district.get(f"/api/v1/diary/figures?from={day(-60)}&to={today}").get_json()
    assert _row(longer, HUAYUAN)["visits"] == 4 and longer["totals"]["needs"] == 6
    before = district.get(f"/api/v1/diary/figures?from={day(-60)}&to={day(-30)}").get_json()
    assert before["totals"]["visits"] == 1 and before["totals"]["dispatched"] == 0

    # The figures follow the records: resolve x1 late and close h2.
    act(world.ua, x1, "accept")
    act(world.ua, x1, "resolve", {"result": "已办结"})
    act(world.ua, h2, "resolve", {"result": "再次上门处理"})
    act(district, h2, "feedback", {"satisfied": True})
    again = district.get(f"/api/v1/diary/figures?from={today}&to={today}&area_code={LASENGZHONG}").get_json()
    assert again["area_codes"] == [LASENGZHONG] and [r["area_code"] for r in again["rows"]][0] == LASENGZHONG
    assert again["totals"]["resolved"] == 3 and again["totals"]["satisfied"] == 2
    assert again["totals"]["overdue_now"] == 0 and again["totals"]["satisfaction_rate"] == round(2 / 3, 4)

    # A community caseworker gets their community only, and nothing above it.
    mine = world.cw.get(f"/api/v1/diary/figures?from={today}&to={today}").get_json()
    assert [r["area_code"] for r in mine["rows"]] == [HUAYUAN] and mine["totals"]["visits"] == 3
    r = world.cw.get(f"/api/v1/diary/figures?area_code={LASENGZHONG}")
    assert r.status_code == 422 and "area_code" in r.get_json()["error"]["fields"]
    assert world.cw.get("/api/v1/diary/figures?from=2026-05-01&to=2026-04-01").status_code == 422
    assert world.cw.get("/api/v1/diary/figures?from=May").status_code == 422


def test_the_xlsx_export_opens_and_matches_the_figures(world, db, api):
    from openpyxl import load_workbook
    entry = record(world)
    pid = entry["problems"][0]["id"]
    act(world.cw, pid, "dispatch", {"unit_id": world.unit_a.id, "due_date": day(3)})
    record(world, needs=[], area_code=HUAYUAN)
    auditor = api("auditor")
    today = local_today().isoformat()
    figs = auditor.get(f"/api/v1/diary/figures?from={today}&to={today}").get_json()
    r = auditor.get(f"/api/v1/diary/figures.xlsx?from={today}&to={today}")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[3]]
    rows = {str(row[0]).strip("　"): row for row in ws.iter_rows(min_row=4, values_only=True)}
    huayuan = _row(figs, HUAYUAN)
    assert len(header) == 2 + 6 + 1 + 3 and rows["华苑社区"][2] == huayuan["visits"] == 2
    for i, key in enumerate(("visits", "needs", "dispatched", "resolved", "satisfied", "unsatisfied")):
        assert rows["华苑社区"][2 + i] == huayuan[key]
        assert rows["海南区"][2 + i] == figs["totals"][key]
    assert rows["海南区"][2] == 2 and rows["海南区"][3] == 2 and rows["海南区"][4] == 1
    needs = wb.worksheets[1]
    listed = [row for row in needs.iter_rows(min_row=2, values_only=True)]
    assert sorted(row[0] for row in listed) == sorted(p["id"] for p in entry["problems"])
    assert any(row[4] == NEEDS[0]["description"] and row[6] == "海南区住房和城乡建设局" for row in listed)
    exports = auditor.get("/api/v1/audit?object_type=problem&limit=200").get_json()["items"]
    assert any(e["action"] == "export" for e in exports)


def test_a_description_that_looks_like_a_formula_is_exported_as_text(world, api):
    from openpyxl import load_workbook
    record(world, needs=[{"kind": "governance", "description": "=HYPERLINK(\"http://x\",\"点我\")"}])
    r = api("admin").get(f"/api/v1/diary/figures.xlsx?from={day(0)}&to={day(0)}")
    row = list(load_workbook(io.BytesIO(r.data)).worksheets[1].iter_rows(min_row=2, values_only=True))[0]
    assert row[4].startswith("'=")


# --- photos ---------------------------------------------------------------------------------------

def jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (80, 60), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "secret-firmware"  # Software
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def upload(client, url, data: bytes, name="photo.jpg"):
    return client.client.post(url, data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                              headers={"Authorization": f"Bearer {client.token}"})


def test_visit_photos_are_checked_reencoded_and_served_in_scope(world, app, api):
    entry = record(world)
    raw = jpeg_with_exif()
    assert Image.open(io.BytesIO(raw)).getexif().get(0x010F) == "PhoneMaker"
    r = upload(world.cw, f"/api/v1/diary/{entry['id']}/photos", raw)
    assert r.status_code == 201, r.get_json()
    photo = r.get_json()
    assert photo["diary_id"] == entry["id"] and photo["content_type"] == "image/jpeg"
    got = world.cw.get(f"/api/v1/diary/photos/{photo['id']}")
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    stored = Image.open(io.BytesIO(got.data))
    assert stored.format == "JPEG" and stored.size == (80, 60) and not dict(stored.getexif())
    assert world.cw.get(f"/api/v1/diary/{entry['id']}").get_json()["photos"] == [photo["id"]]
    # Out of scope: another community's caseworker, and every partner unit.
    assert api("caseworker", areas=[XINQIAO]).get(f"/api/v1/diary/photos/{photo['id']}").status_code == 404
    assert world.ua.get(f"/api/v1/diary/photos/{photo['id']}").status_code == 404
    # Stored outside the web root, re-encoded on disk too.
    from assist.diary.models import DiaryPhoto
    from assist.extensions import db
    row = db.session.get(DiaryPhoto, photo["id"])
    on_disk = os.path.join(app.config["UPLOAD_DIR"], row.path)
    assert os.path.isfile(on_disk) and not os.path.abspath(on_disk).startswith(os.path.abspath(app.static_folder))
    with open(on_disk, "rb") as fh:
        assert b"PhoneMaker" not in fh.read()


@pytest.mark.parametrize("data,name", [
    (b"this is not an image at all", "photo.jpg"),
    (b"GIF89a" + b"\x00" * 40, "photo.gif"),
    (b"", "empty.jpg"),
    ("GIF", "anim.gif"),
    ("TRUNCATED", "cut.jpg"),
])
def test_anything_but_a_whole_jpeg_or_png_is_refused(world, data, name):
    if data == "GIF":
        buf = io.BytesIO()
        Image.new("RGB", (10, 10)).save(buf, "GIF")
        data = buf.getvalue()
    elif data == "TRUNCATED":
        data = jpeg_with_exif()[:200]
    entry = record(world)
    r = upload(world.cw, f"/api/v1/diary/{entry['id']}/photos", data, name)
    assert r.status_code == 422, r.get_json()
    assert "file" in r.get_json()["error"]["fields"]
    assert world.cw.get(f"/api/v1/diary/{entry['id']}").get_json()["photos"] == []


def test_too_many_pixels_is_refused(world, app):
    app.config["UPLOAD_MAX_PIXELS"] = 1000
    entry = record(world)
    buf = io.BytesIO()
    Image.new("RGB", (100, 100)).save(buf, "PNG")
    r = upload(world.cw, f"/api/v1/diary/{entry['id']}/photos", buf.getvalue(), "big.png")
    assert r.status_code == 422 and "file" in r.get_json()["error"]["fields"]


def test_no_file_is_left_behind_when_the_database_write_fails(world, app, monkeypatch):
    from assist.diary import services
    entry = record(world)
    folder = os.path.join(app.config["UPLOAD_DIR"], "diary", str(entry["id"]))

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))
    monkeypatch.setattr(services.audit, "record", broken)
    r = upload(world.cw, f"/api/v1/diary/{entry['id']}/photos", jpeg_with_exif())
    assert r.status_code == 500
    monkeypatch.undo()
    assert not os.path.isdir(folder) or os.listdir(folder) == []
    assert world.cw.get(f"/api/v1/diary/{entry['id']}").get_json()["photos"] == []


def test_a_unit_adds_resolution_photos_only_to_its_accepted_items(world, db):
    pid = put_in_state(world, db, "dispatched")
    r = upload(world.ua, f"/api/v1/problems/{pid}/photos", jpeg_with_exif())
    assert r.status_code == 409
    act(world.ua, pid, "accept")
    r = upload(world.ua, f"/api/v1/problems/{pid}/photos", jpeg_with_exif())
    assert r.status_code == 201 and r.get_json()["problem_id"] == pid and r.get_json()["kind"] == "resolution"
    assert world.ua.get(f"/api/v1/diary/photos/{r.get_json()['id']}").status_code == 200
    assert world.cw.get(f"/api/v1/diary/photos/{r.get_json()['id']}").status_code == 200
    assert world.ub.get(f"/api/v1/diary/photos/{r.get_json()['id']}").status_code == 404
    assert upload(world.ub, f"/api/v1/problems/{pid}/photos", jpeg_with_exif()).status_code == 404
    resolved = act(world.ua, pid, "resolve", {"result": "已修好"}).get_json()
    assert resolved["photos"] == [r.get_json()["id"]]


# --- pages ----------------------------------------------------------------------------------------

def test_recording_a_visit_from_the_page_with_needs_and_a_photo(world, client, login, db):
    from assist.diary.models import DiaryEntry
    user = login(world.cw.user)
    local = dt.datetime.now(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    data = {"area_code": HUAYUAN, "visited_at": local, "resident_id": str(world.resident.id), "visitors": user.label,
            "notes": "老人腿脚不便", "needs-0-kind": "service", "needs-0-description": "需要助浴",
            "needs-1-kind": "wish", "needs-1-description": "", "needs-2-kind": "policy",
            "needs-2-description": "咨询临时救助政策",
            "photos": [(io.BytesIO(jpeg_with_exif()), "a.jpg")]}
    r = client.post("/diary/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    entry = db.session.scalars(sa.select(DiaryEntry)).one()
    assert [p.kind for p in entry.problems] == ["service", "policy"] and len(entry.photos) == 1
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "需要助浴" in page and "咨询临时救助政策" in page
    # A bad photo: the form comes back with the message on the field and nothing saved.
    data.update(photos=[(io.BytesIO(b"not a photo"), "b.jpg")], visited_at=local)
    r = client.post("/diary/new", data=data, content_type="multipart/form-data")
    assert r.status_code == 422 and 'data-field="photos"' in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DiaryEntry)) == 1
    r = client.post("/diary/new", data={"area_code": HUAYUAN, "visited_at": "", "needs-0-kind": "service",
                                        "needs-0-description": "x"})
    assert r.status_code == 422 and 'data-field="visited_at"' in r.get_data(as_text=True)


def test_problem_page_actions_and_the_refusal_message(world, client, login, db):
    pid = put_in_state(world, db, "recorded")
    login(world.cw.user)
    page = client.get(f"/diary/problems/{pid}").get_data(as_text=True)
    assert 'data-testid="dispatch-form"' in page and 'data-testid="accept"' not in page
    r = client.post(f"/diary/problems/{pid}/dispatch", data={"unit_id": str(world.unit_a.id), "due_date": day(-2)})
    assert r.status_code == 422 and 'data-field="due_date"' in r.get_data(as_text=True)
    r = client.post(f"/diary/problems/{pid}/dispatch", data={"unit_id": str(world.unit_a.id), "due_date": day(2)})
    assert r.status_code == 302
    r = client.post(f"/diary/problems/{pid}/dispatch", data={"unit_id": str(world.unit_a.id), "due_date": day(2)},
                    follow_redirects=True)
    assert "alert-danger" in r.get_data(as_text=True)  # dispatched already: said so, not a crash
    assert client.post(f"/diary/problems/{pid}/accept", data={}).status_code == 403


def test_a_service_need_offers_a_plan_with_the_best_matching_item(world, client, login, db):
    entry = record(world)
    service, wish = (p["id"] for p in entry["problems"])
    login(world.cw.user)
    page = client.get(f"/diary/problems/{service}").get_data(as_text=True)
    assert f"/plans/new?resident_id={world.resident.id}&amp;item_code=A1" in page  # 助餐 in the description
    page = client.get(f"/diary/problems/{wish}").get_data(as_text=True)
    assert "item_code=F4" in page
    # Without a word from the catalog in it, a service need gets the resident's best eligible item.
    from assist.diary import services
    from assist.diary.models import Problem
    from assist.plans.eligibility import verdicts
    problem = db.session.get(Problem, service)
    problem.description = "家里需要有人帮忙"
    best = next(v.item_code for v in verdicts(world.resident) if v.eligible)
    assert services.plan_item_for(problem) == best
    db.session.rollback()


def test_pages_for_each_role(world, client, login, db, make_user):
    pid = put_in_state(world, db, "dispatched")
    login(world.cw.user)
    for url in ("/diary/", "/diary/problems/", "/diary/problems/?status=overdue", "/diary/problems/?status=closed",
                "/diary/figures", f"/diary/problems/{pid}", "/diary/new", "/service-points/", "/units/"):
        assert client.get(url).status_code == 200, url
    put_in_state(world, db, "recorded")
    for url in ("/diary/?limit=1", "/diary/problems/?limit=1"):  # a second page exists
        r = client.get(url)
        assert r.status_code == 200 and 'rel="next"' in r.get_data(as_text=True), url
        nxt = r.get_data(as_text=True).split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
        assert client.get(url.split("?")[0] + nxt.replace("&amp;", "&")).status_code == 200
    r = client.get(f"/diary/figures.xlsx?from={day(-1)}&to={day(0)}")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    assert client.get("/diary/figures?from=bad").status_code == 422
    assert client.get("/diary/tasks").status_code == 403
    client.post("/logout")
    login(world.ua.user)
    tasks = client.get("/diary/tasks").get_data(as_text=True)
    assert NEEDS[0]["description"] in tasks
    assert client.get(f"/diary/problems/{pid}").status_code == 200
    assert client.get("/diary/problems/").status_code == 403
    assert client.get("/diary/").status_code == 403
    assert "我的任务" in client.get("/").get_data(as_text=True) or "My tasks" in client.get("/").get_data(as_text=True)


# --- service points -------------------------------------------------------------------------------

def point_body(**kw):
    body = {"kind": "care_station", "name": "华苑社区居家养老服务站", "address": "华苑小区8号楼底商",
            "area_code": HUAYUAN, "opening_hours": "周一至周五 8:30–17:30", "contact": "周丽",
            "phone": "0473-3961111", "item_codes": ["A1", "D4", "E2"]}
    body.update(kw)
    return body


def test_service_points_are_registered_and_listed_per_community(api):
    cw = api("caseworker", areas=[HUAYUAN])
    r = cw.post("/api/v1/service-points", json=point_body())
    assert r.status_code == 201, r.get_json()
    station = r.get_json()
    assert station["item_codes"] == ["A1", "D4", "E2"] and station["area_name"] == "华苑社区"
    admin = api("admin")
    centre = admin.post("/api/v1/service-points", json=point_body(kind="dispatch_centre", name="海南区养老服务调度中心",
                                                                  area_code="150303", item_codes=["D3", "D4"])).get_json()
    post = admin.post("/api/v1/service-points", json=point_body(kind="convenience_post", name="新桥便民服务点",
                                                                area_code=XINQIAO, item_codes=["A4"])).get_json()
    doctor = admin.post("/api/v1/service-points", json=point_body(kind="family_doctor", name="兴隆家庭医生团队",
                                                                  area_code=XIZHUOZISHAN_C, item_codes=["C1", "D4"])
                        ).get_json()
    ids = lambda r: [p["id"] for p in r.get_json()["items"]]  # noqa: E731
    assert ids(cw.get(f"/api/v1/service-points?area_code={HUAYUAN}")) == [station["id"]]
    assert set(ids(cw.get(f"/api/v1/service-points?area_code={LASENGZHONG}"))) == {station["id"], post["id"]}
    assert set(ids(cw.get("/api/v1/service-points?item_code=D4"))) == {station["id"], centre["id"], doctor["id"]}
    assert ids(cw.get("/api/v1/service-points?kind=family_doctor")) == [doctor["id"]]
    assert api("provider").get(f"/api/v1/service-points/{station['id']}").status_code == 200
    assert api("provider").post("/api/v1/service-points", json=point_body()).status_code == 403

    from assist.servicepoints.services import choices_for
    choices = choices_for(HUAYUAN, "D4")
    assert [c[0] for c in choices] == [station["id"], centre["id"]]  # nearest first; 兴隆 is another street
    assert "华苑社区" in choices[0][1]
    assert choices_for(XINQIAO, "A4") == [(post["id"], choices_for(XINQIAO, "A4")[0][1])]
    assert choices_for("nowhere") == []

    r = cw.patch(f"/api/v1/service-points/{station['id']}", json={"version": station["version"],
                                                                     "opening_hours": "每天 8:00–20:00"})
    assert r.status_code == 200 and r.get_json()["opening_hours"] == "每天 8:00–20:00"
    assert cw.patch(f"/api/v1/service-points/{station['id']}", json={"version": station["version"]}).status_code == 409
    assert cw.patch(f"/api/v1/service-points/{post['id']}", json={"version": post["version"]}).status_code == 403


@pytest.mark.parametrize("field,value", [
    ("kind", "hospital"), ("name", ""), ("area_code", "1"), ("item_codes", ["Z9"]), ("phone", "12"),
    ("area_code", XINQIAO),  # outside the caseworker's areas
])
def test_bad_service_point_input_is_422_naming_the_field(api, field, value):
    r = api("caseworker", areas=[HUAYUAN]).post("/api/v1/service-points", json=point_body(**{field: value}))
    assert r.status_code == 422 and field in r.get_json()["error"]["fields"], r.get_json()


def test_service_point_pages(api, client, login):
    api("admin").post("/api/v1/service-points", json=point_body())
    login("caseworker", areas=[HUAYUAN])
    page = client.get("/service-points/").get_data(as_text=True)
    assert "华苑社区居家养老服务站" in page and 'data-testid="community"' in page
    r = client.post("/service-points/new", data={"kind": "convenience_post", "name": "华苑便民点", "area_code": HUAYUAN,
                                                 "item_codes": ["A4"], "active": "y"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert "华苑便民点" in client.get(r.headers["Location"]).get_data(as_text=True)
    r = client.post("/service-points/new", data={"kind": "x", "name": "", "area_code": HUAYUAN})
    assert r.status_code == 422


# --- demo data ------------------------------------------------------------------------------------

def test_the_demo_hook_fills_the_diary_with_items_in_every_state(app, db, make_user, make_resident):
    import random

    from assist.diary import services
    from assist.diary.demo import load_demo_diary
    from assist.diary.models import DiaryEntry, Problem
    from assist.servicepoints.models import ServicePoint
    from assist.units.models import PartnerUnit
    admin = make_user("admin")
    for area in (HUAYUAN, XINQIAO, XIZHUOZISHAN_C):
        make_resident(area_code=area)
    for name in ("海南区卫生健康委员会", "海南区青年志愿者服务队"):
        unit = PartnerUnit(name=name, kind="department")
        db.session.add(unit)
        db.session.commit()
        make_user("unit", unit=unit)
    summary = load_demo_diary(random.Random(2026), admin)
    db.session.commit()
    assert summary["diary_entries"] == 60 and summary["diary_needs"] == 15 and summary["service_points"] == 8
    assert summary["diary_items_overdue"] >= 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DiaryEntry)) == 60
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServicePoint)) == 8
    statuses = set(db.session.scalars(sa.select(Problem.status)))
    assert statuses == {"recorded", "dispatched", "accepted", "returned", "overdue", "resolved", "closed"}
    assert services.closed_without_answer() == []
    # Running the sweep again changes nothing: the demo left a consistent state.
    assert services.sweep() == {"overdue": 0, "street": 0, "district": 0}
