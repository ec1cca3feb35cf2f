"""Matching a resident's profile against the 24 items of the catalog.

``evaluate`` explains every item criterion by criterion (the resident page, the API);
``evaluate_many`` answers only "which items, with what score" for many residents at once, through
code compiled once from the same rules (the rule tree is walked per resident only when explaining).

Score (deterministic; ineligible items and inactive residents score 0)::

    score = 100 × priority of the target group        tekun 5, dibao 4, dibian 3, zhichu 2, linshi 1
          +  10 × number of the item's need criteria that hold
                 (the distinct leaf criteria of its rule, such as 独居 or 年龄 ≥ 80; the target group
                 is not a need, and a criterion under a negation does not count)
          +  severity, summed over the measures the item's rule refers to:
                 self-care level        0–4 as assessed
                 disability             5 − grade for grades 1–4 (grade 1, the most severe, gives 4), 0 for none
                 age (old-age rules)    60–69 → 1, 70–79 → 2, 80–89 → 3, 90+ → 4

The need part never reaches 100 (no rule has more than 6 need criteria: 60 + 12 < 100), so the target
group dominates, as DOMAIN.md ranks it; among one resident's items, the need part orders them.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter
from typing import Iterable, Mapping, Sequence

from assist.core.timeutil import age_on, local_today
from assist.matching.rules import (ITEM_CODES, RULES, All, Reason, need_leaves, severity_features)
from assist.residents.conditions import (ASSISTANCE_TYPES, BY_KEY, CHILD_STATUSES, CONDITION_KEYS, PRIORITY,
                                         STATUSES, defaults)

# The columns a profile is made of, in the order bulk rows are given (a ``select`` of these
# Resident columns can be passed straight to :func:`evaluate_many`).
PROFILE_COLUMNS: tuple[str, ...] = ("assistance_type", "status", "birth_date") + CONDITION_KEYS

STATUS_ZH = {"active": "在册", "suspended": "已暂停", "terminated": "已终止"}
GROUP_WEIGHT = 100
NEED_WEIGHT = 10


@dataclass(frozen=True)
class Profile:
    """What matching needs to know about a resident: target group, status, birth date, conditions.

    ``on`` is the day the profile describes (age is counted on it) when :func:`evaluate` is not told
    otherwise; ``None`` means today in the bureau's time zone.
    """

    assistance_type: str
    status: str
    birth_date: dt.date
    self_care_level: int = 0
    disability_grade: int = 0
    lives_alone: bool = False
    no_close_relatives: bool = False
    widowed: bool = False
    chronic_illness: bool = False
    serious_illness: bool = False
    bedridden: bool = False
    incontinent: bool = False
    limited_mobility: bool = False
    cognitive_impairment: bool = False
    vision_impairment: bool = False
    long_term_medication: bool = False
    post_surgery_rehab: bool = False
    poor_living_conditions: bool = False
    able_to_work_unemployed: bool = False
    low_social_participation: bool = False
    recent_crisis: bool = False
    carer_burden: bool = False
    child_status: str = "none"
    on: dt.date | None = None

    def __post_init__(self):
        if self.assistance_type not in ASSISTANCE_TYPES:
            raise ValueError(f"unknown target group {self.assistance_type!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if not isinstance(self.birth_date, dt.date):
            raise ValueError("birth_date must be a date")
        for key in ("self_care_level", "disability_grade"):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 4:
                raise ValueError(f"{key} must be an integer 0–4, not {value!r}")
        if self.child_status not in CHILD_STATUSES:
            raise ValueError(f"unknown child_status {self.child_status!r}")
        for c in BY_KEY.values():
            if c.kind == "bool" and not isinstance(getattr(self, c.key), bool):
                raise ValueError(f"{c.key} must be true or false")

    @classmethod
    def from_resident(cls, resident, on: dt.date | None = None, *, status_history: bool = False) -> "Profile":
        """From a Resident (or anything with its attributes). Unset conditions take their defaults.

        With ``status_history``, the status is the one in effect on ``on`` according to
        ``resident.status_changes`` (for checking eligibility on a past service date) rather than
        the current one.
        """
        base = defaults()
        values = {k: getattr(resident, k, None) for k in PROFILE_COLUMNS}
        for k, default in base.items():
            if values[k] is None:
                values[k] = default
        if values["status"] is None:
            values["status"] = "active"
        if status_history and on is not None:
            values["status"] = status_on(values["status"], getattr(resident, "status_changes", ()), on)
        return cls(**values, on=on)

    @classmethod
    def from_dict(cls, data: Mapping, on: dt.date | None = None) -> "Profile":
        """From plain data: the API's resident JSON (``conditions`` nested) or flat keys.

        ``birth_date`` may be a date or ISO string; without it the birth date is read from
        ``id_number``. Keys that are not part of a profile are ignored, but unknown keys inside
        ``conditions`` are an error.
        """
        values = defaults()
        nested = data.get("conditions")
        if nested is not None:
            unknown = set(nested) - set(CONDITION_KEYS)
            if unknown:
                raise ValueError(f"unknown conditions: {sorted(unknown)}")
            values.update(nested)
        values.update({k: data[k] for k in CONDITION_KEYS if k in data})
        birth = data.get("birth_date")
        if birth is None and data.get("id_number"):
            number = str(data["id_number"])
            birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if isinstance(birth, str):
            birth = dt.date.fromisoformat(birth)
        if isinstance(birth, dt.datetime):
            birth = birth.date()
        return cls(assistance_type=data.get("assistance_type"), status=data.get("status") or "active",
                   birth_date=birth, on=on or data.get("on"), **values)

    def as_row(self) -> tuple:
        """The profile as a bulk row, in :data:`PROFILE_COLUMNS` order."""
        return _as_row(self)

    def age(self, on: dt.date | None = None) -> int:
        return age_on(self.birth_date, on or self.on or local_today())


_as_row = attrgetter(*PROFILE_COLUMNS)


def status_on(current: str, changes: Iterable, day: dt.date) -> str:
    """The status in effect on ``day``, given the current one and the kept changes.

    Each change has ``from_status``, ``to_status`` and ``effective_on``. The last change effective
    on or before ``day`` decides; if every change is later, the status before the first of them.
    """
    ordered = sorted(changes, key=lambda c: (c.effective_on, getattr(c, "id", 0) or 0))
    if not ordered:
        return current
    status = ordered[0].from_status
    for change in ordered:
        if change.effective_on > day:
            break
        status = change.to_status
    return status


@dataclass(frozen=True)
class Verdict:
    """Whether a resident qualifies for one item, the ranking score, and every criterion checked."""

    item_code: str
    eligible: bool
    score: int
    reasons: tuple[Reason, ...]

    def to_dict(self) -> dict:
        """As API.md's ``matches`` entries."""
        return {"item_code": self.item_code, "eligible": self.eligible, "score": self.score,
                "reasons": [r.to_dict() for r in self.reasons]}


def facts_of(profile: Profile, on: dt.date | None = None) -> dict:
    """The values rules are evaluated over: the profile's columns plus ``age`` on the day."""
    facts = dict(zip(PROFILE_COLUMNS, _as_row(profile)))
    facts["age"] = profile.age(on)
    return facts


def age_band(age: int) -> int:
    """Old-age severity: 60–69 → 1, 70–79 → 2, 80–89 → 3, 90+ → 4, under 60 → 0."""
    return 0 if age < 60 else 4 if age >= 90 else (age - 50) // 10


def disability_severity(grade: int) -> int:
    """Grade 1 is the most severe (4 points), grade 4 the mildest (1 point), 0 none (0)."""
    return 5 - grade if grade else 0


def need_score(item_code: str, facts: Mapping) -> int:
    """The need part of the score (see the module docstring): met need criteria and severity."""
    count = sum(1 for leaf in need_leaves(item_code) if leaf.test(facts))
    feats = severity_features(item_code)
    severity = 0
    if "self_care_level" in feats:
        severity += facts["self_care_level"]
    if "disability_grade" in feats:
        severity += disability_severity(facts["disability_grade"])
    if "age" in feats:
        severity += age_band(facts["age"])
    return NEED_WEIGHT * count + severity


def _status_reason(status: str) -> Reason:
    met = status == "active"
    mark = "✔" if met else "✘"
    return Reason("status", met, f"状态：{STATUS_ZH.get(status, status)} {mark}", f"status: {status} {mark}")


def _verdict(item_code: str, facts: Mapping, status_reason: Reason) -> Verdict:
    rule = RULES[item_code]
    if isinstance(rule, All):  # the top-level "and" is what eligibility means: list its parts plainly
        reasons = [r for part in rule.parts for r in part.explain(facts, 0)]
    else:
        reasons = rule.explain(facts, 0)
    eligible = status_reason.met and rule.test(facts)
    score = GROUP_WEIGHT * PRIORITY.get(facts["assistance_type"], 0) + need_score(item_code, facts) if eligible else 0
    return Verdict(item_code, eligible, score, (status_reason, *reasons))


def _as_profile(profile) -> Profile:
    if isinstance(profile, Profile):
        return profile
    if isinstance(profile, Mapping):
        return Profile.from_dict(profile)
    return Profile.from_resident(profile)


def evaluate_item(profile: Profile | Mapping, item_code: str, on: dt.date | None = None) -> Verdict:
    """The verdict on one item, with every criterion explained."""
    profile = _as_profile(profile)
    facts = facts_of(profile, on)
    return _verdict(item_code, facts, _status_reason(profile.status))


def evaluate(profile: Profile | Mapping, on: dt.date | None = None,
             items: Sequence[str] | None = None) -> list[Verdict]:
    """Verdicts on all 24 items (or ``items``), each explained criterion by criterion.

    The hard rule comes first: a resident who is not active is eligible for nothing, and every
    verdict's first reason says so ("状态：已暂停 ✘"); the item's own criteria follow anyway, so a
    caseworker sees what would apply on reactivation. Order: eligible items by descending score,
    then by item code; then the ineligible ones by item code.
    """
    profile = _as_profile(profile)
    facts = facts_of(profile, on)
    status_reason = _status_reason(profile.status)
    verdicts = [_verdict(code, facts, status_reason) for code in (items or ITEM_CODES)]
    verdicts.sort(key=lambda v: (not v.eligible, -v.score, v.item_code))
    return verdicts


# --- bulk -----------------------------------------------------------------------------------------

def _bulk_source(items: tuple[str, ...]) -> str:
    """Python source of one function that matches a sequence of rows against ``items``.

    Each rule becomes one ``if`` over local variables named after the profile's columns, and its
    score one arithmetic expression, so a row costs a tuple unpacking and a few dozen comparisons.
    """
    sev = {"self_care_level": "self_care_level", "disability_grade": "sev_dg", "age": "sev_age"}
    lines = [
        "def match_rows(rows, on_year, on_md, base_of):",
        "    out = []",
        "    push = out.append",
        f"    for ({', '.join(PROFILE_COLUMNS)},) in rows:",
        "        if status != 'active':",
        "            push([])",
        "            continue",
        "        age = on_year - birth_date.year - (on_md < (birth_date.month, birth_date.day))",
        "        base = base_of.get(assistance_type, 0)",
        # the same formulas as disability_severity() and age_band()
        "        sev_dg = 5 - disability_grade if disability_grade else 0",
        "        sev_age = 0 if age < 60 else 4 if age >= 90 else (age - 50) // 10",
        "        hits = []",
        "        hit = hits.append",
    ]
    for code in items:
        count = " + ".join(f"({leaf.py()})" for leaf in need_leaves(code)) or "0"
        severity = "".join(f" + {sev[f]}" for f in sorted(severity_features(code)))
        lines.append(f"        if {RULES[code].py()}:")
        lines.append(f"            hit((-(base + {NEED_WEIGHT} * ({count}){severity}), {code!r}))")
    lines += [
        "        if len(hits) > 1:",
        "            hits.sort()",
        "        push([(c, -s) for s, c in hits])",
        "    return out",
    ]
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=32)
def _compiled(items: tuple[str, ...]):
    namespace: dict = {}
    exec(compile(_bulk_source(items), f"<matching rules {','.join(items)}>", "exec"), namespace)
    return namespace["match_rows"]


def _rows(rows: Iterable) -> Iterable[tuple]:
    for row in rows:
        if type(row) is tuple:
            yield row
        elif isinstance(row, Profile):
            yield _as_row(row)
        elif isinstance(row, Mapping):
            yield _as_row(Profile.from_dict(row))
        elif hasattr(row, "assistance_type"):  # a Resident, or a result row with named columns
            yield _as_row(row)
        else:
            yield tuple(row)


def evaluate_many(rows: Iterable, on: dt.date | None = None,
                  items: Sequence[str] | None = None) -> list[list[tuple[str, int]]]:
    """For each row, its eligible items as ``(item_code, score)``, best first — as :func:`evaluate`
    ranks them, without the reasons.

    A row is a :class:`Profile`, a mapping (as for :meth:`Profile.from_dict`), an object with the
    profile's attributes (a Resident, a result row), or a plain tuple in :data:`PROFILE_COLUMNS`
    order. Tuples are trusted as they come from the database (booleans as ``bool``, levels as
    ``int``); everything else is validated. Rows that are not active get an empty list. The result is
    in the order of ``rows``.
    """
    on = on or local_today()
    run = _compiled(tuple(items) if items else ITEM_CODES)
    base_of = {g: GROUP_WEIGHT * p for g, p in PRIORITY.items()}
    with gc_paused():
        return run(_rows(rows), on.year, (on.month, on.day), base_of)


@contextlib.contextmanager
def gc_paused():
    """Hold off the cyclic garbage collector for a bulk run.

    A run over 100,000 residents allocates about a million small tuples that can hold no cycles;
    left on, the collector keeps re-scanning them (and every other live object), which costs as
    much as the matching itself. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def bulk_source(items: Sequence[str] | None = None) -> str:
    """The generated bulk matcher's source, for reading and debugging."""
    return _bulk_source(tuple(items) if items else ITEM_CODES)


if tuple(f.name for f in fields(Profile))[:-1] != PROFILE_COLUMNS:  # conditions.py gained or lost a condition
    raise RuntimeError("Profile's fields must follow PROFILE_COLUMNS (assist/residents/conditions.py)")
