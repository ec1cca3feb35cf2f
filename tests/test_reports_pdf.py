"""The printed documents of reports/: built from purpose-made plain data and read back with poppler
(pdftotext -layout, pdffonts, pdftoppm). Pure: no app, no database."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reports import anomalies, base, fonts, history, settlement, summary
from reports.base import DocumentMeta

TZ = ZoneInfo("Asia/Shanghai")
BUREAU = "乌海市海南区民政局"
PRINTED_BY = "审计员 赵敏"
CODE = "K7Q2M9XW4P"
FULL_ID = "11010519491231002X"  # the valid example of DOMAIN.md
MASKED_ID = "110105********002X"
PROVIDER = "海南区幸福里居家养老服务中心"
REPO = Path(__file__).resolve().parents[1]


def _require_tool(name: str) -> None:
    if shutil.which(name) is None:
        if os.environ.get("ASSIST_REQUIRE_BROWSER"):
            pytest.fail(f"{name} (poppler-utils) is required in CI")
        pytest.skip(f"{name} (poppler-utils) not installed")


def pdf_pages(pdf: bytes, tmp_path: Path, *, mode: str = "-layout") -> list[str]:
    """The text of each page, as pdftotext sees it."""
    _require_tool("pdftotext")
    path = tmp_path / f"doc-{hashlib.sha1(pdf).hexdigest()[:8]}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", mode, "-enc", "UTF-8", str(path), "-"], check=True,
                         capture_output=True).stdout.decode("utf-8")
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def cid_text_readable() -> bool:
    """pdftotext reads the non-embedded STSong-Light fallback only with poppler-data's CMaps."""
    return fonts.get_fonts().embedded or os.path.isdir("/usr/share/poppler/cMap")


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


PAGE_RE = re.compile(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页")


def page_numbers(page: str) -> tuple[int, int]:
    """The footer's "第 x 页 共 y 页" (pdftotext -layout may squeeze the spaces out)."""
    found = [m for m in PAGE_RE.finditer(page) if not page[max(0, m.start() - 2):m.start()]
             .endswith("全册")]
    assert found, f"no page number on page:\n{page}"
    return int(found[-1].group(1)), int(found[-1].group(2))


def assert_every_page(pages: list[str], meta: DocumentMeta, *, sensitive: bool = True) -> None:
    """The shared page template: bureau, title, printed by/at, code, page x of y, footer."""
    assert pages
    for i, page in enumerate(pages, 1):
        flat = squash(page)
        assert squash(meta.bureau_name) in flat, f"bureau missing on page {i}"
        assert squash(meta.title) in flat, f"title missing on page {i}"
        assert squash(meta.printed_by) in flat and "2024-07-0109:30" in flat, f"printed by/at, p{i}"
        assert meta.verification_code in page, f"verification code missing on page {i}"
        assert (base.SENSITIVE_NOTICE in flat) is sensitive, f"sensitive footer, page {i}"
        assert page_numbers(page) == (i, len(pages))


@pytest.fixture
def meta():
    return DocumentMeta(bureau_name=BUREAU, title="居民服务档案", printed_by=PRINTED_BY,
                        printed_at=dt.datetime(2024, 7, 1, 9, 30, tzinfo=TZ),
                        verification_code=CODE, verify_url=f"https://assist.example.cn/v/{CODE}")


# --------------------------------------------------------------------------------------------
# Data


ITEMS = [("A1", "助餐送餐", "次", Decimal(1)), ("B1", "居室保洁", "小时", Decimal(2)),
         ("E1", "探访关爱", "次", Decimal(1)), ("D1", "起居照料", "小时", Decimal("1.5"))]


def make_identity(name="王守义", masked=MASKED_ID):
    return history.Identity(name=name, id_number_masked=masked, gender="男", age=82,
                            community="拉僧仲街道 华苑社区", grid="第3网格", phone="13904730000",
                            emergency_contact="王丽（女儿）13804731111", register_status="在册")


def make_ledger(n: int, start=dt.datetime(2024, 1, 1, 8, 0, tzinfo=TZ)) -> list:
    rows = []
    for i in range(n):
        code, name, unit, qty = ITEMS[i % len(ITEMS)]
        status = "verified" if i % 10 else ("cancelled" if i % 20 else "missed")
        rows.append(history.LedgerEntry(
            when=start + dt.timedelta(minutes=(i * 24 * 60 * 150) // max(n, 1)),
            item_code=code, item_name=name, quantity=qty if status == "verified" else None,
            unit=unit, provider=PROVIDER, worker="李春梅", status=status,
            rating="satisfied" if status == "verified" else None,
            evidence_count=2 if status == "verified" else 0,
            reason=None if status == "verified" else f"居民住院（第{i}条）", ref=f"V{i:06d}"))
    return rows


def make_history(n=12, *, name="王守义", masked=MASKED_ID, period=True) -> history.HistoryData:
    return history.HistoryData(
        identity=make_identity(name, masked),
        period_start=dt.date(2024, 1, 1) if period else None,
        period_end=dt.date(2024, 6, 30) if period else None,
        target_groups=[history.TargetGroupPeriod("特困供养人员", dt.date(2019, 3, 1)),
                       history.TargetGroupPeriod("低保对象", dt.date(2015, 1, 1),
                                                 dt.date(2019, 2, 28), "转为特困")],
        conditions=[history.ConditionEntry("失能等级", "2 中度失能", dt.date(2024, 1, 5)),
                    history.ConditionEntry("独居", "是", dt.date(2024, 1, 5))],
        plans=[history.PlanEntry("A1", "助餐送餐", "次", "每日1次", 30, PROVIDER, dt.date(2024, 1, 1)),
               history.PlanEntry("B1", "居室保洁", "小时", "每月2次，每次2小时", 4, PROVIDER,
                                 dt.date(2024, 1, 1), dt.date(2024, 12, 31), "执行中")],
        ledger=make_ledger(n),
        diary=[history.DiaryEntry(dt.date(2024, 2, 3), "微心愿",
                                  f"希望有一台收音机（身份证号{FULL_ID}，已核实）", "已办结（满意）",
                                  "海南区供电公司", dt.date(2024, 2, 20))])


# --------------------------------------------------------------------------------------------
# Page template, meta, helpers


def test_meta_requires_aware_time_and_code_and_strs_lazy_values():
    with pytest.raises(ValueError):
        DocumentMeta(BUREAU, "t", "p", dt.datetime(2024, 7, 1, 9, 30), CODE)
    with pytest.raises(ValueError):
        DocumentMeta(BUREAU, "t", "p", dt.datetime(2024, 7, 1, tzinfo=TZ), "")

    class Lazy:  # stands in for flask_babel's lazy string
        def __str__(self):
            return "居民服务档案"

    meta = DocumentMeta(BUREAU, Lazy(), "p", dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc), CODE)
    assert meta.title == "居民服务档案" and type(meta.title) is str


def test_printed_at_is_shown_in_the_bureaus_time_zone(tmp_path):
    utc = DocumentMeta(BUREAU, "居民服务档案", PRINTED_BY,
                       dt.datetime(2024, 7, 1, 1, 30, tzinfo=dt.timezone.utc), CODE)
    pages = pdf_pages(history.build_history(utc, make_history(2)), tmp_path)
    assert_every_page(pages, utc)  # 01:30 UTC is 09:30 in Asia/Shanghai


def test_redact_id_numbers_masks_full_numbers_only():
    r = base.redact_id_numbers
    assert r(f"身份证号{FULL_ID}已核实") == f"身份证号{MASKED_ID}已核实"
    assert r("110105491231002") == "110105*****1002"  # the old 15-digit form
    assert r("工单202403150000000123") == "工单202403150000000123"  # no birth date in it
    assert r("电话13904730000") == "电话13904730000"
    assert r("91150303MA0N1234X5") == "91150303MA0N1234X5"  # an organisation code
    assert r("11010519491231002X1") == "11010519491231002X1"  # part of a longer number


@pytest.mark.parametrize("amount, words", [
    ("0", "人民币零元整"), ("0.5", "人民币伍角整"), ("0.05", "人民币伍分"),
    ("1204.50", "人民币壹仟贰佰零肆元伍角整"), ("100000.07", "人民币壹拾万元零柒分"),
    ("10010", "人民币壹万零壹拾元整"), ("2190", "人民币贰仟壹佰玖拾元整"),
    ("1000001.23", "人民币壹佰万零壹元贰角叁分"),
])
def test_rmb_upper(amount, words):
    assert base.rmb_upper(Decimal(amount)) == words


def test_reports_import_nothing_of_the_app():
    code = ("import sys, reports, reports.history, reports.settlement, reports.summary, "
            "reports.anomalies\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'flask_babel', 'sqlalchemy', 'assist')]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# --------------------------------------------------------------------------------------------
# Service history


def test_history_prints_the_whole_record_with_the_id_masked(meta, tmp_path):
    pdf = history.build_history(meta, make_history(12))
    assert pdf.startswith(b"%PDF-")
    pages = pdf_pages(pdf, tmp_path)
    assert_every_page(pages, meta)
    text = "\n".join(pages)
    flat = squash(text)
    assert "王守义" in text and MASKED_ID in text
    assert FULL_ID not in flat and FULL_ID[:-1] not in flat  # not even in the diary's free text
    for label in ("一、基本信息", "二、救助资格", "三、服务计划", "四、服务台账", "五、月度服务量",
                  "六、民情日志事项", "七、取消、改期与未服务记录"):
        assert label in flat
    for needle in ("13904730000", "王丽（女儿）", "拉僧仲街道华苑社区第3网格", "特困供养人员",
                   "2019-03-01", "失能等级", "2中度失能", "每日1次", "30次", "执行中",
                   "统计期间：2024-01-01至2024-06-30", "已核验", "满意", "已取消", "未服务",
                   "居民住院（第10条）", "希望有一台收音机", "经办人：", "审核人：", "日期："):
        assert needle in flat, needle
    for code, name, _, _ in ITEMS:
        assert f"{code} {name}" in text
    assert "四、服务台账（共12条，计入服务10条）" in flat


def test_history_monthly_totals_recompute_against_caps(meta, tmp_path):
    jan = dt.datetime(2024, 1, 3, 9, 0, tzinfo=TZ)
    rows = [history.LedgerEntry(jan + dt.timedelta(days=i), "B1", "居室保洁", Decimal(2), "小时",
                                PROVIDER, "李春梅", "verified", evidence_count=1)
            for i in range(3)]  # 3 visits (6 h) in January against a cap of 2 visits
    rows.append(history.LedgerEntry(jan, "B1", "居室保洁", Decimal(2), "小时", PROVIDER, "李春梅",
                                    "cancelled", reason="居民外出"))  # does not count
    data = history.HistoryData(
        identity=make_identity(), ledger=rows,
        plans=[history.PlanEntry("B1", "居室保洁", "小时", "每月2次", 2, PROVIDER, dt.date(2024, 1, 1))])
    totals = history.monthly_totals(data)
    assert [(t.month, t.item_code, t.visits, t.quantity, t.cap, t.over_by) for t in totals] == [
        ("2024-01", "B1", 3, Decimal(6), Decimal(2), 1)]
    flat = squash("\n".join(pdf_pages(history.build_history(meta, data), tmp_path)))
    assert "2024-01B1居室保洁36小时2次超出1次" in flat


def test_history_refuses_a_full_id_number():
    with pytest.raises(ValueError):
        make_identity(masked=FULL_ID)
    with pytest.raises(ValueError):
        make_identity(masked="110105194912310")


def test_history_refuses_rows_outside_the_period():
    data = make_history(3)
    late = history.LedgerEntry(dt.datetime(2024, 7, 2, 9, tzinfo=TZ), "A1", "助餐送餐", 1, "次",
                               PROVIDER, "李春梅", "verified")
    with pytest.raises(ValueError):
        history.HistoryData(identity=data.identity, period_start=data.period_start,
                            period_end=data.period_end, ledger=[late])


def test_history_with_no_records_says_so(meta, tmp_path):
    data = history.HistoryData(identity=make_identity(), period_start=dt.date(2024, 1, 1),
                               period_end=dt.date(2024, 3, 31))
    pages = pdf_pages(history.build_history(meta, data), tmp_path)
    assert_every_page(pages, meta)
    flat = squash("\n".join(pages))
    assert flat.count(base.NO_RECORDS) >= 4  # ledger, totals, diary, cancellations
    assert "王守义" in flat and MASKED_ID in flat


def test_history_long_ledger_spans_pages_with_repeated_header(meta, tmp_path):
    n = 350
    pdf = history.build_history(meta, make_history(n))
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) >= 8
    assert_every_page(pages, meta)
    assert f"共{n}条" in squash(pages[0] + pages[1])
    ledger_pages = [p for p in pages if re.search(r"^\s*\d+\s+2024-\d\d-\d\d \d\d:\d\d", p, re.M)]
    assert len(ledger_pages) >= 7
    for page in ledger_pages:
        assert "服务时间" in page and "回访评价" in page  # the header row repeats
    numbers = [int(m.group(1)) for p in pages
               for m in re.finditer(r"^\s*(\d+)\s+2024-\d\d-\d\d \d\d:\d\d", p, re.M)]
    assert numbers == list(range(1, n + 1))
    # and pdfinfo agrees with "共 N 页"
    _require_tool("pdfinfo")
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) == len(pages)


def test_history_batch_numbers_pages_per_resident(meta, tmp_path):
    residents = [make_history(5, name="王守义"), make_history(120, name="李秀英",
                                                              masked="150303********0021"),
                 make_history(0, name="张桂兰", masked="150303********0043")]
    pdf = history.build_history_batch(meta, residents)
    pages = pdf_pages(pdf, tmp_path)
    total = len(pages)
    sections: list[list[str]] = []
    for page in pages:
        x, y = page_numbers(page)
        if x == 1:
            sections.append([])
        sections[-1].append(page)
        assert meta.verification_code in page and base.SENSITIVE_NOTICE in squash(page)
    assert [len(s) for s in sections] == [page_numbers(s[0])[1] for s in sections]
    assert len(sections) == 3
    for section, name in zip(sections, ("王守义", "李秀英", "张桂兰")):
        for page in section:  # every page names its resident in the header
            assert f"居民：{name}" in squash(page)
        assert "一、基本信息" in squash(section[0])  # each resident starts on a new page
    whole = [tuple(map(int, m.groups())) for p in pages
             for m in re.finditer(r"全册第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", p)]
    assert whole == [(i, total) for i in range(1, total + 1)]
    assert len(sections[1]) >= 3 and base.NO_RECORDS in squash("".join(sections[2]))


def test_history_batch_of_nobody_is_a_no_records_document(meta, tmp_path):
    pages = pdf_pages(history.build_history_batch(meta, []), tmp_path)
    assert len(pages) == 1 and base.NO_RECORDS in squash(pages[0])
    assert_every_page(pages, meta)


# --------------------------------------------------------------------------------------------
# Settlement


def settlement_data(**extra) -> settlement.SettlementData:
    lines = []
    for i in range(40):
        code, name, unit, qty = ITEMS[i % len(ITEMS)]
        price = {"A1": Decimal("15.00"), "B1": Decimal("40.00"), "E1": Decimal("25.00"),
                 "D1": Decimal("33.33")}[code]  # 1.5 h × 33.33 = 49.995 → 50.00
        lines.append(settlement.SettlementLine(
            f"V2024-{i:06d}", dt.date(2024, 3, 1 + i % 28), ["王守义", "李秀英", "张桂兰"][i % 3],
            code, name, unit, qty, price, "李春梅"))
    deductions = [settlement.Deduction("V2024-000003", "no_evidence", "已完成但无签名、无照片",
                                       Decimal("50.00")),
                  settlement.Deduction("V2024-000006", "too_short", "服务时长 6 分钟", Decimal("25"))]
    return settlement.SettlementData(PROVIDER, 2024, 3, lines, deductions,
                                     provider_code="52150303MJY123456X",
                                     contract_ref="HN-MZ-2024-017", batch_ref="JS202403-0005",
                                     **extra)


def test_settlement_totals_recompute(meta, tmp_path):
    meta = DocumentMeta(BUREAU, "服务费用月度结算单", PRINTED_BY, meta.printed_at, CODE)
    data = settlement_data()
    pages = pdf_pages(settlement.build_settlement(meta, data), tmp_path)
    assert_every_page(pages, meta)
    text = "\n".join(pages)
    flat = squash(text)
    cent = Decimal("0.01")

    def amount(line):
        return (Decimal(line.quantity) * Decimal(line.unit_price)).quantize(cent, ROUND_HALF_UP)

    gross = sum(amount(line) for line in data.lines)
    deducted = sum(Decimal(d.amount) for d in data.deductions)
    net = gross - deducted
    assert f"应结金额{gross:,.2f}元" in flat
    assert f"扣减金额{deducted:,.2f}元" in flat
    assert f"实结金额{net:,.2f}元" in flat
    assert base.rmb_upper(net) in flat
    totals = settlement.compute_totals(data)
    assert (totals.gross, totals.deducted, totals.net) == (gross, deducted, net)
    # every visit line: quantity × unit price
    for line in data.lines:
        row = next(r for r in text.splitlines() if line.visit_ref in r)
        assert row.split()[-1] == f"{amount(line):,.2f}", row
    # totals per item
    for code, name, _, _ in ITEMS:
        mine = [line for line in data.lines if line.item_code == code]
        row = next(r for r in text.splitlines() if r.strip().startswith(f"{code} {name}")
                   and r.split()[-1] == f"{sum(amount(x) for x in mine):,.2f}")
        assert f" {len(mine)} " in row
    assert "50.00" in text and "49.995" not in text
    for needle in (PROVIDER, "52150303MJY123456X", "2024年3月", "已完成但无服务凭证", "服务时长过短",
                   "服务机构（盖章）", "社区核验", "民政局审核", "财务复核"):
        assert needle in flat, needle
    assert "不符" not in flat


def test_settlement_flags_a_recorded_total_that_does_not_recompute(meta, tmp_path):
    data = settlement_data(recorded_total=Decimal("9999.99"))
    flat = squash("\n".join(pdf_pages(settlement.build_settlement(meta, data), tmp_path)))
    assert "9,999.99元与按明细重新计算的实结金额" in flat


def test_settlement_empty_month_says_no_records(meta, tmp_path):
    data = settlement.SettlementData(PROVIDER, 2024, 2)
    pages = pdf_pages(settlement.build_settlement(meta, data), tmp_path)
    assert len(pages) == 1
    assert_every_page(pages, meta)
    assert base.NO_RECORDS in squash(pages[0]) and "0.00元" in squash(pages[0])


# --------------------------------------------------------------------------------------------
# Summary


CATEGORIES = [("A", "生活服务"), ("B", "清洁服务"), ("C", "医疗健康"), ("D", "照护服务"),
              ("E", "关爱服务"), ("F", "能力提升与社会融入")]


def summary_data() -> summary.SummaryData:
    cat = [summary.Tally(f"{c} {n}", 10 + i, 100 * (i + 1), amount=Decimal(1000 * (i + 1)), code=c)
           for i, (c, n) in enumerate(CATEGORIES)]
    items = [summary.Tally(f"{c}{k} 项目{c}{k}", 5 + k, 10 * k + i, quantity=Decimal(12 * k),
                           unit="次", code=f"{c}{k}")
             for i, (c, _) in enumerate(CATEGORIES) for k in range(1, 5)]
    communities = [summary.Tally(f"{s}街道 {c}社区", 3 + j, 40 + 7 * j)
                   for j, (s, c) in enumerate((s, c) for s in ("拉僧仲", "西卓子山", "巴音陶亥", "公乌素")
                                              for c in ("华苑", "新桥", "兴隆", "东风", "团结", "光明"))]
    groups = [summary.Tally(n, 20 * (i + 1), 300 + i, code=c) for i, (c, n) in enumerate(
        [("tekun", "特困供养人员"), ("dibao", "低保对象"), ("dibian", "低保边缘家庭"),
         ("zhichu", "刚性支出困难家庭"), ("linshi", "临时救助对象")])]
    months = [summary.Tally(f"2024-{m:02d}", 200 + m, 300 + 10 * m) for m in range(1, 13)]
    return summary.SummaryData("乌海市海南区", dt.date(2024, 1, 1), dt.date(2024, 12, 31),
                               residents_served=512,
                               services_delivered=sum(t.services for t in cat),
                               amount=sum(t.amount for t in cat), by_category=cat, by_item=items,
                               by_community=communities, by_target_group=groups, by_month=months)


def test_summary_tables_and_charts(meta, tmp_path):
    meta = DocumentMeta(BUREAU, "服务情况统计汇总", PRINTED_BY, meta.printed_at, CODE,
                        sensitive=False)
    data = summary_data()
    pdf = summary.build_summary(meta, data)
    pages = pdf_pages(pdf, tmp_path)
    assert_every_page(pages, meta, sensitive=False)
    text = "\n".join(pages)
    flat = squash(text)
    for needle in ("一、总体情况", "二、按服务类别", "三、按服务项目", "四、按社区", "五、按救助对象类别",
                   "六、按月趋势", "512人（去重）", f"{data.services_delivered:,}人次",
                   "21,000.00元", "拉僧仲街道华苑社区", "刚性支出困难家庭", "2024-12"):
        assert needle in flat, needle
    # the charts are drawn into the PDF: their captions, axis and legend labels are text
    for caption in ("各类别服务人次", "各项目服务人次", "各社区服务人次",
                    "服务居民构成（按救助对象类别，人数）", "逐月服务人次与服务人数"):
        assert caption in flat, caption
    assert re.search(r"^\s*A1\s+A2\s+A3\s+A4\s+B1", text, re.M)  # bar chart category axis
    # total lines: services add up; residents are the distinct overall count
    total_rows = [r for r in text.splitlines() if r.strip().startswith("合计")]
    assert len(total_rows) == 5
    assert all("512*" in r for r in total_rows)
    assert f"{sum(t.services for t in data.by_category):,}" in total_rows[0]
    assert "100.0%" in total_rows[0]


def test_summary_charts_render(meta, tmp_path):
    """The charts page renders to an image (look at it: pdftoppm -png -r 60)."""
    _require_tool("pdftoppm")
    path = tmp_path / "summary.pdf"
    path.write_bytes(summary.build_summary(meta, summary_data()))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True)
    png = next(tmp_path.glob("page*.png"))
    assert png.stat().st_size > 10_000


def test_summary_of_an_empty_period_says_no_records(meta, tmp_path):
    data = summary.SummaryData("乌海市海南区", dt.date(2024, 1, 1), dt.date(2024, 1, 31), 0, 0)
    pages = pdf_pages(summary.build_summary(meta, data), tmp_path)
    assert len(pages) == 1 and base.NO_RECORDS in squash(pages[0])
    assert_every_page(pages, meta)


# --------------------------------------------------------------------------------------------
# Anomalies


def test_anomaly_report_lists_kind_record_and_detail(meta, tmp_path):
    meta = DocumentMeta(BUREAU, "异常情况报告", PRINTED_BY, meta.printed_at, CODE)
    rows = [anomalies.AnomalyRow("too_short", "工单 V2024-000101", "服务时长 6 分钟，低于合理下限 20 分钟",
                                 dt.date(2024, 3, 4), "王守义", PROVIDER, "high"),
            anomalies.AnomalyRow("overlap", "工单 V2024-000102",
                                 "与工单 V2024-000099 时间重叠 35 分钟", dt.date(2024, 3, 5),
                                 "李秀英", PROVIDER, "medium"),
            anomalies.AnomalyRow("too_short", "工单 V2024-000140", "服务时长 3 分钟",
                                 dt.date(2024, 3, 2), "张桂兰", PROVIDER),
            anomalies.AnomalyRow("自定义检查", "民情日志 M-2024-0007", f"备注含身份证号{FULL_ID}")]
    data = anomalies.AnomalyData("乌海市海南区", dt.date(2024, 3, 1), dt.date(2024, 3, 31), rows)
    pages = pdf_pages(anomalies.build_anomalies(meta, data), tmp_path)
    assert_every_page(pages, meta)
    text = "\n".join(pages)
    flat = squash(text)
    for needle in ("同一服务人员时间重叠", "服务时长过短", "自定义检查", "V2024-000101", "M-2024-0007",
                   "V2024-000099", "时间重叠35分", "2024-03-04", "共4项"):
        assert needle in flat, needle
    assert FULL_ID not in flat and MASKED_ID in flat
    # grouped in the audit's order, by date within a kind
    order = [flat.index(ref)
             for ref in ("V2024-000102", "V2024-000140", "V2024-000101", "M-2024-0007")]
    assert order == sorted(order)
    assert re.search(r"服务时长过短\s+2\b", text)


def test_anomaly_report_with_nothing_flagged_says_no_records(meta, tmp_path):
    data = anomalies.AnomalyData("乌海市海南区", dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    pages = pdf_pages(anomalies.build_anomalies(meta, data), tmp_path)
    assert len(pages) == 1 and base.NO_RECORDS in squash(pages[0])


# --------------------------------------------------------------------------------------------
# Stability, speed, fonts


def test_same_data_and_meta_give_the_same_bytes(meta):
    one = history.build_history(meta, make_history(30))
    two = history.build_history(meta, make_history(30))
    assert hashlib.sha256(one).digest() == hashlib.sha256(two).digest()
    other = DocumentMeta(BUREAU, meta.title, PRINTED_BY, meta.printed_at, "ZZZZZZZZZZ")
    assert history.build_history(other, make_history(30)) != one
    assert settlement.build_settlement(meta, settlement_data()) == \
        settlement.build_settlement(meta, settlement_data())
    assert summary.build_summary(meta, summary_data()) == \
        summary.build_summary(meta, summary_data())


def test_same_bytes_in_another_process(meta):
    code = ("import datetime as dt, hashlib, sys; sys.path.insert(0, 'tests');"
            "import test_reports_pdf as t; from zoneinfo import ZoneInfo;"
            "from reports import DocumentMeta, history;"
            "m = DocumentMeta(t.BUREAU, '居民服务档案', t.PRINTED_BY,"
            " dt.datetime(2024, 7, 1, 9, 30, tzinfo=ZoneInfo('Asia/Shanghai')), t.CODE,"
            " verify_url='https://assist.example.cn/v/' + t.CODE);"
            "print(hashlib.sha256(history.build_history(m, t.make_history(30))).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == hashlib.sha256(history.build_history(meta, make_history(30))).hexdigest()


def test_a_1000_row_ledger_builds_quickly(meta):
    data = make_history(1000)
    history.build_history(meta, make_history(2))  # font registration is once per process
    started = time.perf_counter()
    pdf = history.build_history(meta, data)
    elapsed = time.perf_counter() - started
    assert pdf.startswith(b"%PDF-")
    assert elapsed < 4, f"1000-row ledger took {elapsed:.2f}s"  # ~0.8 s on the project machine


def test_fonts_are_embedded(meta, tmp_path):
    font = fonts.get_fonts()
    if not font.embedded:
        if os.environ.get("ASSIST_REQUIRE_BROWSER"):
            pytest.fail("no TrueType CJK font installed (CI needs fonts-wqy-microhei)")
        pytest.skip("no TrueType CJK font installed; the PDFs use STSong-Light (not embedded)")
    _require_tool("pdffonts")
    for name, pdf in (("history", history.build_history(meta, make_history(12))),
                      ("summary", summary.build_summary(meta, summary_data()))):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                             check=True).stdout
        rows = out.splitlines()[2:]
        assert rows, out
        for row in rows:  # every font is an embedded TrueType subset: nothing left to the viewer
            assert "TrueType" in row and re.search(r"\byes\s+yes\s+yes\b", row), out


def test_missing_font_file_falls_back_with_a_warning(meta, tmp_path, monkeypatch, caplog):
    missing = tmp_path / "no-such-font.ttf"
    monkeypatch.setenv(fonts.ENV_VAR, str(missing))
    with caplog.at_level(logging.WARNING, logger="reports.fonts"):
        pdf = history.build_history(meta, make_history(3))
    assert str(missing) in caplog.text
    assert pdf.startswith(b"%PDF-")
    if cid_text_readable():
        assert "王守义" in squash("".join(pdf_pages(pdf, tmp_path)))


def test_no_truetype_font_at_all_falls_back_to_stsong(meta, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "gone.ttc"))
    monkeypatch.setattr(fonts, "SYSTEM_FONTS", ())
    with caplog.at_level(logging.WARNING, logger="reports.fonts"):
        info = fonts.get_fonts()
        pdf = history.build_history(meta, make_history(3))
    assert info == fonts.FontInfo(fonts.FALLBACK_FONT, None, False)
    assert "STSong-Light" in caplog.text
    _require_tool("pdffonts")
    path = tmp_path / "fallback.pdf"
    path.write_bytes(pdf)
    assert "STSong-Light" in subprocess.run(["pdffonts", str(path)], capture_output=True,
                                            text=True, check=True).stdout
    if os.path.isdir("/usr/share/poppler/cMap"):
        pages = pdf_pages(pdf, tmp_path)
        assert "王守义" in squash("".join(pages))
        assert_every_page(pages, meta)


def test_font_named_by_the_environment_is_used(meta, tmp_path, monkeypatch):
    installed = next((p for p, _, _ in fonts.SYSTEM_FONTS if os.path.isfile(p)), None)
    if installed is None:
        pytest.skip("no TrueType CJK font installed")
    link = tmp_path / os.path.basename(installed)
    link.symlink_to(installed)
    monkeypatch.setenv(fonts.ENV_VAR, str(link))
    info = fonts.get_fonts()
    assert info.path == str(link) and info.embedded and info.name.startswith("AssistCJK-")
    assert "王守义" in squash("".join(pdf_pages(history.build_history(meta, make_history(2)),
                                               tmp_path)))
