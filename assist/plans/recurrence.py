"""RFC 5545 recurrences for plans (python-dateutil), with the limits a service plan needs."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr
from flask_babel import gettext as _

from assist.core.validation import Invalid

ALLOWED_FREQ = {DAILY, WEEKLY, MONTHLY, YEARLY}
FORBIDDEN_PARTS = ("DTSTART", "BYSECOND", "BYMINUTE", "BYHOUR")
HORIZON_DAYS = 366 * 2  # how far ahead we look for "yields no occurrence" and for the cap check


def normalise(text: str) -> str:
    text = re.sub(r"\s+", "", str(text)).upper()
    if text.startswith("RRULE:"):
        text = text[6:]
    return text


def parse(text: str, start: dt.date, start_time: dt.time = dt.time(9, 0)) -> rrule:
    """The rule anchored at the plan's start; raises Invalid with a translated message."""
    text = normalise(text)
    if not text or len(text) > 300:
        raise Invalid(_("is empty or too long"))
    if any(part in text for part in FORBIDDEN_PARTS):
        raise Invalid(_("may not set DTSTART or times of day; use the plan's start date and time"))
    try:
        rule = rrulestr(text, dtstart=dt.datetime.combine(start, start_time), forceset=False)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise Invalid(_("is not a valid RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=MO,TH"))
    if not isinstance(rule, rrule) or rule._freq not in ALLOWED_FREQ:
        raise Invalid(_("must repeat daily, weekly, monthly or yearly"))
    if (rule._interval or 1) > 366:
        raise Invalid(_("the interval is too large"))
    return rule


def occurrences(rule: rrule, start: dt.date, end: dt.date | None, frm: dt.date, to: dt.date) -> list[dt.datetime]:
    """Occurrences (naive local datetimes) with dates in [frm, to] ∩ [start, end]."""
    lo = max(frm, start)
    hi = min(to, end) if end else to
    if hi < lo:
        return []
    return rule.between(dt.datetime.combine(lo, dt.time.min), dt.datetime.combine(hi, dt.time.max), inc=True)


def first_occurrence(rule: rrule, start: dt.date, end: dt.date | None) -> dt.datetime | None:
    hi = end or start + dt.timedelta(days=HORIZON_DAYS)
    found = occurrences(rule, start, end, start, hi)
    return found[0] if found else None


def max_per_month(rule: rrule, start: dt.date, end: dt.date | None) -> int:
    """The most occurrences in any calendar month over the plan (or the next two years)."""
    hi = end or start + dt.timedelta(days=HORIZON_DAYS)
    hi = min(hi, start + dt.timedelta(days=HORIZON_DAYS))
    counts = Counter((o.year, o.month) for o in occurrences(rule, start, end, start, hi))
    return max(counts.values(), default=0)


def describe(text: str) -> str:
    """A short human reading of a rule: weekly on days, every N weeks, monthly on days or on the
    n-th weekdays, daily, yearly; a COUNT adds "N times"."""
    parts = dict(p.split("=", 1) for p in normalise(text).split(";") if "=" in p)
    days = {"MO": _("Mon"), "TU": _("Tue"), "WE": _("Wed"), "TH": _("Thu"), "FR": _("Fri"), "SA": _("Sat"),
            "SU": _("Sun")}
    raw_interval = parts.get("INTERVAL", "1")
    interval = int(raw_interval) if raw_interval.isdigit() else 1
    on = "、".join(days.get(d[-2:], d) for d in parts.get("BYDAY", "").split(",") if d)
    freq = parts.get("FREQ")
    if parts.get("COUNT") == "1":
        return _("once")
    if freq == "WEEKLY" and not on:
        out = _("every %(n)d weeks", n=interval) if interval > 1 else _("weekly")
    elif freq == "WEEKLY":
        out = (_("every %(n)d weeks on %(days)s", n=interval, days=on) if interval > 1
               else _("weekly on %(days)s", days=on))
    elif freq == "MONTHLY" and parts.get("BYMONTHDAY"):
        out = _("monthly on day %(day)s", day=parts["BYMONTHDAY"].replace(",", "、"))
    elif freq == "MONTHLY" and on and parts.get("BYSETPOS"):
        out = _("monthly on %(days)s number %(pos)s", days=on, pos=parts["BYSETPOS"].replace(",", "、"))
    elif freq == "MONTHLY":
        out = _("every %(n)d months", n=interval) if interval > 1 else _("monthly")
    elif freq == "DAILY":
        out = _("every %(n)d days", n=interval) if interval > 1 else _("daily")
    elif freq == "YEARLY":
        out = _("yearly")
    else:
        return text
    if parts.get("COUNT", "").isdigit():
        out = _("%(rule)s, %(n)d times", rule=out, n=int(parts["COUNT"]))
    return out


WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def build(pattern: str, interval, weekdays: list[str], month_days: str, custom: str) -> str:
    """The rule text from the plan form's simple choices (weekly on days, every N weeks, monthly on days)."""
    try:
        n = max(1, int(interval or 1))
    except (TypeError, ValueError):
        raise Invalid(_("the interval must be a whole number"))
    step = f";INTERVAL={n}" if n > 1 else ""
    if pattern == "weekly":
        days = [d for d in WEEKDAYS if d in (weekdays or [])]
        if not days:
            raise Invalid(_("choose at least one weekday"))
        return f"FREQ=WEEKLY{step};BYDAY={','.join(days)}"
    if pattern == "monthly":
        parts = [p for p in re.split(r"[\s,，、]+", month_days or "") if p]
        if not parts or not all(p.isdigit() and 1 <= int(p) <= 31 for p in parts):
            raise Invalid(_("give the days of the month as numbers from 1 to 31, e.g. 5,20"))
        return f"FREQ=MONTHLY{step};BYMONTHDAY={','.join(str(int(p)) for p in parts)}"
    if pattern == "daily":
        return f"FREQ=DAILY{step}"
    return normalise(custom or "")


def split(text: str) -> dict:
    """The form's simple choices for a rule text (pattern "custom" when it is not a simple one)."""
    parts = dict(p.split("=", 1) for p in normalise(text).split(";") if "=" in p)
    simple = set(parts) <= {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY"}
    out = {"pattern": "custom", "interval": parts.get("INTERVAL", "1"), "weekdays": [], "month_days": "",
           "custom": normalise(text)}
    if simple and parts.get("FREQ") == "WEEKLY" and parts.get("BYDAY") and "BYMONTHDAY" not in parts \
            and all(d in WEEKDAYS for d in parts["BYDAY"].split(",")):
        out.update(pattern="weekly", weekdays=parts["BYDAY"].split(","))
    elif simple and parts.get("FREQ") == "MONTHLY" and parts.get("BYMONTHDAY") and "BYDAY" not in parts:
        out.update(pattern="monthly", month_days=parts["BYMONTHDAY"])
    elif simple and parts.get("FREQ") == "DAILY" and len(parts) <= 2:
        out.update(pattern="daily")
    return out
