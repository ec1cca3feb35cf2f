"""Dates in the bureau's time zone."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> dt.date:
    return dt.datetime.now(LOCAL_TZ).date()


def isoformat(value: dt.datetime | None) -> str | None:
    """ISO 8601 with offset, in local time (what a Chinese reader expects)."""
    return None if value is None else value.astimezone(LOCAL_TZ).isoformat()


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
