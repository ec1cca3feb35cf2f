"""The needs-diary figures and list as an xlsx workbook (openpyxl): plain data in, bytes out."""
from __future__ import annotations

import io

from flask import current_app
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from assist.core import audit
from assist.core.timeutil import LOCAL_TZ
from assist.diary import figures as fig_module
from assist.diary.services import ESCALATION_TITLES, KIND_TITLES, STATUS_TITLES

# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _local(value):
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value else None


def _widths(ws, widths) -> None:
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w


def workbook(figures: fig_module.Figures, problems: list, bureau: str) -> bytes:
    """Sheet 1: the figures per area with the totals; sheet 2: the needs collected in the period."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Figures")[:31]
    ws.append([_safe(bureau) + " · " + _("Needs diary figures")])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([_("Period"), f"{figures.start.isoformat()} – {figures.end.isoformat()}"])
    header = [_("Area"), _("Level")] + [str(fig_module.TITLES[k]) for k in fig_module.COUNTS[:6]] \
        + [str(fig_module.TITLES["satisfaction_rate"])] + [str(fig_module.TITLES[k]) for k in fig_module.COUNTS[6:]]
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    levels = {"district": _("District"), "street": _("Street"), "community": _("Community"), "grid": _("Grid")}

    def line(name, level, row):
        rate = row.satisfaction_rate
        return ([_safe(name), level] + [row.counts.get(k, 0) for k in fig_module.COUNTS[:6]]
                + [rate] + [row.counts.get(k, 0) for k in fig_module.COUNTS[6:]])

    for row in figures.rows:
        ws.append(line("　" * row.depth + row.area.name, levels.get(row.area.level, row.area.level), row))
        if row.depth == 0:
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
    ws.append(line(_("Total"), "", figures.totals))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    rate_col = get_column_letter(2 + 6 + 1)
    for cell in ws[rate_col][3:]:
        cell.number_format = "0.0%"
    _widths(ws, [22, 10] + [12] * (len(header) - 2))
    ws.freeze_panes = "C4"

    ws2 = wb.create_sheet(_("Needs")[:31])
    ws2.append([_("No."), _("Visit time"), _("Area"), _("Kind"), _("Description"), _("Resident"), _("Partner unit"),
                _("Status"), _("Due date"), _("Dispatched at"), _("Resolved at"), _("Result"), _("Resident's answer"),
                _("Escalation")])
    for cell in ws2[1]:
        cell.font = Font(bold=True)
    for p in problems:
        answer = None if p.satisfied is None else (_("satisfied") if p.satisfied else _("not satisfied"))
        ws2.append([p.id, _local(p.diary.visited_at), _safe(p.area.name), str(KIND_TITLES[p.kind]),
                    _safe(p.description), _safe(p.resident.name) if p.resident_id else None,
                    _safe(p.unit.name) if p.unit_id else None, str(STATUS_TITLES[p.status]), p.due_date,
                    _local(p.dispatched_at), _local(p.resolved_at), _safe(p.result) or None, answer,
                    str(ESCALATION_TITLES[p.escalation_level]) if p.escalation_level else None])
    for col in ("B", "J", "K"):
        for cell in ws2[col][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
    for cell in ws2["I"][1:]:
        cell.number_format = "yyyy-mm-dd"
    _widths(ws2, [8, 17, 12, 12, 40, 10, 20, 12, 12, 17, 17, 30, 10, 16])
    ws2.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def figures_export(user, fig: fig_module.Figures) -> tuple[bytes, str]:
    """The workbook for ``fig`` in ``user``'s scope, and its file name; the export is audited (flush only)."""
    problems = fig_module.problems_in_period(user, fig.start, fig.end, fig.roots)
    data = workbook(fig, problems, current_app.config["BUREAU_NAME"])
    audit.record("export", "problem", None, {"what": "diary figures", "from": fig.start, "to": fig.end,
                                             "area_codes": [a.code for a in fig.roots], "rows": len(problems)},
                 actor=user)
    return data, f"needs-diary-{fig.start.isoformat()}-{fig.end.isoformat()}.xlsx"


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
