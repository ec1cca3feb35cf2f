"""Visits and settlement lines as xlsx, written row by row to a temporary file (openpyxl write-only
mode keeps memory flat) and streamed to the client in chunks."""
from __future__ import annotations

import tempfile

from flask import Response
from openpyxl import Workbook
from sqlalchemy.orm import joinedload, selectinload

from assist.catalog import services as catalog_services
from assist.core.timeutil import LOCAL_TZ
from assist.extensions import db
from assist.reporting import gather
from assist.visits import services as visit_services
from assist.visits.models import Visit
from reports.history import RATING_LABELS as RATING_ZH  # the printed documents' vocabulary
from reports.history import VISIT_STATUS_LABELS as STATUS_ZH

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _stream(wb: Workbook, filename: str) -> Response:
    tmp = tempfile.TemporaryFile()
    wb.save(tmp)
    size = tmp.tell()
    tmp.seek(0)

    def chunks():
        with tmp:
            while block := tmp.read(64 * 1024):
                yield block
    return Response(chunks(), mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={filename}",
                                                      "Content-Length": str(size), "Cache-Control": "private, no-store"})


def _local(value):
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value else None


def visits_xlsx(user, args) -> tuple[Response, int]:
    items = {i.code: i for i in catalog_services.items()}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("服务工单")
    ws.append(["工单号", "计划开始", "签到", "签退", "救助对象", "服务项目编码", "服务项目", "数量", "单位", "服务机构",
               "服务人员", "状态", "回访评价", "凭证数", "超上限", "已核验", "备注"])
    stmt = visit_services.filtered(user, args).order_by(Visit.scheduled_start, Visit.id).options(
        selectinload(Visit.files), joinedload(Visit.staff))
    count = 0
    for v in db.session.scalars(stmt.execution_options(yield_per=1000)):
        count += 1
        ws.append([f"V{v.id}", _local(v.scheduled_start), _local(v.check_in_at), _local(v.check_out_at), v.resident.name,
                   v.item_code, items[v.item_code].name_zh, float(v.quantity) if v.quantity is not None else None,
                   items[v.item_code].unit_zh, v.provider.name, v.staff.label if v.staff else "",
                   STATUS_ZH.get(v.status, v.status), RATING_ZH.get(v.rating or "", ""), len(v.files),
                   "是" if v.over_cap else "", "是" if v.verified_at else "", v.notes])
    return _stream(wb, "visits.xlsx"), count


def settlement_xlsx(user, provider, year: int, month: int) -> tuple[Response, int]:
    from reports.settlement import compute_totals
    data = gather.settlement_data(user, provider, year, month)
    totals = compute_totals(data)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("结算明细")
    ws.append(["工单号", "服务日期", "救助对象", "服务项目编码", "服务项目", "数量", "单位", "单价", "金额", "服务人员"])
    for line in data.lines:
        ws.append([line.visit_ref, _local(line.served_on), line.resident_name, line.item_code, line.item_name,
                   float(line.quantity), line.unit, float(line.unit_price),
                   float((line.quantity * line.unit_price).quantize(totals.gross.__class__("0.01"))), line.worker])
    ded = wb.create_sheet("扣减")
    ded.append(["工单号", "异常类型", "说明", "扣减金额"])
    for d in data.deductions:
        ded.append([d.visit_ref, d.kind, d.detail, float(d.amount)])
    total = wb.create_sheet("合计")
    total.append(["应付", "扣减", "实付"])
    total.append([float(totals.gross), float(totals.deducted), float(totals.net)])
    return _stream(wb, f"settlement-{provider.id}-{year:04d}-{month:02d}.xlsx"), len(data.lines)


