"""Resident ID numbers (居民身份证号码, GB 11643).

Checks the length, the format, the ISO 7064 MOD 11-2 check character and the birth date. The region
code is deliberately *not* checked against the birth year (stdnum's ``validate`` does, and so refuses
every 海南区 number of a person born before 1983): people keep their number when codes are renamed.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from assist.core.timeutil import local_today
from assist.core.validation import Invalid, ascii_fold

FORMAT = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII only: \d would also take ٣ or full-width digits
MAX_AGE_YEARS = 120


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: dt.date
    gender: str  # "male" | "female"


def parse(raw) -> IdNumber:
    if not isinstance(raw, str):
        raise Invalid(_("must be text"))
    # Full-width characters from a Chinese input method (１５０３…Ｘ) are the same number.
    number = re.sub(r"[\s-]", "", ascii_fold(raw)).upper()
    if len(number) != 18:
        raise Invalid(_("must be 18 characters (it has %(n)d)", n=len(number)))
    if not FORMAT.match(number):
        raise Invalid(_("must be 17 digits followed by a digit or X"))
    if ric.calc_check_digit(number) != number[-1]:
        raise Invalid(_("the check character does not match; please check each digit"))
    try:
        birth = ric.get_birth_date(number)
    except StdnumError:
        raise Invalid(_("contains an impossible birth date"))
    today = local_today()
    if birth > today:
        raise Invalid(_("contains a birth date in the future"))
    if birth < _years_before(today, MAX_AGE_YEARS):
        raise Invalid(_("contains a birth date more than %(n)d years ago", n=MAX_AGE_YEARS))
    return IdNumber(number, birth, "male" if int(number[16]) % 2 else "female")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def make(region: str, birth: dt.date, seq: int) -> str:
    """Build a valid number (demo data, tests): region + birth + 3-digit sequence + check."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")
