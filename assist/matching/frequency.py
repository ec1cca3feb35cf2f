"""Recommended frequencies, to pre-fill a service plan (DOMAIN.md's "typical frequency" column).

Most items have one typical frequency; two depend on the resident:

* E1 探访关爱: weekly for high-risk elderly, monthly for other key groups (特困, self-care level ≥ 2,
  a child with a child status), quarterly otherwise;
* D1 起居照料: 8 hours a month at self-care level 2 (or with a severe disability), 16 at level 3+.

``monthly_cap`` counts *visits* a month (what the anomaly report's over-cap check counts) and
``quantity_per_visit`` is in the item's unit (hours for 小时 items). ``rrule`` is an RFC 5545
recurrence rule, ``None`` for as-needed items.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from assist.catalog.data import ITEMS
from assist.matching.engine import Profile, _as_profile, facts_of
from assist.matching.rules import HIGH_RISK_ELDERLY, KEY_GROUP


@dataclass(frozen=True)
class Frequency:
    item_code: str
    rrule: str | None
    quantity_per_visit: int
    monthly_cap: int | None
    text: str
    text_en: str
    basis: str = ""  # why this frequency for this resident, when it depends on them
    basis_en: str = ""

    def to_dict(self) -> dict:
        return {"item_code": self.item_code, "rrule": self.rrule, "quantity_per_visit": self.quantity_per_visit,
                "monthly_cap": self.monthly_cap, "text": self.text, "text_en": self.text_en,
                "basis": self.basis, "basis_en": self.basis_en}


_CATALOG_TEXT = {row[0]: (row[5], row[6]) for row in ITEMS}

TWICE_A_MONTH = "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,3"  # 1st and 3rd Monday: never over a cap of 2
FOUR_A_MONTH = "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,2,3,4"  # the first four Mondays, also in 5-Monday months
EIGHT_A_MONTH = "FREQ=MONTHLY;BYDAY=MO,TH;BYSETPOS=1,2,3,4,5,6,7,8"

# code: (rrule, quantity per visit, monthly cap in visits) — from the catalog's typical frequencies.
# A recurrence never produces more visits in a month than the cap (a weekly rule would in 5-week months).
TYPICAL: dict[str, tuple[str | None, int, int | None]] = {
    "A1": ("FREQ=DAILY", 1, 62),                 # 1–2 a day
    "A2": (TWICE_A_MONTH, 1, 4),                 # 2–4 a month
    "A3": ("FREQ=MONTHLY", 1, 1),                # monthly
    "A4": (FOUR_A_MONTH, 1, 4),                  # ≤ 4 a month
    "B1": (TWICE_A_MONTH, 2, 2),                 # 2 h twice a month
    "B2": ("FREQ=MONTHLY;INTERVAL=3", 1, 1),     # once, then ≤ quarterly
    "B3": ("FREQ=MONTHLY", 1, 2),                # 1–2 a month
    "B4": ("FREQ=MONTHLY;INTERVAL=6", 1, 1),     # twice a year
    "C1": ("FREQ=MONTHLY;INTERVAL=3", 1, None),  # at least quarterly
    "C2": (None, 2, 4),                          # as needed, ≤ 4 a month
    "C3": ("FREQ=MONTHLY", 1, 4),                # 1–4 a month
    "C4": ("FREQ=WEEKLY", 1, 10),                # 1–2 a week per course
    "D1": (FOUR_A_MONTH, 2, 4),                  # 8 h a month at level 2 (see _d1 for 3+)
    "D2": (None, 4, 6),                          # ≤ 24 h a month
    "D3": ("FREQ=MONTHLY", 1, None),             # as needed, plus a monthly test
    "D4": (None, 1, None),                       # as needed (days)
    "E1": ("FREQ=MONTHLY;INTERVAL=3", 1, None),  # quarterly unless a key group (see _e1)
    "E2": (TWICE_A_MONTH, 1, 4),                 # 2–4 a month
    "E3": ("FREQ=WEEKLY;COUNT=8", 1, None),      # weekly × 6–8
    "E4": (TWICE_A_MONTH, 1, 4),                 # 2–4 a month
    "F1": (None, 1, None),
    "F2": (None, 1, None),
    "F3": ("FREQ=MONTHLY", 1, 2),                # 1–2 a month
    "F4": (None, 1, None),
}


def _typical(code: str) -> Frequency:
    rrule, qty, cap = TYPICAL[code]
    zh, en = _CATALOG_TEXT[code]
    return Frequency(code, rrule, qty, cap, zh, en)


def _e1(facts: Mapping) -> Frequency:
    if HIGH_RISK_ELDERLY.test(facts):
        return Frequency("E1", "FREQ=WEEKLY", 1, None, "每周1次", "weekly",
                         "高风险老人", "high-risk elderly")
    if KEY_GROUP.test(facts):
        return Frequency("E1", "FREQ=MONTHLY", 1, None, "每月1次", "monthly",
                         f"重点对象（{KEY_GROUP.definition.sentence()}）",
                         f"key group ({KEY_GROUP.definition.sentence_en()})")
    return Frequency("E1", "FREQ=MONTHLY;INTERVAL=3", 1, None, "每季度1次", "quarterly",
                     "一般对象", "other residents")


def _d1(facts: Mapping) -> Frequency:
    if facts["self_care_level"] >= 3:
        return Frequency("D1", EIGHT_A_MONTH, 2, 8, "每月8次，每次2小时（每月16小时）",
                         "8 visits of 2 h a month (16 h)",
                         f"失能等级 {facts['self_care_level']} ≥ 3", f"self-care level {facts['self_care_level']} ≥ 3")
    return Frequency("D1", FOUR_A_MONTH, 2, 4, "每月4次，每次2小时（每月8小时）", "4 visits of 2 h a month (8 h)",
                     f"失能等级 {facts['self_care_level']} < 3", f"self-care level {facts['self_care_level']} < 3")


_BY_PROFILE = {"E1": _e1, "D1": _d1}


def recommended_frequency(item_code: str, profile: Profile | Mapping | None = None,
                          on: dt.date | None = None) -> Frequency:
    """The frequency to pre-fill a plan of ``item_code`` with; the typical one without a profile.

    It does not check eligibility: call :func:`~assist.matching.engine.evaluate` for that.
    """
    if item_code not in TYPICAL:
        raise KeyError(item_code)
    if profile is None or item_code not in _BY_PROFILE:
        return _typical(item_code)
    return _BY_PROFILE[item_code](facts_of(_as_profile(profile), on))
