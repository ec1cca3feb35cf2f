"""A caseworker imports a workbook with one bad row, in a real Chromium."""
from __future__ import annotations

import io
import threading

import openpyxl
import pytest
from playwright.sync_api import expect

from assist.residents import importer
from assist.residents.models import ImportJob
from tests.conftest import HUAYUAN, id_number

HEADERS = ["身份证号码", "姓名", "联系电话", "所属社区", "住址", "救助类别", "独居"]


def workbook(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def held_import(live_app, monkeypatch):
    """Background imports (batches of 2 rows) that pause after their first batch until released, so
    that the test sees the progress mid-way; always released at the end."""
    live_app.config.update(IMPORT_SYNC_ROWS=0, IMPORT_BATCH_SIZE=2)
    paused, release = threading.Event(), threading.Event()

    def hold(job_id):
        from assist.extensions import db
        job = db.session.get(ImportJob, job_id)
        if job.status == "running" and job.done == 2:
            paused.set()
            release.wait(30)
    monkeypatch.setattr(importer, "_after_checkpoint", hold)
    yield paused, release
    release.set()
    for job_id in list(importer._threads):
        importer.join(job_id, 30)


def test_import_with_a_bad_row(page, live_server, browser_login, make_user, held_import):
    paused, release = held_import
    user = make_user("caseworker", areas=(HUAYUAN,))
    good = [[id_number(), "赵春华", "13904731001", "华苑社区", "华苑小区1号楼", "低保对象", "是"],
            [id_number(), "钱秋实", "13904731002", "华苑社区", "华苑小区2号楼", "特困供养人员", "否"],
            [id_number(male=False), "孙冬梅", "13904731003", "华苑社区", "华苑小区3号楼", "低边", "否"]]
    bad_number = good[0][0][:-1] + ("1" if good[0][0][-1] != "1" else "2")  # a mistyped check character
    rows = good[:2] + [[bad_number, "李错号", "13904731004", "华苑社区", "华苑小区4号楼", "低保对象", "否"]] + good[2:]

    browser_login(user)
    page.goto(live_server + "/residents/")
    page.get_by_test_id("import").click()
    expect(page.get_by_test_id("import-form")).to_be_visible()
    page.set_input_files("#file", files=[{"name": "华苑社区名单.xlsx", "buffer": workbook(rows),
                                          "mimeType": importer.XLSX_MIMETYPE}])
    page.get_by_test_id("import-submit").click()

    # The job page shows the progress while the import runs: held after 2 of 4 rows.
    assert paused.wait(30)
    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("aria-valuenow", "50")
    expect(page.locator("[data-progress-text]")).to_contain_text("2")
    release.set()

    # The page follows the job to its end by itself, then shows the result and the report.
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "done", timeout=20000)
    expect(progress).to_have_attribute("aria-valuenow", "100")
    expect(page.get_by_test_id("count-imported")).to_have_text("3")
    expect(page.get_by_test_id("count-invalid")).to_have_text("1")
    report = page.get_by_test_id("import-report")
    bad = report.locator("tbody tr")
    expect(bad).to_have_count(1)
    expect(bad).to_have_attribute("data-row", "4")  # the row as Excel numbers it
    expect(bad.locator("td").nth(0)).to_have_text("4")
    expect(bad.locator("td").nth(1)).to_contain_text("身份证号码")
    expect(bad.locator("td").nth(1)).to_contain_text("(A)")
    expect(bad.locator("td").nth(2)).to_have_text("李错号")

    # The report also downloads.
    with page.expect_download() as info:
        page.get_by_test_id("download-report").click()
    with open(info.value.path(), "rb") as f:
        ws = openpyxl.load_workbook(io.BytesIO(f.read())).active
    assert [c.value for c in ws[2]][:4] == [4, "A", "身份证号码", "李错号"]

    # The good rows are on the register; the bad one is not.
    page.goto(live_server + "/residents/")
    table = page.get_by_test_id("residents-table")
    for name in ("赵春华", "钱秋实", "孙冬梅"):
        expect(table).to_contain_text(name)
    expect(table).not_to_contain_text("李错号")
