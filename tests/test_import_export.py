"""Importing residents from xlsx/CSV and exporting the list to xlsx (tracker issue #2, item 8)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import threading

import openpyxl
import pytest
import sqlalchemy as sa

from assist.core.audit import AuditEntry
from assist.residents import importer, sheet
from assist.residents.models import ImportJob, Resident
from tests.conftest import HUAYUAN, XINQIAO, id_number

HEADERS = ["身份证号码", "姓名", "联系电话", "所属社区", "住址", "救助类别", "失能等级", "独居", "评估日期"]


def row(number=None, name="王守义", phone="13904730000", area="华苑社区", address="华苑小区1号楼",
        group="低保对象", level="2 中度", alone="是", assessed=dt.date(2024, 5, 1)):
    return [number or id_number(), name, phone, area, address, group, level, alone, assessed]


def xlsx(rows, headers=HEADERS, title_rows=()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "救助对象"
    for t in title_rows:
        ws.append(t)
    ws.append(headers)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8", headers=HEADERS, delimiter=",") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter)
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in r])
    return out.getvalue().encode(encoding)


def upload(client, data: bytes, filename="居民.xlsx", **form):
    fields = {"file": (io.BytesIO(data), filename), **form}
    return client.post("/residents/import", data=fields, content_type="multipart/form-data")


def finished_job(client, resp) -> ImportJob:
    """Follow the upload's redirect to the job page and return the (finished) job."""
    from assist.extensions import db
    assert resp.status_code == 302, resp.data.decode()[:2000]
    job_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    assert importer.join(job_id, timeout=60)
    db.session.expire_all()
    job = db.session.get(ImportJob, job_id)
    assert job.status in ("done", "failed"), job.status
    return job


def problems(job, kind="invalid"):
    return {(p["row"], p["column"]): p["message"] for p in job.errors if p["kind"] == kind}


def residents(db):
    db.session.expire_all()
    return {r.name: r for r in db.session.scalars(sa.select(Resident))}


@pytest.fixture
def caseworker(login):
    """A caseworker of 华苑社区 who reads the app in English (the messages are asserted)."""
    return login("caseworker", areas=(HUAYUAN,), locale="en")


# --- importing ------------------------------------------------------------------------------------

def test_a_valid_workbook_imports_every_row_with_excel_quirks_cleaned(client, db, caseworker):
    numbers = [id_number(birth=dt.date(1940, 3, 2)), id_number(birth=dt.date(1952, 7, 9), male=False),
               id_number(birth=dt.date(2015, 1, 20))]
    rows = [
        # Trailing spaces, a full-width phone number, the community by name, an Excel date.
        row(numbers[0], "王守义 ", "１３９０４７３００００", " 华苑社区", assessed=dt.datetime(2024, 5, 1)),
        # The community by code, the target group by code, a level as a bare number, "否".
        row(numbers[1], "李桂兰", 13904730001, HUAYUAN, group="tekun", level=3, alone="否",
            assessed="2024/6/3"),
        # A short target-group name, an empty level and an empty condition.
        row(numbers[2], "张小花", None, "拉僧仲街道华苑社区", group="低边", level=None, alone=None, assessed=None),
    ]
    resp = upload(client, xlsx(rows))
    job = finished_job(client, resp)
    assert (job.status, job.total, job.imported, job.skipped, job.invalid) == ("done", 3, 3, 0, 0)
    assert job.errors == []

    found = residents(db)
    assert set(found) == {"王守义", "李桂兰", "张小花"}
    wang, li, zhang = found["王守义"], found["李桂兰"], found["张小花"]
    assert wang.phone == "13904730000" and wang.area_code == HUAYUAN and wang.assistance_type == "dibao"
    assert wang.lives_alone and wang.self_care_level == 2 and wang.assessed_on == dt.date(2024, 5, 1)
    assert wang.gender == "male" and wang.birth_date == dt.date(1940, 3, 2)
    assert li.phone == "13904730001" and li.assistance_type == "tekun" and li.self_care_level == 3
    assert not li.lives_alone and li.gender == "female" and li.assessed_on == dt.date(2024, 6, 3)
    assert zhang.assistance_type == "dibian" and zhang.phone is None and zhang.self_care_level == 0

    # The job page says so.
    page = client.get(f"/residents/import/{job.id}").get_data(as_text=True)
    assert 'data-testid="count-imported">3<' in page and 'data-status="done"' in page
    # Each resident has its own "create" audit entry, and the import one summary entry.
    actions = db.session.execute(sa.select(AuditEntry.action, AuditEntry.changes)
                                 .where(AuditEntry.actor_id == caseworker.id)).all()
    assert sum(1 for a, _c in actions if a == "create") == 3
    summary = [c for a, c in actions if a == "import"]
    assert len(summary) == 1 and summary[0]["imported"] == 3 and summary[0]["filename"] == "居民.xlsx"


def test_bad_rows_are_reported_by_row_and_column_and_the_rest_imported(client, db, caseworker):
    good1, good2 = id_number(), id_number()
    rows = [
        row(good1, "好人甲"),                                           # row 2
        row(good1[:-1] + ("1" if good1[-1] != "1" else "2"), "错号乙"),  # row 3: wrong check character
        row(None, "错电话丙", phone="1390473"),                          # row 4: phone too short
        row(None, "无社区丁", area="不存在社区"),                         # row 5: unknown community
        row(None, "多处错戊", phone="abc", group="低保户户", level="7"),  # row 6: three problems at once
        row(good2, "好人己"),                                           # row 7
    ]
    job = finished_job(client, upload(client, xlsx(rows)))
    assert (job.imported, job.invalid, job.skipped) == (2, 4, 0)
    found = problems(job)
    assert "check character" in found[(3, "身份证号码")]
    assert "11-digit mobile number" in found[(4, "联系电话")]
    assert "unknown community 不存在社区" in found[(5, "所属社区")]
    assert {k for k in found if k[0] == 6} == {(6, "联系电话"), (6, "救助类别"), (6, "失能等级")}
    assert "低保对象" in found[(6, "救助类别")]  # the choices are named as the user writes them
    # The report names the column by its letter as well, and the row by its name.
    entry = next(p for p in job.errors if p["row"] == 5)
    assert entry["letter"] == "D" and entry["name"] == "无社区丁"
    # Messages do not repeat the column name (it is in its own column).
    assert not found[(4, "联系电话")].startswith("Phone")

    assert set(residents(db)) == {"好人甲", "好人己"}  # nothing of the bad rows, nothing half-imported
    page = client.get(f"/residents/import/{job.id}").get_data(as_text=True)
    assert 'data-row="3" data-column="身份证号码"' in page and 'data-row="5" data-column="所属社区"' in page


def test_a_caseworker_cannot_import_into_someone_elses_community(client, db, caseworker):
    job = finished_job(client, upload(client, xlsx([row(area="新桥社区"), row(name="本社区")])))
    assert (job.imported, job.invalid) == (1, 1)
    assert "outside your areas" in problems(job)[(2, "所属社区")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident).where(Resident.area_code == XINQIAO)) == 0


def test_importing_the_same_file_again_adds_no_duplicates(client, db, caseworker):
    numbers = [id_number() for _ in range(3)]
    bad = row(numbers[2], "丙", phone="123")
    data = xlsx([row(numbers[0], "甲"), row(numbers[1], "乙"), bad])
    first = finished_job(client, upload(client, data))
    assert (first.imported, first.skipped, first.invalid) == (2, 0, 1)

    again = finished_job(client, upload(client, data))
    assert (again.imported, again.skipped, again.invalid) == (0, 2, 1)
    assert "already registered" in problems(again, "skipped")[(2, "身份证号码")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 2

    # The corrected file: only the fixed row is added.
    fixed = xlsx([row(numbers[0], "甲"), row(numbers[1], "乙"), row(numbers[2], "丙")])
    third = finished_job(client, upload(client, fixed))
    assert (third.imported, third.skipped, third.invalid) == (1, 2, 0)
    assert set(residents(db)) == {"甲", "乙", "丙"}


def test_the_same_person_twice_in_one_file_is_imported_once(client, db, caseworker):
    number = id_number()
    job = finished_job(client, upload(client, xlsx([row(number, "甲"), row(number.lower(), "甲")])))
    assert (job.imported, job.skipped) == (1, 1)
    assert "row 2" in problems(job, "skipped")[(3, "身份证号码")]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_in_the_encodings_chinese_excel_writes(client, db, caseworker, encoding):
    data = csv_bytes([row(name="欧阳镕"), row(name="王守义", area="华苑社区", group="特困供养人员")], encoding)
    job = finished_job(client, upload(client, data, "居民名单.csv"))
    assert (job.imported, job.invalid) == (2, 0), job.errors
    assert set(residents(db)) == {"欧阳镕", "王守义"}


def test_a_tab_separated_file_with_a_title_row_and_extra_columns(client, db, caseworker):
    text = "乌海市海南区救助对象花名册\n" + "\t".join(["序号", *HEADERS, "备注"]) + "\n" + \
        "\t".join(["1", id_number(), "王守义", "13904730000", "华苑社区", "地址", "低保", "1", "否", "2024-05-01",
                   "无"]) + "\n"
    job = finished_job(client, upload(client, text.encode("gb18030"), "名册.txt"))
    assert (job.imported, job.invalid) == (1, 0), job.errors
    assert job.ignored_columns == ["备注"]  # 序号 is a known export column, quietly ignored


def test_an_id_number_excel_turned_into_a_number_is_reported_clearly(client, db, caseworker):
    rows = [row(float(id_number()), "变成数字"), row(" " + id_number() + " ", "文本格式"), row("1.50303E+17", "科学计数")]
    job = finished_job(client, upload(client, xlsx(rows)))
    found = problems(job)
    assert "15 digits" in found[(2, "身份证号码")] and "text" in found[(2, "身份证号码")]
    assert "15 digits" in found[(4, "身份证号码")]
    assert (job.imported, job.invalid) == (1, 2)
    assert set(residents(db)) == {"文本格式"}

    # The same in a CSV saved by Excel (scientific notation).
    job = finished_job(client, upload(client, csv_bytes([row("1.50303E+17", "科学计数")], "gbk"), "a.csv"))
    assert "15 digits" in problems(job)[(2, "身份证号码")]


def test_only_checking_imports_nobody(client, db, caseworker):
    data = xlsx([row(name="甲"), row(name="乙", phone="1")])
    job = finished_job(client, upload(client, data, check_only="y"))
    assert job.check_only and (job.imported, job.invalid) == (1, 1)
    assert residents(db) == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "create", AuditEntry.object_type == "resident")) == 0


def test_the_template_downloads_and_imports_cleanly(client, db, caseworker):
    resp = client.get("/residents/import/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype == importer.XLSX_MIMETYPE
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["救助对象"]
    headers = [c.value for c in ws[1]]
    assert headers == [c.zh for c in sheet.COLUMNS]
    assert headers[:6] == ["身份证号码", "姓名", "联系电话", "所属社区", "住址", "救助类别"]
    assert "独居" in headers and "儿童状况" in headers  # generated from conditions.py
    assert ws["A2"].value == sheet.EXAMPLE_ID_NUMBER and ws["D2"].value == "华苑社区"
    assert ws.column_dimensions["A"].number_format == "@"  # ID numbers typed in stay text
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "低保对象" in lists["F2"] and "'选项'" in lists["D2"]

    # Uploaded as downloaded: the example row is recognised and not imported.
    job = finished_job(client, upload(client, resp.data, "救助对象导入模板.xlsx"))
    assert (job.status, job.imported, job.invalid, job.skipped) == ("done", 0, 0, 0)
    assert [p["kind"] for p in job.errors] == ["notice"] and residents(db) == {}

    # Filled in: the rows below the example are imported.
    ws.append([id_number(), "填表甲", "13904731111", "华苑社区", "地址1", "特困供养人员"])
    ws.append([id_number(male=False), "填表乙", None, "华苑社区", None, "临时救助对象", None, None, None, None,
               "4 完全丧失", "1 一级", "是"])
    out = io.BytesIO()
    wb.save(out)
    job = finished_job(client, upload(client, out.getvalue(), "模板.xlsx"))
    assert (job.imported, job.invalid) == (2, 0), job.errors
    yi = residents(db)["填表乙"]
    assert (yi.self_care_level, yi.disability_grade, yi.lives_alone, yi.assistance_type) == (4, 1, True, "linshi")


@pytest.mark.parametrize("filename,data,expected", [
    ("report.pdf", b"%PDF-1.4 not a spreadsheet", "is not an Excel workbook"),
    ("old.xls", importer.OLE_MAGIC + b"\0" * 100, "97"),
    ("broken.xlsx", b"PK\x03\x04 broken zip", "could not be read as an Excel workbook"),
    ("empty.csv", b"", "empty"),
    ("binary.csv", bytes(range(256)) * 4, "neither UTF-8 nor GBK"),
    ("headers.csv", "姓名,住址\n王守义,华苑\n".encode(), "No header row"),
    ("missing.csv", "身份证号码,姓名,所属社区\n1,王,华苑社区\n".encode(), "救助类别"),
    ("onlyheader.csv", ",".join(HEADERS).encode() + b"\n", "no rows"),
])
def test_files_that_cannot_be_imported_are_refused_politely(client, db, caseworker, filename, data, expected):
    resp = upload(client, data, filename)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert expected in page and 'data-testid="import-form"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportJob)) == 0


def test_no_file_chosen(client, caseworker):
    resp = client.post("/residents/import", data={}, content_type="multipart/form-data")
    assert resp.status_code == 422 and "Choose a file" in resp.get_data(as_text=True)


def test_too_large_files_and_too_many_rows_are_refused(app, client, db, caseworker):
    app.config["IMPORT_MAX_ROWS"] = 3
    resp = upload(client, csv_bytes([row() for _ in range(4)]), "many.csv")
    assert resp.status_code == 413 and "more than 3 rows" in resp.get_data(as_text=True)
    # In an xlsx the rows are counted while reading: the job fails and imports nobody.
    job = finished_job(client, upload(client, xlsx([row() for _ in range(4)])))
    assert job.status == "failed" and "more than 3 rows" in job.message and residents(db) == {}
    page = client.get(f"/residents/import/{job.id}").get_data(as_text=True)
    assert 'data-testid="import-failed"' in page and "more than 3 rows" in page

    app.config["IMPORT_MAX_BYTES"] = 1000
    resp = upload(client, csv_bytes([row() for _ in range(2)]) + b" " * 1000, "big.csv")
    assert resp.status_code == 413 and "larger than" in resp.get_data(as_text=True)
    # Beyond what the server accepts at all: still the import page, not a bare error.
    app.config["MAX_CONTENT_LENGTH"] = 2000
    resp = upload(client, b"x" * 5000, "huge.csv")
    assert resp.status_code == 413 and 'data-testid="import-form"' in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 0


def test_a_large_file_runs_in_the_background_and_reports_progress(app, client, db, caseworker, monkeypatch):
    app.config.update(IMPORT_SYNC_ROWS=0, IMPORT_BATCH_SIZE=2)
    held, release = threading.Event(), threading.Event()
    seen = []

    def hold(job_id):
        from assist.extensions import db as thread_db
        job = thread_db.session.get(ImportJob, job_id)
        seen.append((job.status, job.done))
        if job.status == "running" and job.done == 2:
            held.set()
            release.wait(30)
    monkeypatch.setattr(importer, "_after_checkpoint", hold)

    resp = upload(client, xlsx([row(name=f"居民{i}") for i in range(5)] + [row(name="坏", phone="1")]))
    assert resp.status_code == 302
    job_id = int(resp.headers["Location"].split("/")[-1])
    try:
        assert held.wait(30)
        # Mid-way: the page and its JSON show the progress, and the first batch is already committed.
        status = client.get(f"/residents/import/{job_id}/status").get_json()
        assert (status["status"], status["done"], status["total"], status["percent"], status["finished"]) == \
            ("running", 2, 6, 33, False)
        page = client.get(f"/residents/import/{job_id}").get_data(as_text=True)
        assert 'aria-valuenow="33"' in page and "data-import-status-url" in page
        assert len(residents(db)) == 2
    finally:
        release.set()
    job = finished_job(client, resp)
    assert (job.status, job.done, job.imported, job.invalid) == ("done", 6, 5, 1)
    assert seen[0] == ("reading", 0) and seen[-1][0] == "done"
    final = client.get(f"/residents/import/{job_id}/status").get_json()
    assert final["finished"] and final["percent"] == 100
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "import")) == 1


def test_one_import_at_a_time_and_an_interrupted_one_is_shown_as_such(app, client, db, caseworker):
    from assist.core.db import utcnow
    running = ImportJob(user_id=caseworker.id, filename="大文件.xlsx", status="running", total=100, done=40)
    db.session.add(running)
    db.session.commit()
    resp = upload(client, xlsx([row()]))
    assert resp.status_code == 409 and "still running" in resp.get_data(as_text=True)

    # No progress for longer than IMPORT_STALL_SECONDS: the server restarted under it.
    running.updated_at = utcnow() - dt.timedelta(seconds=app.config["IMPORT_STALL_SECONDS"] + 1)
    db.session.commit()
    status = client.get(f"/residents/import/{running.id}/status").get_json()
    assert status["status"] == "interrupted" and status["finished"]
    page = client.get(f"/residents/import/{running.id}").get_data(as_text=True)
    assert 'data-testid="import-failed"' in page and "import the same file again" in page.lower()
    job = finished_job(client, upload(client, xlsx([row()])))
    assert job.imported == 1


def test_imports_are_private_to_their_user_and_the_report_downloads(client, db, caseworker, login):
    job = finished_job(client, upload(client, xlsx([row(name="甲"), row(name="乙", phone="12")])))
    report = client.get(f"/residents/import/{job.id}/report.xlsx")
    assert report.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(report.data)).active
    lines = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert lines[0][:4] == [3, "C", "联系电话", "乙"] and "mobile" in lines[0][5]

    client.post("/logout")
    login("caseworker", areas=(HUAYUAN,))
    for url in (f"/residents/import/{job.id}", f"/residents/import/{job.id}/status",
                f"/residents/import/{job.id}/report.xlsx"):
        assert client.get(url).status_code == 404
    client.post("/logout")
    login("auditor")
    assert client.get("/residents/import").status_code == 403


def test_navigation_and_list_show_import_and_export(client, caseworker, login):
    page = client.get("/residents/?assistance_type=dibao&cursor=abc").get_data(as_text=True)
    assert 'href="/residents/import"' in page
    assert 'href="/residents/export.xlsx?assistance_type=dibao"' in page  # the filters, not the page
    client.post("/logout")
    login("auditor")
    page = client.get("/residents/").get_data(as_text=True)
    assert 'data-testid="export"' in page and "/residents/import" not in page and "export-full" not in page


# --- the API ----------------------------------------------------------------------------------------

def test_api_import(client, db, api):
    c = api("caseworker", areas=(HUAYUAN,))
    data = xlsx([row(name="接口甲"), row(name="接口乙", area="不存在社区")])
    resp = c.client.post("/api/v1/residents/import", data={"file": (io.BytesIO(data), "a.xlsx")},
                         headers={"Authorization": f"Bearer {c.token}"}, content_type="multipart/form-data")
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert body["finished"] and body["imported"] == 1 and body["invalid"] == 1
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["column"] == "所属社区"
    assert c.get(resp.headers["Location"]).get_json()["id"] == body["id"]

    bad = c.client.post("/api/v1/residents/import", data={"file": (io.BytesIO(b"%PDF"), "a.pdf")},
                        headers={"Authorization": f"Bearer {c.token}"}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "file" in bad.get_json()["error"]["fields"]
    missing = c.post("/api/v1/residents/import")
    assert missing.status_code == 422
    assert api("auditor").post("/api/v1/residents/import").status_code == 403
    assert api("caseworker", areas=(HUAYUAN,)).get(f"/api/v1/residents/import/{body['id']}").status_code == 404


# --- exporting ------------------------------------------------------------------------------------

def _sheet(resp) -> list[dict]:
    assert resp.status_code == 200, resp.data[:500]
    assert resp.mimetype == importer.XLSX_MIMETYPE
    ws = openpyxl.load_workbook(io.BytesIO(resp.data), read_only=True).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_export_respects_scope_and_filters_and_masks_id_numbers(client, db, make_user, make_resident, login):
    admin = make_user("admin")
    huayuan = make_resident(admin, name="华苑甲", assistance_type="tekun", id_number=id_number(birth=dt.date(1940, 1, 2)))
    make_resident(admin, name="华苑乙", assistance_type="dibao")
    make_resident(admin, name="新桥丙", area_code=XINQIAO, assistance_type="tekun")
    cw = login("caseworker", areas=(HUAYUAN,))

    rows = _sheet(client.get("/residents/export.xlsx"))
    assert {r["姓名"] for r in rows} == {"华苑甲", "华苑乙"}  # never 新桥 outside the caseworker's area
    jia = next(r for r in rows if r["姓名"] == "华苑甲")
    assert jia["身份证号码"] == huayuan.id_number_masked and "*" in jia["身份证号码"]
    assert jia["所属社区"] == "华苑社区" and jia["所属街道"] == "拉僧仲街道" and jia["救助类别"] == "特困供养人员"
    assert jia["性别"] == "男" and jia["出生日期"].date() == dt.date(1940, 1, 2) and jia["独居"] == "是"
    assert jia["失能等级"] == "2 中度" and jia["序号"] == 1

    rows = _sheet(client.get("/residents/export.xlsx?assistance_type=tekun"))
    assert [r["姓名"] for r in rows] == ["华苑甲"]
    rows = _sheet(client.get("/residents/export.xlsx?q=hyj"))  # pinyin initials, like the list
    assert [r["姓名"] for r in rows] == ["华苑甲"]

    full = _sheet(client.get("/residents/export.xlsx?assistance_type=tekun&id_numbers=full"))
    assert full[0]["身份证号码"] == huayuan.id_number

    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export",
                                                             AuditEntry.actor_id == cw.id)
                                 .order_by(AuditEntry.seq)).all()
    assert [e.changes["rows"] for e in entries] == [2, 1, 1, 1]
    assert entries[1].changes["assistance_type"] == "tekun" and entries[1].changes["id_numbers"] == "masked"
    assert entries[3].changes["id_numbers"] == "full"

    # A bad filter: back to the list with the message, not a 500.
    resp = client.get("/residents/export.xlsx?area_code=999")
    assert resp.status_code == 302 and "/residents/" in resp.headers["Location"]

    client.post("/logout")
    login("auditor")
    assert len(_sheet(client.get("/residents/export.xlsx"))) == 3
    assert client.get("/residents/export.xlsx?id_numbers=full").status_code == 403


def test_an_export_reimports_as_already_registered(client, db, make_user, make_resident, login):
    """The export's columns are the template's: a full export is a valid import file elsewhere."""
    make_resident(make_user("admin"), name="往返甲", conditions={"lives_alone": True, "self_care_level": 3})
    login("caseworker", areas=(HUAYUAN,), locale="en")
    resp = client.get("/residents/export.xlsx?id_numbers=full")
    job = finished_job(client, upload(client, resp.data, "export.xlsx"))
    assert (job.imported, job.skipped, job.invalid) == (0, 1, 0), job.errors
    assert job.ignored_columns == []


def test_a_large_export_is_written_row_by_row(client, db, make_user, login, monkeypatch):
    """Enough rows to cross several read chunks; the sheet holds each once, in order."""
    from assist.residents import exporter, services
    monkeypatch.setattr(exporter, "CHUNK", 7)
    admin = make_user("admin")
    for i in range(exporter.CHUNK + 30):
        services.register({"id_number": id_number(birth=dt.date(1950, 1, 1) + dt.timedelta(days=i), seq=i % 1000),
                           "name": f"批量{i:05d}", "area_code": HUAYUAN, "assistance_type": "dibao"}, admin)
    db.session.commit()
    login("admin")
    rows = _sheet(client.get("/residents/export.xlsx"))
    assert len(rows) == exporter.CHUNK + 30
    assert [r["序号"] for r in rows] == list(range(1, exporter.CHUNK + 31))
    assert len({r["身份证号码"] for r in rows}) == exporter.CHUNK + 30
