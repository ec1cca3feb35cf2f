"""``flask --app assist demo``: fill an empty database with a believable demo district.

Everything is written through the same services as real use (registration with its validation,
assessments and audit entries; status changes; user and provider creation), so the demo exercises
the rules instead of going around them.

The generator is a sequence of small steps called from :func:`load_demo`, sharing one :class:`Demo`
context (the admin and users by name, providers, units, residents). Each step draws from its own
seeded random stream, ``ctx.rng("<step>")``, so a step added later does not change what the earlier
ones produce. To add plans, visits or needs-diary entries: write ``_plans(ctx)`` etc. using the
features' services with ``ctx.user("caseworker")`` (or ``ctx.admin``) as the actor, call it from
:func:`load_demo` after ``_status_changes``, and put a count in ``ctx.counts`` for the summary.

The same seed gives the same district (birth dates are counted back from the current year, so a new
year shifts the ID numbers by a year; dates such as ``assistance_since`` are counted back from today).
"""
from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import string
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from stdnum.cn import uscc

from assist.areas import data as area_data
from assist.areas.models import Area
from assist.auth.models import User
from assist.core import audit
from assist.core.errors import AppError
from assist.core.timeutil import local_today
from assist.demo import activity
from assist.demo import names as N
from assist.extensions import db
from assist.providers.models import Provider
from assist.residents import idnumber
from assist.residents.conditions import defaults
from assist.residents.models import Resident
from assist.units.models import PartnerUnit

DISTRICT = area_data.DISTRICT[0]
STREET_CASEWORKER_AREA = "150303002000"  # 拉僧仲街道: caseworker2's scope
BATCH = 100  # residents per commit
MAX_RESIDENTS = 20000


class DemoError(Exception):
    """The demo cannot be loaded (the message says why, for the operator)."""


@dataclass
class Demo:
    """What the steps share: the seed, the date, the password and everything created so far."""

    seed: int
    today: dt.date
    password: str
    admin: User | None = None
    users: dict[str, User] = field(default_factory=dict)  # username → user, in creation order
    providers: list[Provider] = field(default_factory=list)
    units: list[PartnerUnit] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    used_id_numbers: set[str] = field(default_factory=set)
    used_phones: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def rng(self, step: str) -> random.Random:
        """A random stream of its own for each step (string seeds are stable across runs)."""
        return random.Random(f"assist-demo:{self.seed}:{step}")

    def user(self, username: str) -> User:
        return self.users[username]


# --- entry point ----------------------------------------------------------------------------------

def load_demo(residents: int = 520, seed: int = 2026, password: str | None = None) -> str:
    """Load the demo district into an empty database; returns a summary for the operator."""
    started = time.monotonic()
    if not 1 <= residents <= MAX_RESIDENTS:
        raise DemoError(f"--residents must be between 1 and {MAX_RESIDENTS}.")
    _check_empty()
    password = password or os.environ.get("ASSIST_DEMO_PASSWORD") or None
    generated = password is None
    password = _check_password(password) if password else _random_password()
    ctx = Demo(seed=seed, today=local_today(), password=password)
    try:
        _admin(ctx)
        _providers(ctx)
        _units(ctx)
        _users(ctx)
        db.session.commit()
        _residents(ctx, residents)
        _status_changes(ctx)
        db.session.commit()
        activity.plans(ctx)
        activity.visits(ctx)
        activity.diary(ctx)
    except AppError as exc:
        db.session.rollback()
        details = "; ".join(str(m) for ms in exc.fields.values() for m in ms)
        raise DemoError(f"The demo stopped: {exc.message}{' — ' + details if details else ''}. "
                        f"Whatever was committed before stays; recreate the database before trying again.")
    except sa.exc.DBAPIError as exc:
        db.session.rollback()
        raise DemoError(f"The database refused a write: {str(exc.orig).strip().splitlines()[0]}. Is the schema "
                        f"up to date (`flask --app assist db upgrade`)?")
    return _summary(ctx, generated, time.monotonic() - started)


def _check_empty() -> None:
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Resident))
    if existing:
        raise DemoError(f"The database already holds {existing} residents; the demo loads only into an empty "
                        f"database (create a new one with `flask --app assist db upgrade`).")
    for model, what in ((Provider, "providers"), (PartnerUnit, "partner units")):
        n = db.session.scalar(sa.select(sa.func.count()).select_from(model))
        if n:
            raise DemoError(f"The database already holds {n} {what}; the demo loads only into an empty database.")
    taken = list(db.session.scalars(sa.select(User.username).where(User.username.in_(_planned_usernames()))))
    if taken:
        raise DemoError(f"The demo's user names are taken ({', '.join(sorted(taken))}); "
                        f"the demo loads only into an empty database.")


def _planned_usernames() -> list[str]:
    return (["admin", "caseworker", "caseworker2", "auditor"]
            + [f"provider{i}" for i in range(1, len(N.PROVIDERS) + 1)]
            + [f"unit{i}" for i in range(1, len(N.UNITS) + 1)])


def _check_password(password: str) -> str:
    from assist.auth.services import password_problem
    for username in _planned_usernames():
        problem = password_problem(password, username)
        if problem:
            raise DemoError(f"The demo password {problem} (user {username}); choose another.")
    return password


def _random_password() -> str:
    """A strong random password, printed once in the summary: there is no default password."""
    from assist.auth.services import password_problem
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(16))
        if all(password_problem(candidate, u) is None for u in _planned_usernames()):
            return candidate


# --- small generators -----------------------------------------------------------------------------

def _weighted(rng: random.Random, pairs):
    items = list(pairs)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _surname(rng: random.Random) -> str:
    return _weighted(rng, N.SURNAMES)


def _name(rng: random.Random, gender: str, birth_year: int, surname: str | None = None,
          mongolian: float = 0.0) -> str:
    """A realistic name for someone of ``gender`` born in ``birth_year``."""
    if surname is None and rng.random() < mongolian:
        return rng.choice(N.MONGOLIAN_NAMES[gender])
    singles, doubles, single_share = N.GIVEN_NAMES[(N.era(birth_year), gender)]
    given = rng.choice(singles) if rng.random() < single_share else rng.choice(doubles)
    return (surname or _surname(rng)) + given


def _phone(ctx: Demo, rng: random.Random) -> str:
    while True:
        prefix = rng.choice(N.MOBILE_PREFIXES)
        middle = rng.choice(N.WUHAI_BLOCKS) if rng.random() < 0.6 else f"{rng.randrange(10000):04d}"
        number = f"{prefix}{middle}{rng.randrange(10000):04d}"
        if number not in ctx.used_phones:
            ctx.used_phones.add(number)
            return number


def _birth(rng: random.Random, today: dt.date, age: int) -> dt.date:
    """A birth date about ``age`` years ago (never in the future: the year is at least a year back)."""
    year = today.year - max(age, 1)
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def _region(rng: random.Random, local_share: float = 0.78) -> str:
    return DISTRICT if rng.random() < local_share else _weighted(rng, N.REGIONS_ELSEWHERE)


def _id_number(ctx: Demo, rng: random.Random, region: str, birth: dt.date, gender: str) -> str:
    """A valid, unused 18-character number; the sequence's parity carries the gender."""
    while True:
        seq = rng.randrange(0, 500) * 2 + (1 if gender == "male" else 0)
        number = idnumber.make(region, birth, seq)
        if number not in ctx.used_id_numbers:
            ctx.used_id_numbers.add(number)
            return number


def _address(rng: random.Random, community_code: str, community_name: str) -> str:
    kind, place = rng.choice(N.PLACES.get(community_code, (("estate", community_name.replace("社区", "") + "小区"),)))
    if kind == "village":
        return f"{place}{N.CHINESE_NUMERALS[rng.randrange(6)]}组{rng.randint(1, 60)}号"
    if kind == "rows":
        return f"{place}{rng.randint(1, 24)}排{rng.randint(1, 16)}号"
    floor = rng.randint(1, 6) if rng.random() < 0.8 else rng.randint(7, 18)
    return f"{place}{rng.randint(1, 28)}号楼{rng.randint(1, 4)}单元{floor}{rng.randint(1, 2):02d}室"


def _days_ago(ctx: Demo, days: int) -> dt.date:
    return ctx.today - dt.timedelta(days=max(days, 0))


def _org_code(rng: random.Random, prefix: str) -> str:
    """A 9-character organisation code (GB 11714): 8 characters and their MOD 11 check."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = prefix + "".join(rng.choice(alphabet if prefix else string.digits) for _ in range(8 - len(prefix)))
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def _uscc(rng: random.Random, reg_type: str) -> str:
    """A valid 统一社会信用代码 (GB 32100) registered in 海南区; the last character via stdnum."""
    # Social organisations registered since the reform carry MJ codes, new enterprises MA codes.
    org = _org_code(rng, {"51": "MJ", "52": "MJ", "91": "MA0"}.get(reg_type, ""))
    body = f"{reg_type}{DISTRICT}{org}"
    return body + uscc.calc_check_digit(body)


# --- steps ----------------------------------------------------------------------------------------

def _create_user(ctx: Demo, username: str, role: str, display_name: str, actor, **extra) -> User:
    from assist.auth.services import create_user
    user = create_user({"username": username, "password": ctx.password, "role": role,
                        "display_name": display_name, **extra}, actor=actor)
    ctx.users[username] = user
    return user


def _admin(ctx: Demo) -> None:
    """The administrator first: it is the actor of everything else an admin would do."""
    ctx.admin = _create_user(ctx, "admin", "admin", "系统管理员", actor=None)


def _providers(ctx: Demo) -> None:
    """About six organisations bought in by the bureau, each with a valid USCC, items and areas."""
    from assist.providers import services as provider_services
    rng = ctx.rng("providers")
    year = ctx.today.year
    for name, kind, reg_type, items, areas, capacity, address in N.PROVIDERS:
        data = {"name": name, "uscc": _uscc(rng, reg_type), "kind": kind,
                "contact": _name(rng, rng.choice(("male", "female")), rng.randint(1968, 1992)),
                "phone": _phone(ctx, rng), "address": address, "weekly_capacity": capacity,
                "item_codes": list(items), "area_codes": list(areas),
                "contract_start": dt.date(year - 1, 1, 1).isoformat(), "contract_end": dt.date(year, 12, 31).isoformat()}
        ctx.providers.append(provider_services.create(data, ctx.admin))
    ctx.counts["providers"] = len(ctx.providers)


def _units(ctx: Demo) -> None:
    """Partner units (包联单位) that take needs from the needs diary."""
    rng = ctx.rng("units")
    for name, kind in N.UNITS:
        unit = PartnerUnit(name=name, kind=kind, phone=_phone(ctx, rng),
                           contact=_name(rng, rng.choice(("male", "female")), rng.randint(1970, 1995)))
        db.session.add(unit)
        db.session.flush()
        audit.record("create", "unit", unit.id, {k: v for k, v in unit.to_dict().items() if k not in ("id", "version")},
                     actor=ctx.admin)
        ctx.units.append(unit)
    ctx.counts["units"] = len(ctx.units)


def _users(ctx: Demo) -> None:
    """One user of every role: caseworkers for the district and for 拉僧仲街道, provider and unit staff."""
    rng = ctx.rng("users")

    def person(birth_from=1970, birth_to=1998):
        return _name(rng, rng.choice(("male", "female")), rng.randint(birth_from, birth_to))

    _create_user(ctx, "caseworker", "caseworker", f"{person()}（区民政局）", ctx.admin, area_codes=[DISTRICT])
    _create_user(ctx, "caseworker2", "caseworker", f"{person()}（拉僧仲街道）", ctx.admin,
                 area_codes=[STREET_CASEWORKER_AREA])
    _create_user(ctx, "auditor", "auditor", f"{person(1965, 1990)}（区审计局）", ctx.admin)
    for i, provider in enumerate(ctx.providers, 1):
        _create_user(ctx, f"provider{i}", "provider", f"{person(1965, 1998)}（{provider.name}）", ctx.admin,
                     provider_id=provider.id)
    for i, unit in enumerate(ctx.units, 1):
        _create_user(ctx, f"unit{i}", "unit", f"{person()}（{unit.name}）", ctx.admin, unit_id=unit.id)


# --- residents ------------------------------------------------------------------------------------

# (label, lowest age, highest age, weight): skewed old, with children and working-age adults.
AGE_BANDS = (("child", 3, 17, 7), ("young", 18, 39, 7), ("middle", 40, 59, 16), ("60s", 60, 69, 20),
             ("70s", 70, 79, 27), ("80s", 80, 89, 18), ("90s", 90, 99, 5))
# Target groups by age band, giving overall about tekun 10%, dibao 45%, dibian 20%, zhichu 15%, linshi 10%.
GROUP_WEIGHTS = {
    "child": (("dibao", 68), ("dibian", 18), ("zhichu", 8), ("linshi", 6)),  # tekun: see unsupported below
    "adult": (("tekun", 4), ("dibao", 38), ("dibian", 15), ("zhichu", 18), ("linshi", 25)),
    "60s": (("tekun", 9), ("dibao", 48), ("dibian", 22), ("zhichu", 15), ("linshi", 6)),
    "old": (("tekun", 14), ("dibao", 47), ("dibian", 21), ("zhichu", 13), ("linshi", 5)),
}
# Years on the register, by target group (linshi is short-term by nature).
SINCE_DAYS = {"tekun": (180, 5500), "dibao": (100, 4400), "dibian": (60, 1800), "zhichu": (30, 1100),
              "linshi": (10, 200)}
SELF_CARE_BY_AGE = ((90, (8, 22, 30, 22, 18)), (80, (20, 30, 25, 15, 10)), (70, (42, 30, 16, 8, 4)),
                    (60, (62, 24, 9, 4, 1)), (0, (86, 8, 3, 2, 1)))


def _communities() -> list[tuple[str, str, float]]:
    """(code, name, weight) of every community of the district, from the reference data."""
    out = []
    for street_code, _street, communities in area_data.STREETS:
        town = street_code[6:9] >= "100"
        for code, name in communities:
            kind = "village" if name.endswith("村") else "town" if town else "street"
            out.append((code, name, N.COMMUNITY_WEIGHT[kind]))
    return out


def _residents(ctx: Demo, count: int) -> None:
    """Register ``count`` residents through the register's own service, committing in batches."""
    from assist.residents.services import register
    rng = ctx.rng("residents")
    communities = _communities()
    known = set(db.session.scalars(sa.select(Area.code).where(Area.code.in_([c for c, _, _ in communities]))))
    communities = [c for c in communities if c[0] in known]
    if not communities:
        raise DemoError("The district's areas are missing; run `flask --app assist db upgrade` first.")
    caseworker, street_caseworker = ctx.user("caseworker"), ctx.user("caseworker2")
    by_group: dict[str, int] = {}
    ids: list[int] = []
    for i in range(count):
        # Every community gets someone before the weights take over.
        code, cname, _ = communities[i] if i < len(communities) else rng.choices(
            communities, weights=[w for _, _, w in communities])[0]
        data = _resident_data(ctx, rng, code, cname)
        actor = street_caseworker if code.startswith(STREET_CASEWORKER_AREA[:9]) else caseworker
        ids.append(register(data, actor).id)
        by_group[data["assistance_type"]] = by_group.get(data["assistance_type"], 0) + 1
        if (i + 1) % BATCH == 0:
            db.session.commit()
    db.session.commit()
    # The batch commits expired every resident: load them back in one query rather than one by one,
    # so that the later steps (and those added later: plans, visits) start from loaded objects.
    mine = set(ids)
    stmt = (sa.select(Resident).where(Resident.id.between(min(ids), max(ids))).order_by(Resident.id)
            .options(selectinload(Resident.household)))
    ctx.residents = [r for r in db.session.scalars(stmt) if r.id in mine]
    ctx.counts["residents"] = len(ctx.residents)
    ctx.counts["household_members"] = sum(len(r.household) for r in ctx.residents)
    ctx.counts.update({f"group_{k}": v for k, v in by_group.items()})
    ctx.counts["communities"] = len({r.area_code for r in ctx.residents})


def _resident_data(ctx: Demo, rng: random.Random, community_code: str, community_name: str) -> dict:
    """One resident as a registration form would be filled in."""
    band, low, high, _ = rng.choices(AGE_BANDS, weights=[b[3] for b in AGE_BANDS])[0]
    age = rng.randint(low, high)
    female_share = 0.6 if age >= 80 else 0.52 if age >= 60 else 0.5
    gender = "female" if rng.random() < female_share else "male"
    birth = _birth(rng, ctx.today, age)
    # Almost everyone over 40 holds a 150303 number from before the code's 1983 creation or after;
    # incomers keep the code of their birthplace.
    name = _name(rng, gender, birth.year, mongolian=0.04)
    mongolian = name in N.MONGOLIAN_NAMES[gender]
    region = _region(rng, 0.8 if age >= 18 else 0.9)
    if mongolian and not region.startswith("15"):
        region = DISTRICT  # Mongolian families come from Inner Mongolia
    group_key = "child" if age < 18 else "adult" if age < 60 else "60s" if age < 70 else "old"
    group = _weighted(rng, GROUP_WEIGHTS[group_key])
    conds, married = (_child_conditions(rng) if age < 18 else _adult_conditions(rng, age, gender, group))
    if age < 18 and conds["child_status"] == "unsupported" and rng.random() < 0.6:
        group = "tekun"  # 事实无人抚养儿童 are often supported like 特困
    low_days, high_days = SINCE_DAYS[group]
    since = _days_ago(ctx, rng.randint(low_days, high_days))
    earliest = birth + dt.timedelta(days=200 if age < 18 else 18 * 365)
    since = min(max(since, earliest), ctx.today)
    assessed = max(since, _days_ago(ctx, rng.randint(7, 330)))
    surname = None if mongolian else _surname_of(name)
    household, contact = (_child_household(ctx, rng, name, surname, birth, conds) if age < 18 else
                          _adult_household(ctx, rng, name, surname, gender, birth, conds, married, group))
    data = {
        "id_number": _id_number(ctx, rng, region, birth, gender),
        "name": name,
        "phone": _phone(ctx, rng) if age >= 14 and rng.random() < (0.8 if age >= 80 else 0.95) else None,
        "address": _address(rng, community_code, community_name),
        "area_code": community_code,
        "assistance_type": group,
        "assistance_since": since,
        "assessed_on": assessed,
        "conditions": conds,
        "household": household,
    }
    if contact:
        data["emergency_contact_name"], data["emergency_contact_phone"] = contact
    return data


def _adult_conditions(rng: random.Random, age: int, gender: str, group: str) -> tuple[dict, bool]:
    """Conditions that hang together (age → self-care, bedridden ⇒ severe and immobile, ...).

    Returns (conditions, married): a married resident has the spouse in the household.
    """
    p = rng.random
    c = defaults()
    elderly = age >= 60
    level = rng.choices(range(5), weights=next(w for floor, w in SELF_CARE_BY_AGE if age >= floor))[0]
    disability_p = 0.16 if elderly else 0.3 if group in ("dibao", "tekun") else 0.12
    disability = rng.choices((1, 2, 3, 4), weights=(1, 2, 3, 4))[0] if p() < disability_p else 0
    if disability in (1, 2):
        level = max(level, rng.choice((1, 2, 3)))
    bedridden = level >= 3 and p() < (0.7 if level == 4 else 0.3)
    cognitive_p = 0.3 if age >= 90 else 0.16 if age >= 80 else 0.06 if age >= 70 else 0.03 if elderly else 0.01
    cognitive = p() < cognitive_p + (0.2 if level >= 3 else 0)
    chronic = p() < (0.55 + (0.2 if age >= 80 else 0) if elderly else 0.22) + (0.15 if group == "zhichu" else 0)
    serious = p() < (0.65 if group == "zhichu" else 0.08 if elderly else 0.05)
    if group == "tekun":
        married, widowed = False, p() < 0.3  # 特困: no one obliged to support them
    else:
        widowed_p = ((0.62 if age >= 80 else 0.38 if age >= 70 else 0.18) if gender == "female" else
                     (0.4 if age >= 80 else 0.2 if age >= 70 else 0.08)) if elderly else 0.03
        widowed = p() < widowed_p
        married = not widowed and p() < (0.85 if elderly else 0.65)
    no_relatives = p() < (0.7 if group == "tekun" else 0.06 if not married else 0.0)
    lives_alone = not married and (no_relatives or p() < (0.85 if group == "tekun" else 0.5))
    c.update({
        "self_care_level": level,
        "disability_grade": disability,
        "bedridden": bedridden,
        "limited_mobility": bedridden or (level >= 2 and p() < 0.85) or (disability in (1, 2) and p() < 0.6)
        or (age >= 80 and p() < 0.35) or p() < 0.05,
        "incontinent": (bedridden and p() < 0.55) or (level == 4 and p() < 0.5) or (level >= 2 and p() < 0.06),
        "cognitive_impairment": cognitive,
        "vision_impairment": p() < (0.18 if age >= 80 else 0.08 if elderly else 0.02),
        "chronic_illness": chronic,
        "serious_illness": serious,
        "long_term_medication": (chronic and p() < 0.85) or (serious and p() < 0.7) or p() < 0.03,
        "post_surgery_rehab": (serious and p() < 0.25) or p() < 0.03,
        "widowed": widowed,
        "lives_alone": lives_alone,
        "no_close_relatives": no_relatives,
        "poor_living_conditions": p() < (0.22 if lives_alone and elderly else 0.08),
        "able_to_work_unemployed": not elderly and age >= 18 and disability not in (1, 2) and level <= 1
        and not serious and p() < {"linshi": 0.7, "dibao": 0.45, "dibian": 0.4, "zhichu": 0.2}.get(group, 0),
        "recent_crisis": p() < {"linshi": 0.65, "zhichu": 0.15}.get(group, 0.03),
    })
    c["low_social_participation"] = p() < (0.45 if lives_alone else 0.5 if cognitive else 0.4 if level >= 3 else 0.12)
    # Someone in the household carries the care: not for those alone or without relatives.
    c["carer_burden"] = not lives_alone and not no_relatives and (level >= 3 or cognitive or disability in (1, 2)) \
        and p() < 0.65
    return c, married


def _child_conditions(rng: random.Random) -> tuple[dict, bool]:
    p = rng.random
    c = defaults()
    status = _weighted(rng, (("in_difficulty", 45), ("left_behind", 30), ("unsupported", 20), ("none", 5)))
    c["child_status"] = status
    if status == "in_difficulty" and p() < 0.35:
        c["disability_grade"] = rng.choices((1, 2, 3, 4), weights=(1, 2, 3, 3))[0]
        c["self_care_level"] = rng.choice((0, 1, 2, 3)) if c["disability_grade"] <= 2 else rng.choice((0, 1))
        c["limited_mobility"] = c["self_care_level"] >= 2 or p() < 0.2
    c["chronic_illness"] = p() < 0.08
    c["long_term_medication"] = c["chronic_illness"] and p() < 0.7
    c["low_social_participation"] = p() < 0.3
    c["recent_crisis"] = status == "unsupported" and p() < 0.3
    c["poor_living_conditions"] = p() < 0.15
    c["carer_burden"] = c["self_care_level"] >= 2 and p() < 0.7
    return c, False


class _Family:
    """Names and members of one household: distinct names, the family's surname, Mongolian or not."""

    def __init__(self, ctx: Demo, rng: random.Random, resident_name: str, surname: str | None):
        self.ctx, self.rng = ctx, rng
        self.mongolian = 1.0 if surname is None else 0.0  # a Mongolian family: Mongolian names
        self.names = {resident_name}
        self.members: list[dict] = []

    def name(self, gender: str, birth_year: int, surname: str | None = None) -> str:
        for _ in range(20):
            candidate = _name(self.rng, gender, birth_year, surname=surname, mongolian=self.mongolian)
            if candidate not in self.names:
                break
        self.names.add(candidate)
        return candidate

    def member(self, relation: str, name: str, gender: str, birth: dt.date, id_share: float,
               phone_share: float, add: bool = True) -> dict:
        """A household member; the ID number and phone are recorded only sometimes (as in real files)."""
        m = {"relation": relation, "name": name}
        if self.rng.random() < id_share:
            region = _region(self.rng)
            if self.mongolian and not region.startswith("15"):
                region = DISTRICT
            m["id_number"] = _id_number(self.ctx, self.rng, region, birth, gender)
        if self.rng.random() < phone_share:
            m["phone"] = _phone(self.ctx, self.rng)
        if add:
            self.members.append(m)
        return m


def _shifted_birth(rng: random.Random, birth: dt.date, years: int, today: dt.date) -> dt.date | None:
    year = birth.year + years
    if year >= today.year or today.year - year > 110:
        return None
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def _surname_of(name: str) -> str:
    return name[:2] if name[:2] in ("欧阳", "司马") else name[0]


def _contact(member: dict) -> tuple[str, str]:
    return f"{member['name']}（{member['relation']}）", member["phone"]


def _adult_household(ctx, rng, name, surname, gender, birth, conds, married, group):
    """Spouse, 子女 and 孙子女 of an adult, and the emergency contact (a relative, else a neighbour).

    ``surname`` is None for a resident with a Mongolian name. A 特困 resident has, by definition, no
    one obliged to support them: no spouse or children, at most a nephew or niece who keeps an eye.
    """
    family = _Family(ctx, rng, name, surname)
    today = ctx.today
    age = today.year - birth.year
    contacts = []
    # Children carry the father's surname: the resident's if male, else the (late) husband's.
    child_surname = None if surname is None else surname if gender == "male" else _surname(rng)
    if married:
        spouse_gender = "female" if gender == "male" else "male"
        sb = _shifted_birth(rng, birth, rng.randint(-6, 4) if gender == "male" else rng.randint(-4, 6), today)
        if sb is not None:
            spouse_name = family.name(spouse_gender, sb.year)
            if gender == "female" and surname is not None:
                child_surname = _surname_of(spouse_name)
            contacts.append(family.member("配偶", spouse_name, spouse_gender, sb, 0.6, 0.45 if age >= 60 else 0.9))
    if group == "tekun":
        # Not alone: they live with a nephew's or niece's family; else one may keep an eye.
        if not conds["no_close_relatives"] and (not conds["lives_alone"] or rng.random() < 0.7):
            g = rng.choice(("male", "female"))
            nb = _shifted_birth(rng, birth, rng.randint(15, 30), today)
            if nb is not None:
                contacts.append(family.member("侄子" if g == "male" else "侄女", family.name(g, nb.year, surname),
                                              g, nb, 0.3, 1.0))
    elif not conds["no_close_relatives"]:
        weights = (2, 4, 3, 2) if age >= 60 else (3, 4, 2, 0)
        n_children = rng.choices((0, 1, 2, 3), weights=weights)[0]
        if not married and not conds["lives_alone"]:
            if age < 35:  # a young adult still living with the parents
                mb = _shifted_birth(rng, birth, -rng.randint(22, 32), today)
                contacts.append(family.member("母亲", family.name("female", mb.year), "female", mb, 0.5, 0.8))
                if rng.random() < 0.6:
                    fb = _shifted_birth(rng, birth, -rng.randint(24, 34), today)
                    contacts.append(family.member("父亲", family.name("male", fb.year, surname), "male", fb, 0.5, 0.8))
            else:
                n_children = max(n_children, 1)  # not alone: a son or daughter lives with them
        for _ in range(n_children):
            cg = rng.choice(("male", "female"))
            cb = _shifted_birth(rng, birth, rng.randint(21, 34), today)
            if cb is None:
                continue
            adult_child = today.year - cb.year >= 18
            child = family.member("儿子" if cg == "male" else "女儿", family.name(cg, cb.year, child_surname),
                                  cg, cb, 0.5, 0.8 if adult_child else 0.0)
            if adult_child:
                contacts.append(child)
            # Grandchildren now and then in an older person's household (隔代同住).
            if age >= 60 and cg == "male" and not conds["lives_alone"] and rng.random() < 0.25:
                gb = _shifted_birth(rng, cb, rng.randint(22, 32), today)
                if gb is not None:
                    gg = rng.choice(("male", "female"))
                    family.member("孙子" if gg == "male" else "孙女", family.name(gg, gb.year, child_surname),
                                  gg, gb, 0.4, 0.1)
    with_phone = [m for m in contacts if m.get("phone")]
    if with_phone:
        # An old person's spouse is frail too: call a child first.
        return family.members, _contact(with_phone[-1] if age >= 75 else with_phone[0])
    if rng.random() < 0.9:
        who = rng.choice(("邻居", "邻居", "网格员", "楼长"))
        helper = _name(rng, rng.choice(("male", "female")), rng.randint(1955, 1995))
        return family.members, (f"{helper}（{who}）", _phone(ctx, rng))
    return family.members, None


def _child_household(ctx, rng, name, surname, birth, conds):
    """A child's guardians: grandparents for left-behind and unsupported children, else parents."""
    family = _Family(ctx, rng, name, surname)
    today = ctx.today
    status = conds["child_status"]
    fb = _shifted_birth(rng, birth, -rng.randint(24, 36), today)
    mb = _shifted_birth(rng, birth, -rng.randint(22, 33), today)
    gb = _shifted_birth(rng, birth, -rng.randint(48, 62), today)
    if status in ("left_behind", "unsupported"):
        paternal = rng.random() < 0.7
        family.member("祖母" if paternal else "外祖母", family.name("female", gb.year), "female", gb, 0.7, 0.8)
        if rng.random() < 0.6:
            gfb = gb.replace(year=gb.year - rng.randint(0, 4))
            family.member("祖父" if paternal else "外祖父",
                          family.name("male", gfb.year, surname if paternal else None), "male", gfb, 0.7, 0.6)
        if status == "left_behind":
            # Parents work away (外出务工): on the household, reachable by phone.
            family.member("父亲", family.name("male", fb.year, surname), "male", fb, 0.6, 0.9)
            if rng.random() < 0.6:
                family.member("母亲", family.name("female", mb.year), "female", mb, 0.6, 0.9)
    else:
        family.member("母亲", family.name("female", mb.year), "female", mb, 0.6, 0.85)
        if rng.random() < 0.55:  # many 困境 families have one parent
            family.member("父亲", family.name("male", fb.year, surname), "male", fb, 0.6, 0.85)
        if rng.random() < 0.2:
            family.member("祖母", family.name("female", gb.year), "female", gb, 0.5, 0.5)
    guardian = next((m for m in family.members if m.get("phone")), None)
    if guardian is None:
        guardian = family.members[0]
        guardian["phone"] = _phone(ctx, rng)
    return family.members, _contact(guardian)


# --- status changes -------------------------------------------------------------------------------

def _status_changes(ctx: Demo) -> None:
    """A few suspended and terminated cases, and one suspended then reactivated, through the service."""
    from assist.residents.services import change_status
    rng = ctx.rng("status")
    caseworker = ctx.user("caseworker")
    adults = [r for r in ctx.residents if r.age >= 18]
    rng.shuffle(adults)
    n = max(1, round(len(ctx.residents) * 0.02))
    changes = 0

    def change(resident, status, kind, reason, effective):
        nonlocal changes
        change_status(resident, {"status": status, "reason_kind": kind, "reason": reason,
                                 "effective_on": effective.isoformat()}, caseworker)
        changes += 1

    def effective_date(resident):
        return max(resident.assistance_since or ctx.today, _days_ago(ctx, rng.randint(5, 90)))

    for i, resident in enumerate(adults[:2 * n]):
        wanted = "suspended" if i < n else "terminated"
        status, kind, reason, _ = rng.choice([r for r in N.STATUS_REASONS if r[0] == wanted
                                              and (not r[3] or resident.age >= 60)])
        change(resident, status, kind, reason, effective_date(resident))
    # One hospital stay that ended: the history shows the suspension and the return.
    back_home = next((r for r in adults[2 * n:] if r.age >= 60), None)
    if back_home is not None:
        _, kind, reason, _ = N.STATUS_REASONS[0]
        went = effective_date(back_home)
        change(back_home, "suspended", kind, reason, went)
        change(back_home, "active", "other", "出院回家，经评估恢复居家服务",
               min(ctx.today, went + dt.timedelta(days=rng.randint(3, 30))))
    ctx.counts["status_changes"] = changes


# --- summary --------------------------------------------------------------------------------------

def _summary(ctx: Demo, generated: bool, seconds: float) -> str:
    statuses = dict(db.session.execute(sa.select(Resident.status, sa.func.count()).group_by(Resident.status)).all())
    groups = ", ".join(f"{g} {ctx.counts.get('group_' + g, 0)}" for g in ("tekun", "dibao", "dibian", "zhichu", "linshi"))
    by_role: dict[str, list[str]] = {}
    for username, user in ctx.users.items():
        by_role.setdefault(user.role, []).append(username)
    lines = [
        f"Demo district loaded (seed {ctx.seed}) in {seconds:.1f} s:",
        f"  {ctx.counts['residents']} residents in {ctx.counts['communities']} communities "
        f"(active {statuses.get('active', 0)}, suspended {statuses.get('suspended', 0)}, "
        f"terminated {statuses.get('terminated', 0)}); {groups}",
        f"  {ctx.counts['household_members']} household members, {ctx.counts['providers']} providers, "
        f"{ctx.counts['units']} partner units, {len(ctx.users)} users",
    ]
    # Counts from steps added later (plans, visits, diary items) show up without editing this.
    shown = {"residents", "communities", "household_members", "providers", "units", "status_changes"}
    extra = [f"{n} {key.replace('_', ' ')}" for key, n in ctx.counts.items()
             if key not in shown and not key.startswith("group_")]
    if extra:
        lines.append("  " + ", ".join(extra))
    lines.append("Users: " + "; ".join(f"{role}: {', '.join(names)}" for role, names in by_role.items()))
    if generated:
        lines.append(f"Password for every demo user (generated, shown only now): {ctx.password}")
    else:
        lines.append("Password for every demo user: the one given (--password or ASSIST_DEMO_PASSWORD).")
    return "\n".join(lines)
