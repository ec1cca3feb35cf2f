"""Pre-filled plan values: the matching engine's recommended frequency for this resident, plus how
long a visit of each item usually takes. The caseworker adjusts them on the form."""
from __future__ import annotations

from dataclasses import dataclass

from assist.core.timeutil import local_today

# Minutes a visit usually takes (one hour per unit for hourly items is set from the quantity).
DURATION = {"A1": 30, "A2": 60, "A3": 30, "A4": 60, "B2": 240, "B3": 60, "B4": 180, "C1": 30, "C3": 30, "C4": 60,
            "D3": 30, "D4": 480, "E1": 60, "E4": 90, "F1": 60, "F2": 60, "F3": 120, "F4": 60}
HOURLY = {"B1", "C2", "D1", "D2", "E2", "E3"}
AS_NEEDED_RULE = "FREQ=DAILY;COUNT=1"  # as-needed items start with one visit; more are added when needed
DEFAULT_CAP = 4


@dataclass(frozen=True)
class Prefill:
    rrule: str
    duration_minutes: int
    quantity_per_visit: float
    monthly_cap: int
    text: str  # the recommended frequency in words, and why


def for_resident(item_code: str, resident) -> Prefill:
    from assist.matching import Profile, recommended_frequency
    freq = recommended_frequency(item_code, Profile.from_resident(resident), on=local_today())
    qty = freq.quantity_per_visit or 1
    minutes = int(qty * 60) if item_code in HOURLY else DURATION.get(item_code, 60)
    text = freq.text + (f"（{freq.basis}）" if freq.basis else "")
    return Prefill(freq.rrule or AS_NEEDED_RULE, minutes, qty, freq.monthly_cap or DEFAULT_CAP, text)
