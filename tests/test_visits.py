"""Visits: generation, assignment, the state machine, idempotent phone writes, evidence, follow-up."""
import base64
import datetime as dt
import io
import json
import threading
import urllib.request

import pytest
from PIL import Image

from assist.core.timeutil import LOCAL_TZ
from tests.conftest import XIZHUOZISHAN_C

TODAY = dt.date.today()


def png(w=20, h=20, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    img = Image.new("RGB", (40, 30), (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def setup(visit_setup):
    """A resident with an A1 plan (Mon/Thu 09:00, 45 min) of a provider with two workers (conftest)."""
    return visit_setup


def same_month_pair(items):
    """Two visits in the same local calendar month (the monthly cap counts per month)."""
    by_month = {}
    for v in items:
        by_month.setdefault(dt.datetime.fromisoformat(v["scheduled_start"]).astimezone(LOCAL_TZ).strftime("%Y-%m"), []).append(v)
    return next(vs[:2] for vs in by_month.values() if len(vs) >= 2)


def visits(c, **q):
    query = "&".join(f"{k}={v}" for k, v in q.items())
    return c.get(f"/api/v1/visits?limit=200&{query}").get_json()["items"]


def generate(c, days=28):
    r = c.post("/api/v1/schedule/generate", json={"until": (TODAY + dt.timedelta(days=days)).isoformat()})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["created"]


def test_generation_follows_the_recurrence_and_is_idempotent(setup):
    cw = setup["cw"]
    created = generate(cw)
    assert created >= 7
    assert generate(cw) == 0  # a rerun creates nothing
    items = visits(cw, plan_id=setup["plan"]["id"])
    assert len(items) == created
    for v in items:
        start = dt.datetime.fromisoformat(v["scheduled_start"]).astimezone(LOCAL_TZ)
        assert start.strftime("%a %H:%M") in ("Mon 09:00", "Thu 09:00")
        assert v["status"] == "scheduled" and v["item_code"] == "A1"


def test_plan_edit_changes_only_future_unstarted_visits(setup):
    cw, w1 = setup["cw"], setup["w1"]
    generate(cw)
    first = visits(cw)[0]
    assert w1.post(f"/api/v1/visits/{first['id']}/check-in", json={}).status_code == 200
    plan = cw.get(f"/api/v1/plans/{setup['plan']['id']}").get_json()
    r = cw.patch(f"/api/v1/plans/{plan['id']}", json={"version": plan["version"], "rrule": "FREQ=WEEKLY;BYDAY=WE",
                                                      "start_time": "14:00"})
    assert r.status_code == 200, r.get_json()
    after = visits(cw, plan_id=plan["id"])
    started = next(v for v in after if v["id"] == first["id"])
    assert started["status"] == "checked_in" and started["scheduled_start"] == first["scheduled_start"]
    future = [v for v in after if v["status"] == "scheduled"]
    assert future and all(dt.datetime.fromisoformat(v["scheduled_start"]).astimezone(LOCAL_TZ).strftime("%a %H:%M")
                          == "Wed 14:00" for v in future)


def test_ending_a_plan_removes_future_visits_but_keeps_started_ones(setup):
    cw, w1 = setup["cw"], setup["w1"]
    generate(cw)
    first = visits(cw)[0]
    w1.post(f"/api/v1/visits/{first['id']}/check-in", json={})
    cw.post(f"/api/v1/plans/{setup['plan']['id']}/end", json={"reason": "迁出"})
    remaining = visits(cw, plan_id=setup["plan"]["id"])
    assert [v["id"] for v in remaining if v["status"] != "cancelled"] == [first["id"]]


def test_assignment_refuses_double_booking(setup, make_resident):
    cw, w1u = setup["cw"], setup["w1_user"]
    other = make_resident(conditions={"self_care_level": 3})
    cw.post("/api/v1/plans", json={"resident_id": other.id, "item_code": "B1", "provider_id": setup["provider"]["id"],
                                   "rrule": "FREQ=WEEKLY;BYDAY=MO,TH", "start_date": TODAY.isoformat(),
                                   "start_time": "09:30", "duration_minutes": 60, "quantity_per_visit": 1,
                                   "monthly_cap": 10})
    generate(cw, 7)
    day = visits(cw)
    a = next(v for v in day if v["item_code"] == "A1")
    b = next(v for v in day if v["item_code"] == "B1" and v["scheduled_start"][:10] == a["scheduled_start"][:10])
    assert cw.post(f"/api/v1/visits/{a['id']}/assign", json={"staff_id": w1u.id}).status_code == 200
    r = cw.post(f"/api/v1/visits/{b['id']}/assign", json={"staff_id": w1u.id})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "double_booked"
    assert cw.post(f"/api/v1/visits/{b['id']}/assign", json={"staff_id": setup["w2_user"].id}).status_code == 200
    # A worker of another organisation is not assignable.
    assert cw.post(f"/api/v1/visits/{a['id']}/assign", json={"staff_id": 99999}).status_code == 422


def test_full_state_machine_and_refusals(setup):
    cw, w1 = setup["cw"], setup["w1"]
    generate(cw)
    v = visits(cw)[0]
    url = f"/api/v1/visits/{v['id']}"
    assert w1.post(url + "/complete", json={"quantity": 1}).status_code == 409  # not checked in
    assert cw.post(url + "/check-in", json={}).status_code == 403  # only provider staff
    r = w1.post(url + "/check-in", json={"lat": 39.67, "lng": 106.82})
    assert r.status_code == 200 and r.get_json()["status"] == "checked_in" and r.get_json()["staff_id"] == setup["w1_user"].id
    assert w1.post(url + "/check-in", json={}).status_code == 409  # twice
    assert cw.post(url + "/reschedule", json={"scheduled_start": "2030-01-01T09:00:00+08:00", "reason": "x"}).status_code == 409
    assert w1.post(url + "/complete", json={"quantity": -1}).status_code == 422
    sig = base64.b64encode(png()).decode()
    r = w1.post(url + "/complete", json={"quantity": 1, "notes": "送餐一份，老人状态良好", "signature": sig})
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["status"] == "completed" and done["quantity"] == 1 and done["signature"] is True
    assert w1.post(url + "/cancel", json={"reason": "x"}).status_code == 409
    assert cw.post(url + "/rating", json={"rating": "great"}).status_code == 422
    r = cw.post(url + "/rating", json={"rating": "satisfied", "comment": "很满意"})
    assert r.status_code == 200 and r.get_json()["rating"] == "satisfied"


def test_cancel_and_reschedule_need_reasons_and_are_kept_in_history(setup):
    cw = setup["cw"]
    generate(cw)
    a, b = visits(cw)[:2]
    assert cw.post(f"/api/v1/visits/{a['id']}/cancel", json={}).status_code == 422
    assert cw.post(f"/api/v1/visits/{a['id']}/cancel", json={"reason": "老人住院"}).get_json()["status"] == "cancelled"
    new = (dt.datetime.now(LOCAL_TZ) + dt.timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
    r = cw.post(f"/api/v1/visits/{b['id']}/reschedule", json={"scheduled_start": new.isoformat(), "reason": "家属要求"})
    assert r.status_code == 200
    detail = cw.get(f"/api/v1/visits/{b['id']}").get_json()
    assert dt.datetime.fromisoformat(detail["scheduled_start"]) == new
    assert any(e["kind"] == "reschedule" and e["reason"] == "家属要求" for e in detail["events"])
    assert generate(cw) == 0  # the moved occurrence is not generated again


def test_idempotent_complete_five_times_and_a_different_body(setup):
    cw, w1 = setup["cw"], setup["w1"]
    generate(cw)
    v = visits(cw)[0]
    url = f"/api/v1/visits/{v['id']}"
    key = {"Idempotency-Key": "phone-123"}
    first = w1.post(url + "/check-in", json={}, headers=key)
    for _ in range(4):
        again = w1.post(url + "/check-in", json={}, headers=key)
        assert again.status_code == 200 and again.get_json() == first.get_json()
    ck = {"Idempotency-Key": "phone-124"}
    answers = [w1.post(url + "/complete", json={"quantity": 1, "notes": "ok"}, headers=ck) for _ in range(5)]
    assert all(a.status_code == 200 for a in answers)
    assert len({json.dumps(a.get_json(), sort_keys=True) for a in answers}) == 1
    detail = cw.get(url).get_json()
    assert [e["kind"] for e in detail["events"]].count("complete") == 1
    r = w1.post(url + "/complete", json={"quantity": 2}, headers=ck)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "idempotency_mismatch"


def test_idempotent_key_sent_in_parallel_completes_once(setup, app):
    from werkzeug.serving import make_server
    cw, w1 = setup["cw"], setup["w1"]
    generate(cw)
    v = visits(cw)[0]
    w1.post(f"/api/v1/visits/{v['id']}/check-in", json={})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/api/v1/visits/{v['id']}/complete"
    results = []

    def send():
        req = urllib.request.Request(url, data=json.dumps({"quantity": 1, "notes": "并发"}).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {w1.token}",
                                              "Idempotency-Key": "parallel-1"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                results.append((resp.status, json.loads(resp.read())))
        except urllib.error.HTTPError as exc:
            results.append((exc.code, json.loads(exc.read())))
    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    server.shutdown()
    thread.join(5)
    assert len(results) == 4
    ok = [body for status, body in results if status == 200]
    assert ok and all(status in (200, 409) for status, _ in results)
    assert all(body == ok[0] for body in ok)
    detail = cw.get(f"/api/v1/visits/{v['id']}").get_json()
    assert [e["kind"] for e in detail["events"]].count("complete") == 1


def test_photo_upload_checks_content_and_strips_exif(setup, app):
    import os
    cw, w1 = setup["cw"], setup["w1"]
    generate(cw)
    v = visits(cw)[0]
    url = f"/api/v1/visits/{v['id']}/photos"
    assert w1.client.post(url, data={"file": (io.BytesIO(png()), "a.png")}, headers={"Authorization": f"Bearer {w1.token}"}).status_code == 409  # not started
    w1.post(f"/api/v1/visits/{v['id']}/check-in", json={})
    auth = {"Authorization": f"Bearer {w1.token}"}
    r = w1.client.post(url, data={"file": (io.BytesIO(jpeg_with_exif()), "p.jpg")}, headers=auth)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert len(body["sha256"]) == 64 and body["visit_id"] == v["id"]
    from assist.extensions import db
    from assist.visits.models import VisitFile
    stored = db.session.get(VisitFile, body["id"])
    data = open(os.path.join(app.config["UPLOAD_DIR"], stored.path), "rb").read()
    assert b"SecretCamera" not in data and Image.open(io.BytesIO(data)).getexif().get(0x010F) is None
    # A text file named .jpg
    r = w1.client.post(url, data={"file": (io.BytesIO(b"not an image at all"), "x.jpg")}, headers=auth)
    assert r.status_code == 422 and "file" in r.get_json()["error"]["fields"]
    # Too large
    app.config["UPLOAD_MAX_BYTES"] = 1000
    r = w1.client.post(url, data={"file": (io.BytesIO(jpeg_with_exif() + b"\0" * 2000), "big.jpg")}, headers=auth)
    assert r.status_code == 413
    app.config["UPLOAD_MAX_BYTES"] = 10 * 1024 * 1024
    # A decompression bomb: a tiny PNG that claims a huge canvas
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, "PNG")
    r = w1.client.post(url, data={"file": (io.BytesIO(bomb.getvalue()), "bomb.png")}, headers=auth)
    assert r.status_code == 422
    files = os.listdir(os.path.join(app.config["UPLOAD_DIR"], f"visits/{v['id']}"))
    assert files == [os.path.basename(stored.path)]  # no orphan files from refused uploads


def test_failed_completion_leaves_no_orphan_signature(setup, app):
    import os
    cw, w1 = setup["cw"], setup["w1"]
    plan = setup["plan"]
    cw.patch(f"/api/v1/plans/{plan['id']}", json={"version": plan["version"], "monthly_cap": 1})
    generate(cw)
    done, v = same_month_pair(visits(cw))
    w1.post(f"/api/v1/visits/{v['id']}/check-in", json={})
    # Over the cap without a reason: refused after the signature was decoded.
    w1.post(f"/api/v1/visits/{done['id']}/check-in", json={})
    assert w1.post(f"/api/v1/visits/{done['id']}/complete", json={"quantity": 1}).status_code == 200
    sig = base64.b64encode(png(30, 30, (1, 2, 3))).decode()
    r = w1.post(f"/api/v1/visits/{v['id']}/complete", json={"quantity": 1, "signature": sig})
    assert r.status_code == 422 and "over_cap_reason" in r.get_json()["error"]["fields"]
    folder = os.path.join(app.config["UPLOAD_DIR"], f"visits/{v['id']}")
    assert not os.path.isdir(folder) or os.listdir(folder) == []


def test_over_cap_needs_a_reason_and_is_flagged(setup):
    cw, w1 = setup["cw"], setup["w1"]
    plan = setup["plan"]
    cw.patch(f"/api/v1/plans/{plan['id']}", json={"version": plan["version"], "monthly_cap": 1})
    generate(cw)
    first, second = same_month_pair(visits(cw))
    for v in (first, second):
        w1.post(f"/api/v1/visits/{v['id']}/check-in", json={})
    assert w1.post(f"/api/v1/visits/{first['id']}/complete", json={"quantity": 1}).get_json()["over_cap"] is False
    r = w1.post(f"/api/v1/visits/{second['id']}/complete", json={"quantity": 1})
    assert r.status_code == 422 and "over_cap_reason" in r.get_json()["error"]["fields"]
    r = w1.post(f"/api/v1/visits/{second['id']}/complete", json={"quantity": 1, "over_cap_reason": "节日加餐"})
    assert r.status_code == 200 and r.get_json()["over_cap"] is True


def test_unsatisfied_rating_opens_a_rework_visit(setup):
    cw, w1 = setup["cw"], setup["w1"]
    generate(cw)
    v = visits(cw)[0]
    w1.post(f"/api/v1/visits/{v['id']}/check-in", json={})
    w1.post(f"/api/v1/visits/{v['id']}/complete", json={"quantity": 1})
    cw.post(f"/api/v1/visits/{v['id']}/rating", json={"rating": "unsatisfied", "comment": "饭菜凉了"})
    rework = [x for x in visits(cw) if x["rework_of_id"] == v["id"]]
    assert len(rework) == 1 and rework[0]["provider_id"] == v["provider_id"] and rework[0]["status"] == "scheduled"


def test_amendment_keeps_the_original_visible(setup):
    cw, w1 = setup["cw"], setup["w1"]
    generate(cw)
    v = visits(cw)[0]
    w1.post(f"/api/v1/visits/{v['id']}/check-in", json={})
    w1.post(f"/api/v1/visits/{v['id']}/complete", json={"quantity": 1, "notes": "原记录"})
    assert cw.post(f"/api/v1/visits/{v['id']}/amend", json={"quantity": 2}).status_code == 422  # no reason
    r = cw.post(f"/api/v1/visits/{v['id']}/amend", json={"quantity": 2, "reason": "漏记一份"})
    assert r.status_code == 200 and r.get_json()["quantity"] == 2
    events = cw.get(f"/api/v1/visits/{v['id']}").get_json()["events"]
    amend = next(e for e in events if e["kind"] == "amend")
    assert amend["reason"] == "漏记一份" and amend["changes"]["quantity"] == ["1.00", "2.00"]


def test_sweep_marks_missed_visits_and_is_safe_to_rerun(setup, app):
    from assist.core.db import utcnow
    from assist.extensions import db
    from assist.visits import services
    cw = setup["cw"]
    generate(cw)
    first = visits(cw)[0]
    later = utcnow() + dt.timedelta(days=5)
    assert services.sweep(now=later) >= 1
    db.session.commit()
    assert services.sweep(now=later) == 0
    assert cw.get(f"/api/v1/visits/{first['id']}").get_json()["status"] == "missed"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["visits", "sweep"])
    assert result.exit_code == 0, result.output


def test_provider_sees_only_its_visits_and_caseworkers_only_their_areas(setup, api, make_user):
    cw = setup["cw"]
    generate(cw)
    v = visits(cw)[0]
    other_provider = api(make_user("provider"))
    assert visits(other_provider) == []
    assert other_provider.get(f"/api/v1/visits/{v['id']}").status_code == 404
    assert other_provider.post(f"/api/v1/visits/{v['id']}/check-in", json={}).status_code == 404
    far = api("caseworker", areas=[XIZHUOZISHAN_C])
    assert visits(far) == [] and far.get(f"/api/v1/visits/{v['id']}").status_code == 404
    assert len(visits(setup["w1"])) == len(visits(cw))


def test_list_filters_and_bad_filters(setup):
    cw = setup["cw"]
    generate(cw)
    start = TODAY + dt.timedelta(days=7)
    items = visits(cw, **{"from": start.isoformat(), "to": (start + dt.timedelta(days=6)).isoformat()})
    assert len(items) == 2
    assert cw.get("/api/v1/visits?from=tomorrow").status_code == 422
    assert cw.get("/api/v1/visits?status=done").status_code == 422


def test_photos_taken_sideways_are_stored_upright(visit_setup, app):
    import os
    s = visit_setup
    cw, w1 = s["cw"], s["w1"]
    generate(cw)
    v = visits(cw)[0]
    w1.post(f"/api/v1/visits/{v['id']}/check-in", json={})
    img = Image.new("RGB", (40, 30), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was held sideways (rotate 90° to view)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    r = w1.client.post(f"/api/v1/visits/{v['id']}/photos", data={"file": (io.BytesIO(out.getvalue()), "p.jpg")},
                       headers={"Authorization": f"Bearer {w1.token}"})
    assert r.status_code == 201
    from assist.extensions import db
    from assist.visits.models import VisitFile
    stored = db.session.get(VisitFile, r.get_json()["id"])
    with Image.open(os.path.join(app.config["UPLOAD_DIR"], stored.path)) as saved:
        assert saved.size == (30, 40) and saved.getexif().get(0x0112) is None
