"""Reports: anomalies on purpose-built data, stats that recompute, PDFs read back, verification."""
import datetime as dt
import decimal
import hashlib
import re
import subprocess

import pytest

from assist.core.timeutil import LOCAL_TZ
from tests.conftest import LASENGZHONG, XIZHUOZISHAN_C, id_number

USCC = "91110108551385082Q"
DAY = dt.date(2026, 10, 12)  # a Monday in a past month


def at(day, hh, mm=0):
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=LOCAL_TZ)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def world(db, make_resident, make_user):
    """Two providers, workers, residents and plans; completed visits are added per test."""
    from assist.plans.models import Plan
    from assist.providers.models import Provider, ProviderItem
    from assist.areas.models import Area
    area = db.session.get(Area, LASENGZHONG)
    p1 = Provider(name="颐康居家养老服务中心", uscc=USCC, weekly_capacity=50,
                  items=[ProviderItem(item_code=c) for c in ("A1", "A2", "B1", "E1")], areas=[area])
    p2 = Provider(name="阳光社工服务社", weekly_capacity=20, items=[ProviderItem(item_code="A1", unit_price=decimal.Decimal("18.00"))],
                  areas=[area])
    db.session.add_all([p1, p2])
    db.session.flush()
    r1 = make_resident(id_number=id_number(dt.date(1938, 2, 3)), name="王守义", conditions={"self_care_level": 3, "lives_alone": True})
    r2 = make_resident(id_number=id_number(dt.date(1941, 6, 7)), name="李桂兰", conditions={"self_care_level": 2})
    far = make_resident(area_code=XIZHUOZISHAN_C, name="远方", conditions={"self_care_level": 2})

    def plan(resident, provider, item="A1", cap=10):
        p = Plan(resident_id=resident.id, item_code=item, provider_id=provider.id, rrule="FREQ=DAILY",
                 start_date=dt.date(2026, 9, 1), start_time=dt.time(9), duration_minutes=60,
                 quantity_per_visit=1, monthly_cap=cap)
        db.session.add(p)
        db.session.flush()
        return p
    w1, w2 = make_user("provider", provider=p1), make_user("provider", provider=p1)
    w3 = make_user("provider", provider=p2)
    plans = {"r1_a1": plan(r1, p1), "r1_a1_p2": plan(r1, p2), "r2_a2": plan(r2, p1, "A2", cap=1),
             "far_a1": plan(far, p1)}
    db.session.commit()
    return {"p1": p1, "p2": p2, "r1": r1, "r2": r2, "far": far, "plans": plans, "w1": w1, "w2": w2, "w3": w3}


def visit(db, plan, worker, start, minutes=60, quantity=1, evidence=True, entered_late=False, lat=None, lng=None,
          verified=True):
    from assist.visits.models import Visit, VisitFile
    v = Visit(plan_id=plan.id, occurrence_date=None, resident_id=plan.resident_id, item_code=plan.item_code,
              provider_id=plan.provider_id, staff_id=worker.id, scheduled_start=start,
              scheduled_end=start + dt.timedelta(minutes=60), status="completed", check_in_at=start,
              check_out_at=start + dt.timedelta(minutes=minutes), quantity=quantity,
              completed_entered_at=start + dt.timedelta(days=5 if entered_late else 0, minutes=minutes),
              check_in_lat=lat, check_in_lng=lng, verified_at=start + dt.timedelta(days=1) if verified else None)
    if evidence:
        v.files.append(VisitFile(kind="signature", path="x.png", sha256="0" * 64, content_type="image/png", size=1,
                                 width=1, height=1))
    db.session.add(v)
    db.session.commit()
    return v


def kinds_for(api_client, visit_id=None, frm="2026-10-01", to="2026-10-31"):
    items = api_client.get(f"/api/v1/reports/anomalies?from={frm}&to={to}").get_json()["items"]
    return {a["kind"] for a in items if visit_id is None or a["visit_id"] == visit_id}


def test_clean_data_has_no_anomalies(api, db, world):
    p = world["plans"]["r1_a1"]
    visit(db, p, world["w1"], at(DAY, 9))
    visit(db, p, world["w1"], at(DAY + dt.timedelta(days=1), 9))
    assert kinds_for(api("auditor")) == set()


def test_each_anomaly_kind_is_detected(api, db, world):
    from assist.residents import services as rs
    w1, w2, plans = world["w1"], world["w2"], world["plans"]
    overlap_a = visit(db, plans["r1_a1"], w1, at(DAY, 9))
    overlap_b = visit(db, plans["far_a1"], w1, at(DAY, 9, 30))
    short = visit(db, plans["r2_a2"], w2, at(DAY, 14), minutes=4)
    over = visit(db, plans["r2_a2"], w2, at(DAY + dt.timedelta(days=2), 14))  # 2nd A2 visit, cap 1
    late = visit(db, plans["r1_a1"], w2, at(DAY + dt.timedelta(days=3), 9), entered_late=True)
    bare = visit(db, plans["r1_a1"], w2, at(DAY + dt.timedelta(days=4), 9), evidence=False)
    double = visit(db, plans["r1_a1_p2"], world["w3"], at(DAY + dt.timedelta(days=4), 15))
    for i in range(3):
        visit(db, plans["r1_a1"], w2, at(DAY + dt.timedelta(days=8 + i), 9), lat=39.65, lng=106.83)
    far_checkin = visit(db, plans["r1_a1"], w2, at(DAY + dt.timedelta(days=12), 9), lat=39.80, lng=106.83)
    # Served after the resident's termination took effect.
    r2 = world["r2"]
    rs.change_status(r2, {"status": "terminated", "reason": "去世", "reason_kind": "deceased",
                          "effective_on": (DAY + dt.timedelta(days=15)).isoformat()}, None)
    db.session.commit()
    after_death = visit(db, plans["r2_a2"], w2, at(DAY + dt.timedelta(days=16), 10))
    auditor = api("auditor")
    assert "overlap" in kinds_for(auditor, overlap_a.id) and "overlap" in kinds_for(auditor, overlap_b.id)
    assert "too_short" in kinds_for(auditor, short.id)
    assert "over_cap" in kinds_for(auditor, over.id) and "over_cap" not in kinds_for(auditor, short.id)
    assert "late_entry" in kinds_for(auditor, late.id)
    assert "no_evidence" in kinds_for(auditor, bare.id)
    assert "double_service" in kinds_for(auditor, bare.id) and "double_service" in kinds_for(auditor, double.id)
    assert "location_mismatch" in kinds_for(auditor, far_checkin.id)
    assert "inactive_resident" in kinds_for(auditor, after_death.id)
    assert "inactive_resident" not in kinds_for(auditor, short.id)  # before the termination took effect
    # Scope: a caseworker of the far community sees no anomaly of the other residents.
    far_cw = api("caseworker", areas=[XIZHUOZISHAN_C])
    items = far_cw.get("/api/v1/reports/anomalies?from=2026-10-01&to=2026-10-31").get_json()["items"]
    assert {a["visit_id"] for a in items} <= {overlap_b.id}


def test_settlement_mismatch_is_detected(api, db, world):
    from assist.reporting.models import SettlementBatch, SettlementLine
    v = visit(db, world["plans"]["r1_a1"], world["w1"], at(DAY, 9))
    batch = SettlementBatch(provider_id=world["p1"].id, month="2026-10", gross=15, deducted=0, net=15,
                            lines=[SettlementLine(visit_id=v.id, item_code="A1", quantity=1, unit_price=15, amount=16)])
    db.session.add(batch)
    db.session.commit()
    assert "settlement_mismatch" in kinds_for(api("auditor"))


def test_stats_recompute_from_the_records(api, db, world):
    plans = world["plans"]
    visit(db, plans["r1_a1"], world["w1"], at(DAY, 9))
    visit(db, plans["r1_a1"], world["w1"], at(DAY + dt.timedelta(days=1), 9))
    visit(db, plans["r2_a2"], world["w2"], at(DAY, 14))
    visit(db, plans["r1_a1_p2"], world["w3"], at(dt.date(2026, 9, 30), 9))  # outside the period
    body = api("auditor").get("/api/v1/stats?from=2026-10-01&to=2026-10-31").get_json()
    assert body["residents_served"] == 2 and body["services"] == 3
    assert body["by_category"] == {"A": 3, "B": 0, "C": 0, "D": 0, "E": 0, "F": 0}
    assert body["by_month"] == {"2026-10": {"services": 3, "residents": 2, "amount": "90.00"}}
    assert body["by_item"]["A1"]["services"] == 2 and body["by_item"]["A2"]["amount"] == "60.00"
    scoped = api("caseworker", areas=[XIZHUOZISHAN_C]).get("/api/v1/stats?from=2026-10-01&to=2026-10-31").get_json()
    assert scoped["services"] == 0
    assert api("auditor").get("/api/v1/stats?from=2026-10-31&to=2026-10-01").status_code == 422


def test_history_pdf_reads_back_with_masked_id_and_is_verifiable(api, db, world, tmp_path):
    r1 = world["r1"]
    visit(db, world["plans"]["r1_a1"], world["w1"], at(DAY, 9))
    c = api("caseworker")
    resp = c.get(f"/api/v1/residents/{r1.id}/history.pdf?from=2026-10-01&to=2026-10-31")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(resp.data, tmp_path)
    flat = squash(text)
    assert "王守义" in text and r1.id_number_masked in text and r1.id_number not in flat
    assert "A1助餐送餐" in flat and "颐康居家养老服务中心" in flat and "本文件含敏感个人信息" in flat
    code = re.search(r"验证码[:：]?\s*([2-9A-Z]{10})", text).group(1)
    assert c.get(f"/api/v1/verify/{code}?sha256={hashlib.sha256(resp.data).hexdigest()}").get_json()["genuine"] is True
    altered = resp.data.replace(b"%%EOF", b"% altered\n%%EOF")
    assert c.client.post(f"/api/v1/verify/{code}", data=altered).get_json()["genuine"] is False
    assert c.client.post(f"/api/v1/verify/{code}", data=resp.data).get_json()["genuine"] is True
    assert c.get("/api/v1/verify/NOSUCHCODE").status_code == 404
    audit = api("auditor").get(f"/api/v1/audit?object_type=resident&object_id={r1.id}").get_json()["items"]
    assert any(e["action"] == "print" and e["changes"]["code"] == code for e in audit)
    # Out of scope: 404, and no PDF.
    assert api("caseworker", areas=[XIZHUOZISHAN_C]).get(f"/api/v1/residents/{r1.id}/history.pdf").status_code == 404


def test_settlement_pdf_totals_recompute_and_deduct_flagged_visits(api, db, world, tmp_path):
    plans = world["plans"]
    visit(db, plans["r1_a1"], world["w1"], at(DAY, 9))  # 15.00
    visit(db, plans["r1_a1"], world["w1"], at(DAY + dt.timedelta(days=1), 9))  # 15.00
    visit(db, plans["r2_a2"], world["w2"], at(DAY, 14), evidence=False)  # 60.00, no evidence → deducted
    visit(db, plans["r1_a1"], world["w1"], at(DAY + dt.timedelta(days=2), 9), verified=False)  # not verified: excluded
    auditor = api("auditor")
    resp = auditor.get(f"/api/v1/reports/settlement.pdf?provider_id={world['p1'].id}&month=2026-10")
    assert resp.status_code == 200
    flat = squash(pdf_text(resp.data, tmp_path))
    assert "颐康居家养老服务中心" in flat and "90.00" in flat and "60.00" in flat and "30.00" in flat
    assert "王守义" in flat and "李桂兰" in flat
    issued = api("admin").post("/api/v1/settlements", json={"provider_id": world["p1"].id, "month": "2026-10"})
    assert issued.status_code == 201
    assert issued.get_json() == {**issued.get_json(), "gross": "90.00", "deducted": "60.00", "net": "30.00", "lines": 3}
    assert auditor.get("/api/v1/reports/settlement.pdf?provider_id=99999&month=2026-10").status_code == 404
    assert auditor.get(f"/api/v1/reports/settlement.pdf?provider_id={world['p1'].id}&month=2026-13").status_code == 422
    assert api("caseworker").get(f"/api/v1/reports/settlement.pdf?provider_id={world['p1'].id}&month=2026-10").status_code == 403


def test_summary_pdf_and_empty_period(api, db, world, tmp_path):
    visit(db, world["plans"]["r1_a1"], world["w1"], at(DAY, 9))
    auditor = api("auditor")
    resp = auditor.get("/api/v1/reports/summary.pdf?from=2026-10-01&to=2026-10-31")
    assert resp.status_code == 200
    flat = squash(pdf_text(resp.data, tmp_path))
    assert "华苑社区" in flat and "A1助餐送餐" in flat
    empty = auditor.get("/api/v1/reports/summary.pdf?from=2020-01-01&to=2020-01-31")
    assert empty.status_code == 200 and "本期无记录" in squash(pdf_text(empty.data, tmp_path))
    assert auditor.get("/api/v1/reports/summary.pdf?from=2026-10-01&to=2026-10-31&area_code=nowhere").status_code == 404


def test_anomaly_pdf_and_page(api, client, login, db, world, tmp_path):
    v = visit(db, world["plans"]["r1_a1"], world["w1"], at(DAY, 9), evidence=False)
    resp = api("auditor").get("/api/v1/reports/anomalies.pdf?from=2026-10-01&to=2026-10-31")
    assert "已完成但无服务凭证" in squash(pdf_text(resp.data, tmp_path))
    login("auditor")
    page = client.get("/reports/anomalies?from=2026-10-01&to=2026-10-31").get_data(as_text=True)
    assert f"V{v.id}" in page


def test_verify_page_accepts_genuine_and_rejects_altered(api, client, db, world, tmp_path):
    import io
    resp = api("caseworker").get(f"/api/v1/residents/{world['r1'].id}/history.pdf")
    code = re.search(r"([2-9A-Z]{10})", resp.headers["Content-Disposition"]).group(1)
    page = client.post(f"/verify/{code}", data={"file": (io.BytesIO(resp.data), "h.pdf")}).get_data(as_text=True)
    assert 'data-testid="verify-genuine"' in page
    page = client.post(f"/verify/{code}", data={"file": (io.BytesIO(resp.data + b"\n"), "h.pdf")}).get_data(as_text=True)
    assert 'data-testid="verify-altered"' in page


def test_exports_visits_and_settlement_lines(api, db, world):
    import io

    import openpyxl
    plans = world["plans"]
    visit(db, plans["r1_a1"], world["w1"], at(DAY, 9))
    visit(db, plans["far_a1"], world["w1"], at(DAY, 11))
    cw = api("caseworker")
    resp = cw.get("/api/v1/reports/visits.xlsx?from=2026-10-01&to=2026-10-31")
    assert resp.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.data))["服务工单"].iter_rows(values_only=True))
    assert rows[0][0] == "工单号" and [r[4] for r in rows[1:]] == ["王守义"]  # the far resident is out of scope
    resp = api("auditor").get(f"/api/v1/reports/settlement.xlsx?provider_id={world['p1'].id}&month=2026-10")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    lines = list(wb["结算明细"].iter_rows(min_row=2, values_only=True))
    assert len(lines) == 2 and sum(r[8] for r in lines) == 30.0
    assert list(wb["合计"].iter_rows(min_row=2, values_only=True))[0] == (30.0, 0.0, 30.0)


def test_batch_printing_of_a_community(client, login, db, world, tmp_path, app):
    from assist.core import jobs
    from assist.reporting import batch
    visit(db, world["plans"]["r1_a1"], world["w1"], at(DAY, 9))
    login("caseworker")
    r = client.post("/reports/batch", data={"area_code": LASENGZHONG, "from": "2026-10-01", "to": "2026-10-31"})
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="batch-download"' in page
    job_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    assert client.get(f"/reports/batch/{job_id}.json").get_json()["status"] == "done"
    flat = squash(pdf_text(client.get(f"/reports/batch/{job_id}.pdf").data, tmp_path))
    assert "王守义" in flat and "李桂兰" in flat and "远方" not in flat  # the far resident is outside the scope
    # A larger batch runs in the background and reports progress.
    batch.SYNC_LIMIT = 0
    try:
        r = client.post("/reports/batch", data={"area_code": LASENGZHONG})
        job_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
        assert jobs.join(f"print-{job_id}", 60)
        progress = client.get(f"/reports/batch/{job_id}.json").get_json()
        assert progress["status"] == "done" and progress["done"] == progress["total"] == 2
    finally:
        batch.SYNC_LIMIT = 20


def test_location_mismatch_against_the_recorded_home(api, db, world):
    cw = api("caseworker")
    r1 = world["r1"]
    body = cw.get(f"/api/v1/residents/{r1.id}").get_json()
    assert cw.patch(f"/api/v1/residents/{r1.id}", json={"version": body["version"], "home_lat": 39.65}).status_code == 422
    r = cw.patch(f"/api/v1/residents/{r1.id}", json={"version": body["version"], "home_lat": 39.65, "home_lng": 106.83})
    assert r.status_code == 200 and r.get_json()["home_lat"] == 39.65
    near = visit(db, world["plans"]["r1_a1"], world["w1"], at(DAY, 9), lat=39.651, lng=106.831)
    far = visit(db, world["plans"]["r1_a1"], world["w1"], at(DAY + dt.timedelta(days=1), 9), lat=39.70, lng=106.83)
    auditor = api("auditor")
    assert "location_mismatch" in kinds_for(auditor, far.id)
    assert "location_mismatch" not in kinds_for(auditor, near.id)
