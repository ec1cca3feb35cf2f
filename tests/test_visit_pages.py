"""The visit pages (HTML): the provider's day, check-in and completion forms (one-time tokens, input
kept on errors, photos and signature in one transaction), files, calendar, assignment, reschedule and
cancel, follow-up rating, amendments, needs attention, schedule generation, bulk verification."""
from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
import re

import pytest
from PIL import Image

from assist.core.timeutil import LOCAL_TZ
from tests.conftest import XIZHUOZISHAN_C

TODAY = dt.date.today()


def png(w=24, h=24, color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (w, h), color).save(out, "PNG")
    return out.getvalue()


def signature_url(color=(0, 0, 0)) -> str:
    return "data:image/png;base64," + base64.b64encode(png(120, 60, color)).decode()


def token(page: str, form: str) -> str:
    match = re.search(r'<input[^>]*name="%s-token"[^>]*value="([^"]*)"' % re.escape(form), page)
    assert match, f"no token for {form}"
    return match.group(1)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def api_visits(c, **q):
    query = "&".join(f"{k}={v}" for k, v in q.items())
    return c.get(f"/api/v1/visits?limit=200&{query}").get_json()["items"]


def api_visit(c, visit_id):
    return c.get(f"/api/v1/visits/{visit_id}").get_json()


def local_date(v) -> dt.date:
    return dt.datetime.fromisoformat(v["scheduled_start"]).astimezone(LOCAL_TZ).date()


def generate(c, days=7):
    r = c.post("/api/v1/schedule/generate", json={"until": (TODAY + dt.timedelta(days=days)).isoformat()})
    assert r.status_code == 200, r.get_json()


@pytest.fixture
def login(client, login):
    """conftest's ``login``, after logging out whoever the HTML client was (to switch users)."""
    def do(who="caseworker", **kw):
        client.post("/logout")
        return login(who, **kw)
    return do


@pytest.fixture
def daily(visit_setup):
    """visit_setup with its plan made daily (so there is a visit today) and a week generated."""
    cw, plan = visit_setup["cw"], visit_setup["plan"]
    r = cw.patch(f"/api/v1/plans/{plan['id']}", json={"version": plan["version"], "rrule": "FREQ=DAILY"})
    assert r.status_code == 200, r.get_json()
    visit_setup["plan"] = r.get_json()
    generate(cw)
    items = api_visits(cw, plan_id=plan["id"])
    visit_setup["today"] = next(v for v in items if local_date(v) == TODAY)
    visit_setup["visits"] = items
    return visit_setup


def upload_files(app, visit_id) -> list[str]:
    folder = os.path.join(app.config["UPLOAD_DIR"], f"visits/{visit_id}")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def check_in(client, visit_id, **extra):
    page = text(client.get(f"/visits/{visit_id}"))
    data = {"check_in-token": token(page, "check_in"), **extra}
    return client.post(f"/visits/{visit_id}/check-in", data=data)


def complete_data(page, **fields):
    data = {"complete-token": token(page, "complete"), "complete-quantity": "1", "complete-notes": "",
            "complete-signature": "", "complete-over_cap_reason": ""}
    data.update({f"complete-{k}": v for k, v in fields.items()})
    return data


# --- the provider's day ---------------------------------------------------------------------------

def test_provider_sees_only_its_own_visits(daily, client, login, make_user, api):
    v = daily["today"]
    daily["cw"].post(f"/api/v1/visits/{v['id']}/assign", json={"staff_id": daily["w1_user"].id})
    login(daily["w1_user"])
    page = text(client.get("/my/visits"))
    assert 'data-visit-id="%d"' % v["id"] in page
    assert daily["resident"].name in page and "华苑小区3号楼2单元101" in page
    assert 'href="tel:13904730000"' in page
    assert 'href="/visits/"' not in page  # the provider's navigation: My visits, not the caseworkers' list
    assert "/my/visits" in page
    # The organisation tab also shows the visits nobody was assigned yet.
    org = text(client.get("/my/visits?who=org"))
    tomorrow = next(x for x in daily["visits"] if local_date(x) == TODAY + dt.timedelta(days=1))
    assert 'data-visit-id="%d"' % tomorrow["id"] in org
    # The second worker's own list does not hold the first worker's visit.
    login(daily["w2_user"])
    assert 'data-visit-id="%d"' % v["id"] not in text(client.get("/my/visits"))
    # Another organisation sees nothing of it, anywhere.
    login("provider")
    assert 'data-visit-id' not in text(client.get("/my/visits?who=org"))
    assert client.get(f"/visits/{v['id']}").status_code == 404
    assert client.post(f"/visits/{v['id']}/check-in", data={}).status_code == 404
    assert 'data-visit-id="%d"' % v["id"] not in text(client.get(f"/visits/calendar?date={TODAY}"))
    # A caseworker of another area neither.
    login("caseworker", areas=(XIZHUOZISHAN_C,))
    assert client.get(f"/visits/{v['id']}").status_code == 404
    # Pages a provider may not open at all.
    login("provider")
    assert client.get("/visits/attention").status_code == 403
    assert client.get("/visits/generate").status_code == 403


def test_check_in_and_complete_with_photo_and_signature(daily, client, login, app):
    v = daily["today"]
    login(daily["w1_user"])
    page = text(client.get(f"/visits/{v['id']}"))
    assert 'data-testid="check-in-form"' in page and "complete-form" not in page
    r = check_in(client, v["id"], **{"check_in-lat": "39.427000", "check_in-lng": "106.812000"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/visits/{v['id']}")
    after = api_visit(daily["cw"], v["id"])
    assert after["status"] == "checked_in" and after["lat"] == pytest.approx(39.427)
    assert after["staff_id"] == daily["w1_user"].id  # an unassigned visit goes to the worker who checks in
    page = text(client.get(f"/visits/{v['id']}"))
    assert 'data-testid="complete-form"' in page and 'capture="environment"' in page
    assert re.search(r'name="complete-quantity"[^>]*value="1"', page)  # the plan's quantity per visit
    data = complete_data(page, notes="送餐一份，老人状态良好", signature=signature_url())
    data["complete-photos"] = [(io.BytesIO(png()), "meal.png")]
    r = client.post(f"/visits/{v['id']}/complete", data=data, content_type="multipart/form-data")
    assert r.status_code == 303, text(r)[:2000]
    done = api_visit(daily["cw"], v["id"])
    assert done["status"] == "completed" and done["photos"] == 1 and done["signature"] is True
    assert done["notes"] == "送餐一份，老人状态良好"
    page = text(client.get(f"/visits/{v['id']}"))
    assert page.count('data-testid="photo"') == 1 and 'data-testid="signature"' in page
    assert len(upload_files(app, v["id"])) == 2


def test_a_check_in_without_location_still_works(daily, client, login):
    v = daily["today"]
    login(daily["w1_user"])
    assert check_in(client, v["id"], **{"check_in-lat": "", "check_in-lng": ""}).status_code == 303
    after = api_visit(daily["cw"], v["id"])
    assert after["status"] == "checked_in" and after["lat"] is None


def test_the_same_form_token_twice_records_once(daily, client, login, app):
    v = daily["today"]
    login(daily["w1_user"])
    page = text(client.get(f"/visits/{v['id']}"))
    tok = token(page, "check_in")
    first = client.post(f"/visits/{v['id']}/check-in", data={"check_in-token": tok})
    again = client.post(f"/visits/{v['id']}/check-in", data={"check_in-token": tok}, follow_redirects=True)
    assert first.status_code == 303 and again.status_code == 200
    assert 'data-testid="complete-form"' in text(again)  # no error: the replay lands on the visit
    page = text(client.get(f"/visits/{v['id']}"))
    data = complete_data(page, notes="双击", signature=signature_url())
    answers = []
    for _ in range(3):  # a double tap, then a retry after a lost answer
        body = dict(data, **{"complete-photos": [(io.BytesIO(png()), "p.png")]})
        answers.append(client.post(f"/visits/{v['id']}/complete", data=body, content_type="multipart/form-data"))
    assert [a.status_code for a in answers] == [303, 303, 303]
    events = [e["kind"] for e in api_visit(daily["cw"], v["id"])["events"]]
    assert events.count("complete") == 1 and events.count("check_in") == 1
    detail = api_visit(daily["cw"], v["id"])
    assert detail["photos"] == 1 and detail["signature"] is True
    assert len(upload_files(app, v["id"])) == 2
    # A fresh token on a completed visit: refused by the state machine, shown on the page.
    r = client.post(f"/visits/{v['id']}/complete", data=dict(data, **{"complete-token": "x" * 24}))
    assert r.status_code == 409


def test_a_failed_completion_keeps_what_was_entered(daily, client, login, app):
    v = daily["today"]
    login(daily["w1_user"])
    check_in(client, v["id"])
    page = text(client.get(f"/visits/{v['id']}"))
    sig = signature_url((10, 20, 30))
    data = complete_data(page, quantity="-1", notes="老人说饭菜很好", signature=sig)
    data["complete-photos"] = [(io.BytesIO(png()), "good.png")]
    r = client.post(f"/visits/{v['id']}/complete", data=data, content_type="multipart/form-data")
    assert r.status_code == 422
    page = text(r)
    assert "老人说饭菜很好" in page
    assert re.search(r'name="complete-quantity"[^>]*value="-1"', page)
    assert html.escape(sig) in page or sig in page  # the drawn signature comes back to be redrawn
    assert 'data-field="complete-quantity"' in page
    assert 'data-testid="photos-lost"' in page  # the browser cannot keep chosen files: the page says so
    assert token(page, "complete") == data["complete-token"]  # nothing was stored: the same token may retry
    assert api_visit(daily["cw"], v["id"])["status"] == "checked_in"
    assert upload_files(app, v["id"]) == []  # neither the photo nor the signature stayed behind
    data = complete_data(page, quantity="1", notes="老人说饭菜很好", signature=sig)
    assert client.post(f"/visits/{v['id']}/complete", data=data).status_code == 303
    assert api_visit(daily["cw"], v["id"])["status"] == "completed"


def test_over_cap_needs_a_reason(daily, client, login):
    cw, plan = daily["cw"], daily["plan"]
    cw.patch(f"/api/v1/plans/{plan['id']}", json={"version": plan["version"], "monthly_cap": 1})
    items = api_visits(cw, plan_id=plan["id"])
    by_month = {}
    for x in items:
        by_month.setdefault(local_date(x).strftime("%Y-%m"), []).append(x)
    first, second = next(vs[:2] for vs in by_month.values() if len(vs) >= 2)
    login(daily["w1_user"])
    for x in (first, second):
        check_in(client, x["id"])
    page = text(client.get(f"/visits/{first['id']}"))
    assert "over-cap-notice" not in page and "complete-over_cap_reason" not in page
    assert client.post(f"/visits/{first['id']}/complete", data=complete_data(page)).status_code == 303
    page = text(client.get(f"/visits/{second['id']}"))
    assert 'data-testid="over-cap-notice"' in page and 'name="complete-over_cap_reason"' in page
    r = client.post(f"/visits/{second['id']}/complete", data=complete_data(page, notes="加餐"))
    assert r.status_code == 422 and 'data-field="complete-over_cap_reason"' in text(r) and "加餐" in text(r)
    r = client.post(f"/visits/{second['id']}/complete", data=complete_data(page, over_cap_reason="节日加餐"))
    assert r.status_code == 303
    done = api_visit(cw, second["id"])
    assert done["status"] == "completed" and done["over_cap"] is True and done["over_cap_reason"] == "节日加餐"


def test_a_bad_photo_is_named_and_leaves_no_orphan(daily, client, login, app):
    v = daily["today"]
    login(daily["w1_user"])
    check_in(client, v["id"])
    page = text(client.get(f"/visits/{v['id']}"))
    data = complete_data(page, notes="照片", signature=signature_url())
    data["complete-photos"] = [(io.BytesIO(png()), "good.png"), (io.BytesIO(b"not an image at all"), "bad.jpg")]
    r = client.post(f"/visits/{v['id']}/complete", data=data, content_type="multipart/form-data")
    assert r.status_code == 422
    page = text(r)
    assert re.search(r'data-field="photos">[^<]*bad\.jpg', page)
    assert "照片" in page
    assert api_visit(daily["cw"], v["id"])["status"] == "checked_in"
    assert upload_files(app, v["id"]) == []  # the good photo and the signature were removed too
    data["complete-photos"] = [(io.BytesIO(png()), "good.png")]
    assert client.post(f"/visits/{v['id']}/complete", data=data, content_type="multipart/form-data").status_code == 303
    assert len(upload_files(app, v["id"])) == 2
    # More photos later: a bad one is refused and nothing is added.
    page = text(client.get(f"/visits/{v['id']}"))
    bad = {"photos-token": token(page, "photos"), "photos-photos": [(io.BytesIO(b"GIF89a nope"), "x.gif")]}
    assert client.post(f"/visits/{v['id']}/photos", data=bad, content_type="multipart/form-data").status_code == 422
    assert len(upload_files(app, v["id"])) == 2
    good = {"photos-token": token(page, "photos"), "photos-photos": [(io.BytesIO(png(30, 30, (1, 200, 1))), "more.png")]}
    assert client.post(f"/visits/{v['id']}/photos", data=good, content_type="multipart/form-data").status_code == 303
    assert api_visit(daily["cw"], v["id"])["photos"] == 2


def test_photos_beyond_the_request_limit_explain_themselves(daily, client, login, app):
    v = daily["today"]
    login(daily["w1_user"])
    check_in(client, v["id"])
    page = text(client.get(f"/visits/{v['id']}"))
    app.config["MAX_CONTENT_LENGTH"] = 20_000
    data = complete_data(page)
    data["complete-photos"] = [(io.BytesIO(b"\xff" * 50_000), "huge.jpg")]
    r = client.post(f"/visits/{v['id']}/complete", data=data, content_type="multipart/form-data")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/visits/{v['id']}")
    assert 'alert-danger' in text(client.get(f"/visits/{v['id']}"))
    assert api_visit(daily["cw"], v["id"])["status"] == "checked_in"


def test_files_are_served_only_within_scope(daily, client, login):
    v = daily["today"]
    w1 = daily["w1"]
    w1.post(f"/api/v1/visits/{v['id']}/check-in", json={})
    w1.post(f"/api/v1/visits/{v['id']}/complete", json={"quantity": 1, "signature": base64.b64encode(png()).decode()})
    r = w1.client.post(f"/api/v1/visits/{v['id']}/photos", data={"file": (io.BytesIO(png(10, 10)), "a.png")},
                       headers={"Authorization": f"Bearer {w1.token}"})
    photo_id = r.get_json()["id"]
    login(daily["w2_user"])  # a colleague of the same organisation
    r = client.get(f"/visits/{v['id']}/files/{photo_id}")
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.headers["Cache-Control"] == "private, no-store"
    Image.open(io.BytesIO(r.data)).verify()
    other = next(x for x in daily["visits"] if x["id"] != v["id"])
    assert client.get(f"/visits/{other['id']}/files/{photo_id}").status_code == 404  # the file is not that visit's
    login("provider")
    assert client.get(f"/visits/{v['id']}/files/{photo_id}").status_code == 404
    login("caseworker")
    assert client.get(f"/visits/{v['id']}/files/{photo_id}").status_code == 200
    login("caseworker", areas=(XIZHUOZISHAN_C,))
    assert client.get(f"/visits/{v['id']}/files/{photo_id}").status_code == 404


# --- caseworkers and coordinators ---------------------------------------------------------------

@pytest.fixture
def clash(daily, make_resident, db):
    """A second resident's B1 visit overlapping today's A1 visit, both with worker 1 (who checked in to
    the unassigned B1 visit: a check-in is not refused for a clash, so calendars must show it)."""
    from assist.providers.models import Provider
    cw = daily["cw"]
    other = make_resident(name="李桂兰", conditions={"self_care_level": 3})
    r = cw.post("/api/v1/plans", json={"resident_id": other.id, "item_code": "B1", "provider_id": daily["provider"]["id"],
                                       "rrule": "FREQ=DAILY", "start_date": TODAY.isoformat(), "start_time": "09:30",
                                       "duration_minutes": 60, "quantity_per_visit": 2, "monthly_cap": 31})
    assert r.status_code == 201, r.get_json()
    generate(cw)
    a = daily["today"]
    b = next(x for x in api_visits(cw, plan_id=r.get_json()["id"]) if local_date(x) == TODAY)
    assert cw.post(f"/api/v1/visits/{a['id']}/assign", json={"staff_id": daily["w1_user"].id}).status_code == 200
    daily["b_tomorrow"] = next(x for x in api_visits(cw, plan_id=r.get_json()["id"])
                               if local_date(x) == TODAY + dt.timedelta(days=1))
    a_tomorrow = next(x for x in daily["visits"] if local_date(x) == TODAY + dt.timedelta(days=1))
    cw.post(f"/api/v1/visits/{a_tomorrow['id']}/assign", json={"staff_id": daily["w1_user"].id})
    assert daily["w1"].post(f"/api/v1/visits/{b['id']}/check-in", json={}).status_code == 200
    provider = db.session.get(Provider, daily["provider"]["id"])
    provider.weekly_capacity = 1  # today's two visits alone are over it, whatever the weekday
    db.session.commit()
    daily.update(a=a, b=b, a_tomorrow=a_tomorrow)
    return daily


def test_calendar_week_and_month_show_clashes_and_over_capacity(clash, client, login):
    a, b = clash["a"], clash["b"]
    login(clash["cw"].user)
    r = client.get(f"/visits/calendar?view=week&date={TODAY}")
    assert r.status_code == 200
    page = text(r)
    assert 'data-view="week"' in page
    for x in (a, b):
        assert re.search(r'data-visit-id="%d" data-clash="1"' % x["id"], page)
    assert not re.search(r'data-visit-id="%d" data-clash="1"' % clash["a_tomorrow"]["id"], page)
    assert 'data-testid="clash-warning"' in page and 'data-testid="over-capacity"' in page
    assert "颐康居家养老服务中心" in page.split('data-testid="over-capacity"')[1].split("</div>")[0]
    r = client.get(f"/visits/calendar?view=month&date={TODAY}")
    page = text(r)
    assert r.status_code == 200 and 'data-view="month"' in page and 'data-testid="over-capacity-week"' in page
    assert re.search(r'data-visit-id="%d" data-clash="1"' % a["id"], page)
    # Filters: another provider's calendar is empty; a resident's holds only that resident's visits.
    r = client.get(f"/visits/calendar?view=week&date={TODAY}&resident_id={clash['resident'].id}")
    assert 'data-visit-id="%d"' % b["id"] not in text(r) and 'data-visit-id="%d"' % a["id"] in text(r)
    assert client.get("/visits/calendar?view=week&date=not-a-date").status_code == 200
    # The provider organisation's view: one row per worker, the clash still marked.
    login(clash["w2_user"])
    page = text(client.get(f"/visits/calendar?date={TODAY}"))
    rows = page.split('data-testid="staff-row"')[1:]
    assert len(rows) >= 2  # both workers, the idle one too (and the unassigned visits, if any this week)
    assert any(clash["w2_user"].label in r for r in rows) and any(clash["w1_user"].label in r for r in rows)
    assert clash["w1_user"].label in page and re.search(r'data-visit-id="%d" data-clash="1"' % a["id"], page)
    page = text(client.get(f"/visits/calendar?view=month&date={TODAY}"))
    assert 'data-view="month"' in page and "count clash" in page


def test_assignment_shows_the_clash_and_a_coordinator_may_assign(clash, client, login):
    b_tomorrow, a_tomorrow = clash["b_tomorrow"], clash["a_tomorrow"]
    login(clash["cw"].user)
    page = text(client.get(f"/visits/{b_tomorrow['id']}"))
    assert 'data-testid="week-load"' in page and "text-danger" in page.split('data-testid="week-load"')[0][-200:]
    assert "09:00–09:45" in page  # the worker's existing booking is shown next to the name
    r = client.post(f"/visits/{b_tomorrow['id']}/assign",
                    data={"assign-token": token(page, "assign"), "assign-staff_id": str(clash["w1_user"].id)})
    assert r.status_code == 409
    error = text(r).split('data-testid="assign-error"', 1)[1].split("</div>")[0]
    assert clash["w1_user"].label in error and str(a_tomorrow["id"]) in error
    assert api_visit(clash["cw"], b_tomorrow["id"])["staff_id"] is None
    # The provider's coordinator (any user of the organisation) assigns the free colleague.
    login(clash["w1_user"])
    page = text(client.get(f"/visits/{b_tomorrow['id']}"))
    r = client.post(f"/visits/{b_tomorrow['id']}/assign",
                    data={"assign-token": token(page, "assign"), "assign-staff_id": str(clash["w2_user"].id)})
    assert r.status_code == 303
    assert api_visit(clash["cw"], b_tomorrow["id"])["staff_id"] == clash["w2_user"].id


def test_reschedule_and_cancel_need_reasons(daily, client, login):
    visits = daily["visits"]
    a, b = visits[2], visits[3]
    login(daily["cw"].user)
    page = text(client.get(f"/visits/{a['id']}"))
    new = (dt.datetime.now(LOCAL_TZ) + dt.timedelta(days=2)).replace(hour=15, minute=0).strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/visits/{a['id']}/reschedule", data={"reschedule-token": token(page, "reschedule"),
                                                             "reschedule-scheduled_start": new, "reschedule-reason": ""})
    assert r.status_code == 422 and 'data-field="reschedule-reason"' in text(r) and new in text(r)
    r = client.post(f"/visits/{a['id']}/reschedule", data={"reschedule-token": token(page, "reschedule"),
                                                             "reschedule-scheduled_start": new,
                                                             "reschedule-reason": "家属要求改到下午"})
    assert r.status_code == 303
    detail = api_visit(daily["cw"], a["id"])
    assert dt.datetime.fromisoformat(detail["scheduled_start"]).strftime("%Y-%m-%dT%H:%M") == new
    page = text(client.get(f"/visits/{a['id']}"))
    history = page.split('data-testid="history"')[1]
    assert "家属要求改到下午" in history and new.replace("T", " ") in history
    page = text(client.get(f"/visits/{b['id']}"))
    r = client.post(f"/visits/{b['id']}/cancel", data={"cancel-token": token(page, "cancel"), "cancel-reason": " "})
    assert r.status_code == 422 and api_visit(daily["cw"], b["id"])["status"] == "scheduled"
    r = client.post(f"/visits/{b['id']}/cancel", data={"cancel-token": token(page, "cancel"), "cancel-reason": "老人住院"},
                    follow_redirects=True)
    page = text(r)
    assert r.status_code == 200 and 'data-testid="cancel-reason"' in page and "老人住院" in page
    assert api_visit(daily["cw"], b["id"])["status"] == "cancelled"
    assert 'cancel-form' not in page and 'reschedule-form' not in page  # nothing more to do with it


def completed(setup, visit, quantity=1, notes="原记录"):
    w1 = setup["w1"]
    w1.post(f"/api/v1/visits/{visit['id']}/check-in", json={})
    r = w1.post(f"/api/v1/visits/{visit['id']}/complete", json={"quantity": quantity, "notes": notes})
    assert r.status_code == 200, r.get_json()


def test_unsatisfied_rating_opens_a_rework_visit(daily, client, login):
    v = daily["today"]
    completed(daily, v)
    login(daily["cw"].user)
    page = text(client.get(f"/visits/{v['id']}"))
    r = client.post(f"/visits/{v['id']}/rating", data={"rating-token": token(page, "rating"),
                                                       "rating-rating": "unsatisfied", "rating-comment": "饭菜凉了"},
                    follow_redirects=True)
    page = text(r)
    rework = [x for x in api_visits(daily["cw"]) if x["rework_of_id"] == v["id"]]
    assert len(rework) == 1 and rework[0]["provider_id"] == v["provider_id"]
    assert 'data-testid="rework-notice"' in page and f'href="/visits/{rework[0]["id"]}"' in page
    assert 'data-testid="rating-form"' not in page and "饭菜凉了" in page
    # The rework visit points back.
    assert f'href="/visits/{v["id"]}"' in text(client.get(f"/visits/{rework[0]['id']}"))


def test_a_repeated_rating_form_opens_one_rework_visit(daily, client, login):
    v = daily["today"]
    completed(daily, v)
    login(daily["cw"].user)
    tok = token(text(client.get(f"/visits/{v['id']}")), "rating")
    for _ in range(2):
        client.post(f"/visits/{v['id']}/rating", data={"rating-token": tok, "rating-rating": "unsatisfied"})
    assert len([x for x in api_visits(daily["cw"]) if x["rework_of_id"] == v["id"]]) == 1


def test_an_amendment_keeps_the_original_visible(daily, client, login):
    v = daily["today"]
    completed(daily, v, notes="原记录")
    login(daily["cw"].user)
    page = text(client.get(f"/visits/{v['id']}"))
    assert 'data-testid="amend-form"' in page
    times = {k: re.search(r'name="amend-%s"[^>]*value="([^"]*)"' % k, page).group(1) for k in ("check_in_at", "check_out_at")}
    data = {"amend-token": token(page, "amend"), "amend-quantity": "2", "amend-notes": "原记录",
            "amend-check_in_at": times["check_in_at"], "amend-check_out_at": times["check_out_at"], "amend-reason": ""}
    r = client.post(f"/visits/{v['id']}/amend", data=data)
    assert r.status_code == 422 and 'data-field="amend-reason"' in text(r)
    assert re.search(r'name="amend-quantity"[^>]*value="2"', text(r))
    data["amend-reason"] = "漏记一份"
    r = client.post(f"/visits/{v['id']}/amend", data=data, follow_redirects=True)
    page = text(r)
    assert r.status_code == 200
    assert re.search(r'data-testid="quantity">2<', page)
    assert re.search(r'data-testid="original-quantity">[^<]*1\.00', page)
    history = page.split('data-testid="history"')[1]
    assert "漏记一份" in history and "<del>1.00</del> → 2.00" in history
    events = api_visit(daily["cw"], v["id"])["events"]
    amend = next(e for e in events if e["kind"] == "amend")
    assert set(amend["changes"]) == {"quantity"}  # the untouched times are no correction
    # The provider may correct its own record too; an auditor only reads.
    login(daily["w2_user"])
    assert 'data-testid="amend-form"' in text(client.get(f"/visits/{v['id']}"))
    login("auditor")
    page = text(client.get(f"/visits/{v['id']}"))
    assert "amend-form" not in page and "rating-form" not in page
    assert client.post(f"/visits/{v['id']}/amend", data=data).status_code == 403


def test_needs_attention_lists_a_missed_visit(daily, client, login, db):
    from assist.core.db import utcnow
    from assist.visits import services
    v = daily["today"]
    services.sweep(now=utcnow() + dt.timedelta(days=2))
    db.session.commit()
    assert api_visit(daily["cw"], v["id"])["status"] == "missed"
    login(daily["cw"].user)
    page = text(client.get("/visits/attention"))
    row = page.split('data-visit-id="%d"' % v["id"], 1)[1].split("</tr>")[0]
    assert 'data-testid="why-missed"' in row


def test_generate_page(visit_setup, client, login):
    login(visit_setup["cw"].user)
    page = text(client.get("/visits/generate"))
    assert 'name="until"' in page
    until = (TODAY + dt.timedelta(days=14)).isoformat()
    r = client.post("/visits/generate", data={"until": until})
    assert r.status_code == 303
    created = len(api_visits(visit_setup["cw"]))
    assert created >= 4
    assert client.post("/visits/generate", data={"until": until}).status_code == 303
    assert len(api_visits(visit_setup["cw"])) == created  # no duplicates
    assert client.post("/visits/generate", data={"until": "next week"}).status_code == 422
    far = (TODAY + dt.timedelta(days=400)).isoformat()
    assert client.post("/visits/generate", data={"until": far}).status_code == 422


def test_list_filters_and_bulk_verify(daily, client, login):
    v = daily["today"]
    completed(daily, v)
    login(daily["cw"].user)
    page = text(client.get(f"/visits/?from={TODAY}&to={TODAY}"))
    assert 'data-visit-id="%d"' % v["id"] in page and 'name="visit_ids" value="%d"' % v["id"] in page
    page = text(client.get("/visits/?status=cancelled&from="))
    assert 'data-visit-id="%d"' % v["id"] not in page
    assert 'data-testid="filter-error"' in text(client.get("/visits/?from=yesterday"))
    r = client.post("/visits/verify", data={"visit_ids": [str(v["id"]), "999999"], "next": f"/visits/?from={TODAY}"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/visits/?from={TODAY}")
    assert api_visit(daily["cw"], v["id"])["verified"] is True
    assert 'name="visit_ids" value="%d"' % v["id"] not in text(client.get(f"/visits/?from={TODAY}"))
    # Filtering by resident, and a resident out of scope simply shows nothing.
    page = text(client.get(f"/visits/?resident_id={daily['resident'].id}&from="))
    assert 'data-testid="resident-filter"' in page and page.count("data-visit-id=") == len(daily["visits"])
    login("provider")
    assert client.post("/visits/verify", data={"visit_ids": [str(v["id"])]}).status_code == 403


def test_the_same_completion_form_sent_in_parallel_records_once(daily, client, login, app):
    """Four copies of one submission at the same moment (a phone retrying on a bad network)."""
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request

    from werkzeug.serving import make_server
    v = daily["today"]
    login(daily["w1_user"])
    check_in(client, v["id"])
    page = text(client.get(f"/visits/{v['id']}"))
    body = urllib.parse.urlencode(complete_data(page, notes="并发", signature=signature_url())).encode()
    cookie = f"session={client.get_cookie('session').value}"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    results = []

    def send():
        req = urllib.request.Request(f"http://127.0.0.1:{server.server_port}/visits/{v['id']}/complete", data=body,
                                     method="POST", headers={"Cookie": cookie,
                                                             "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with opener.open(req, timeout=60) as resp:
                results.append(resp.status)
        except urllib.error.HTTPError as exc:
            results.append(exc.code)
    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    server.shutdown()
    thread.join(5)
    assert results == [303] * 4  # each lands back on the visit: recorded, replayed, or "being processed"
    detail = api_visit(daily["cw"], v["id"])
    assert detail["status"] == "completed" and detail["signature"] is True
    assert [e["kind"] for e in detail["events"]].count("complete") == 1
    assert len(upload_files(app, v["id"])) == 1


def test_a_form_for_a_step_already_taken_explains_itself(daily, client, login):
    v = daily["today"]
    login(daily["w1_user"])
    page = text(client.get(f"/visits/{v['id']}"))
    assert check_in(client, v["id"]).status_code == 303
    # The old page's check-in form, sent again with a new token (a second tab): refused, and said so.
    r = client.post(f"/visits/{v['id']}/check-in", data={"check_in-token": "y" * 24})
    assert r.status_code == 409 and "alert-danger" in text(r) and 'data-testid="complete-form"' in text(r)
    assert token(page, "check_in")


def test_an_expired_form_comes_back_with_the_input(daily, client, login, app):
    v = daily["today"]
    login(daily["w1_user"])
    check_in(client, v["id"])
    page = text(client.get(f"/visits/{v['id']}"))
    app.config["WTF_CSRF_ENABLED"] = True  # as in production; the posted token below is not valid
    data = complete_data(page, notes="写了很久的记录", signature=signature_url())
    data["csrf_token"] = "expired"
    r = client.post(f"/visits/{v['id']}/complete", data=data)
    assert r.status_code == 400
    assert "写了很久的记录" in text(r) and 'name="complete-csrf_token"' in text(r)
    assert api_visit(daily["cw"], v["id"])["status"] == "checked_in"


def test_too_many_photos_are_refused_whole(daily, client, login, app):
    v = daily["today"]
    login(daily["w1_user"])
    check_in(client, v["id"])
    page = text(client.get(f"/visits/{v['id']}"))
    app.config["VISIT_MAX_PHOTOS"] = 2  # the signature and one photo
    data = complete_data(page, signature=signature_url())
    data["complete-photos"] = [(io.BytesIO(png(20, 20, (1, 1, 1))), "1.png"), (io.BytesIO(png(20, 20, (2, 2, 2))), "2.png")]
    r = client.post(f"/visits/{v['id']}/complete", data=data, content_type="multipart/form-data")
    assert r.status_code == 422 and 'data-field="photos"' in text(r) and 'data-testid="photos-lost"' in text(r)
    assert api_visit(daily["cw"], v["id"])["status"] == "checked_in" and upload_files(app, v["id"]) == []


def test_a_twin_still_being_processed_sends_back_to_the_visit(daily, client, login, monkeypatch):
    from assist.core.errors import Conflict
    from assist.visits import views

    def busy(*args, **kwargs):
        raise Conflict("busy", code="in_progress")
    v = daily["today"]
    login(daily["w1_user"])
    page = text(client.get(f"/visits/{v['id']}"))
    monkeypatch.setattr(views, "run_once", busy)
    r = client.post(f"/visits/{v['id']}/check-in", data={"check_in-token": token(page, "check_in")})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/visits/{v['id']}")
