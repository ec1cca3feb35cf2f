"""Spreadsheets of the matching results (openpyxl in write-only mode: constant memory)."""
from __future__ import annotations

import io

from openpyxl import Workbook

from assist.areas import services as area_services
from assist.catalog import services as catalog_services
from assist.residents.conditions import ASSISTANCE_ZH


def unmet_xlsx(result) -> bytes:
    items = {i.code: i for i in catalog_services.items()}
    areas = area_services.names()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("未满足需求")
    ws.append(["序号", "救助对象ID", "姓名", "社区", "救助类别", "服务项目编码", "服务项目", "匹配得分"])
    for n, need in enumerate(result.needs, 1):
        ws.append([n, need.resident_id, need.name, areas.get(need.area_code, need.area_code),
                   ASSISTANCE_ZH[need.assistance_type], need.item_code, items[need.item_code].name_zh, need.score])
    summary = wb.create_sheet("按项目汇总")
    summary.append(["服务项目编码", "服务项目", "符合条件", "已制定计划", "已拒绝", "未满足", "供应方周服务能力"])
    for line in result.items.values():
        summary.append([line.item_code, items[line.item_code].name_zh, line.eligible, line.planned, line.declined,
                        line.unmet, line.weekly_capacity])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
