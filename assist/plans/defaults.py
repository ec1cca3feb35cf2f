"""Pre-filled plan values per item, from DOMAIN.md's typical frequencies.

(rrule, duration in minutes, quantity per visit, monthly cap). Caseworkers adjust them; the rules
are chosen so that the default never exceeds the default cap (weekly rules can give five visits
in a month, so monthly-day rules are used where a cap is tight).
"""
from __future__ import annotations

DEFAULTS: dict[str, tuple[str, int, float, float]] = {
    "A1": ("FREQ=DAILY", 30, 1, 31),
    "A2": ("FREQ=MONTHLY;BYMONTHDAY=3,10,17,24", 60, 1, 4),
    "A3": ("FREQ=MONTHLY;BYMONTHDAY=10", 30, 1, 1),
    "A4": ("FREQ=MONTHLY;BYMONTHDAY=5,19", 60, 1, 4),
    "B1": ("FREQ=MONTHLY;BYMONTHDAY=5,20", 120, 2, 4),
    "B2": ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", 240, 1, 1),
    "B3": ("FREQ=MONTHLY;BYMONTHDAY=1,15", 60, 1, 2),
    "B4": ("FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=10", 180, 1, 1),
    "C1": ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=8", 30, 1, 1),
    "C2": ("FREQ=MONTHLY;BYMONTHDAY=12", 180, 3, 12),
    "C3": ("FREQ=MONTHLY;BYMONTHDAY=1,15", 30, 1, 4),
    "C4": ("FREQ=WEEKLY;BYDAY=TU,FR", 60, 1, 10),
    "D1": ("FREQ=MONTHLY;BYMONTHDAY=1,8,15,22", 120, 2, 8),
    "D2": ("FREQ=MONTHLY;BYMONTHDAY=10,25", 480, 8, 24),
    "D3": ("FREQ=MONTHLY;BYMONTHDAY=1", 30, 1, 4),
    "D4": ("FREQ=WEEKLY;BYDAY=MO,WE,FR", 480, 1, 14),
    "E1": ("FREQ=MONTHLY;BYMONTHDAY=15", 60, 1, 1),
    "E2": ("FREQ=MONTHLY;BYMONTHDAY=6,20", 60, 1, 4),
    "E3": ("FREQ=WEEKLY;BYDAY=WE;COUNT=8", 60, 1, 5),
    "E4": ("FREQ=MONTHLY;BYMONTHDAY=6,20", 90, 1, 4),
    "F1": ("FREQ=MONTHLY;BYMONTHDAY=10", 60, 1, 2),
    "F2": ("FREQ=DAILY;COUNT=1", 60, 1, 2),
    "F3": ("FREQ=MONTHLY;BYMONTHDAY=18", 120, 1, 2),
    "F4": ("FREQ=DAILY;COUNT=1", 60, 1, 1),
}

# Frequencies that depend on the resident (DOMAIN.md): E1 by risk, D1 by self-care level.
E1_WEEKLY = ("FREQ=WEEKLY;BYDAY=TH", 60, 1, 5)
E1_QUARTERLY = ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15", 60, 1, 1)
D1_LEVEL3 = ("FREQ=MONTHLY;BYMONTHDAY=1,4,8,11,15,18,22,25", 120, 2, 16)


def for_resident(item_code: str, resident, high_risk: bool = False, key_group: bool = True) -> tuple:
    if item_code == "E1":
        if high_risk:
            return E1_WEEKLY
        return DEFAULTS["E1"] if key_group else E1_QUARTERLY
    if item_code == "D1" and getattr(resident, "self_care_level", 0) >= 3:
        return D1_LEVEL3
    return DEFAULTS[item_code]
