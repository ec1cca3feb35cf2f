"""Printed documents: plain data in, PDF bytes out (reportlab platypus). No Flask, no database.

Each document module defines the plain dataclasses it takes and one ``build_*`` function that
returns the PDF as bytes; all share the page template of :mod:`reports.base` (bureau, title,
printed by/at, verification code, "第 x 页 共 y 页", sensitive-information footer).

    from reports import DocumentMeta, history
    pdf = history.build_history(meta, history.HistoryData(identity=..., ledger=[...]))
"""
from .base import NO_RECORDS, SENSITIVE_NOTICE, DocumentMeta
from .anomalies import AnomalyData, AnomalyRow, build_anomalies
from .history import (ConditionEntry, DiaryEntry, HistoryData, Identity, LedgerEntry, PlanEntry,
                      TargetGroupPeriod, build_history, build_history_batch)
from .settlement import Deduction, SettlementData, SettlementLine, build_settlement, compute_totals
from .summary import SummaryData, Tally, build_summary

__all__ = [
    "DocumentMeta", "NO_RECORDS", "SENSITIVE_NOTICE",
    "Identity", "TargetGroupPeriod", "ConditionEntry", "PlanEntry", "LedgerEntry", "DiaryEntry",
    "HistoryData", "build_history", "build_history_batch",
    "SettlementLine", "Deduction", "SettlementData", "compute_totals", "build_settlement",
    "Tally", "SummaryData", "build_summary",
    "AnomalyRow", "AnomalyData", "build_anomalies",
]
