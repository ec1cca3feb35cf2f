"""Demo data for the needs diary: service points, ~60 visit records over the last four months with
~15 needs in every state, and the overdue sweep — written through the same services as real use,
backdated with their ``at`` parameter.

``flask --app assist demo`` (assist/demo/generate.py) calls :func:`load_demo_diary` after the
residents, partner units and their staff exist; it flushes, the caller commits.
"""
from __future__ import annotations

import datetime as dt
import random

import sqlalchemy as sa

from assist.areas.models import Area
from assist.auth.models import User
from assist.core.db import utcnow
from assist.core.timeutil import LOCAL_TZ
from assist.diary import services
from assist.diary.models import Problem
from assist.extensions import db
from assist.residents.models import Resident
from assist.servicepoints import services as point_services
from assist.servicepoints.models import ServicePoint
from assist.units.models import PartnerUnit

ENTRIES = 60
DAYS_BACK = 120

NEEDS = {
    "service": ["独居老人做饭困难，希望提供助餐送餐", "老人行动不便，需要上门助浴", "卧床老人需要定期上门理发",
                "希望家庭医生上门测血压、血糖", "家中杂物堆积，需要清理", "需要有人陪同去医院复查"],
    "policy": ["咨询临时救助申请条件", "残疾证到期需要换证，行动不便", "咨询高龄津贴如何办理", "低保年审材料不清楚"],
    "governance": ["楼道声控灯损坏，老人夜间出行不便", "小区路面积水，出行困难", "单元门禁损坏", "楼下垃圾清运不及时"],
    "wish": ["想要一台收音机", "希望有人陪同去公园走走", "想要一副老花镜", "孩子开学需要一个书包"],
}
RESULTS = {
    "service": "已对接社区服务站，按需求安排上门服务",
    "policy": "已上门讲解政策并协助准备申请材料",
    "governance": "已安排维修，现场已恢复正常",
    "wish": "志愿者已将物品送到老人家中",
}
NOTES = ["入户走访，老人身体状况良好，无新增需求。", "了解家庭近况，子女每周回来看望。", "老人独居，叮嘱注意用电用气安全。",
         "询问冬季取暖情况，暖气正常。", "老人血压偏高，提醒按时服药。", "家中整洁，生活能自理。"]
GRID_WORKERS = ["张强", "刘芳", "王磊", "陈静", "杨帆", "赵敏"]
# (state the item ends in, how many): 15 needs across every state of the problem list, oldest visits
# first — long-settled items come from early visits, open ones from recent visits.
PLAN = [("closed", 3), ("reopened_closed", 1), ("overdue", 2), ("resolved", 2), ("returned", 1), ("accepted", 2),
        ("dispatched", 2), ("recorded", 2)]

POINTS = [
    ("dispatch_centre", "海南区养老服务指导（调度）中心", None, "海南区新华街12号", "24小时", ["D3", "D4", "A1"]),
    ("care_centre", "拉僧仲街道居家养老服务中心", "150303002001", "华苑小区8号楼底商", "每天 8:00–18:00",
     ["A1", "A2", "B1", "D1", "D4", "E2"]),
    ("care_centre", "西卓子山街道居家养老服务中心", "150303001001", "兴隆路56号", "每天 8:00–18:00",
     ["A1", "A2", "D1", "D4", "E2"]),
    ("care_station", "新桥社区居家养老服务站", "150303002002", "新桥小区3号楼一层", "周一至周六 8:30–17:30",
     ["A1", "A4", "E1", "E2", "F3"]),
    ("care_station", "团结社区居家养老服务站", "150303001002", "团结小区活动中心", "周一至周六 8:30–17:30",
     ["A1", "A4", "E1", "F3"]),
    ("convenience_post", "东风社区便民服务点", "150303002003", "东风市场北门", "每天 7:00–20:00", ["A3", "A4", "B3"]),
    ("convenience_post", "海南社区便民服务点", "150303100001", "拉僧庙镇海南社区服务大厅", "周一至周五 8:30–17:30",
     ["A4", "F2"]),
    ("family_doctor", "海南区人民医院家庭医生团队（拉僧仲）", "150303002004", "幸福社区卫生服务站",
     "周一至周五 8:00–17:00", ["C1", "C2", "C3", "C4"]),
]


def _when(rng: random.Random, days_ago: int) -> dt.datetime:
    local = dt.datetime.now(LOCAL_TZ).replace(hour=rng.randint(9, 16), minute=rng.choice((0, 15, 30, 45)),
                                               second=0, microsecond=0) - dt.timedelta(days=days_ago)
    return min(local.astimezone(dt.timezone.utc), utcnow() - dt.timedelta(minutes=5))


def _service_points(rng: random.Random, actor) -> list[ServicePoint]:
    if db.session.scalar(sa.select(sa.func.count()).select_from(ServicePoint)):
        return []
    district = db.session.scalars(sa.select(Area).where(Area.level == "district").order_by(Area.code)).first()
    created = []
    for kind, name, area, address, hours, items in POINTS:
        area = area or (district.code if district else None)
        if area is None or db.session.get(Area, area) is None:
            continue
        created.append(point_services.create({
            "kind": kind, "name": name, "area_code": area, "address": address, "opening_hours": hours,
            "contact": rng.choice(GRID_WORKERS), "phone": f"0473-39{rng.randint(10000, 99999)}", "item_codes": items},
            actor))
    return created


def _staff(unit: PartnerUnit) -> User | None:
    return db.session.scalars(sa.select(User).where(User.role == "unit", User.unit_id == unit.id,
                                                    User.active.is_(True)).order_by(User.id)).first()


def load_demo_diary(rng: random.Random, actor) -> dict:
    """Create service points (if none), ~60 visit records and ~15 problem items in every state, then
    run the overdue sweep. ``actor`` records and dispatches (an admin or a caseworker of the areas);
    each unit's first active staff user accepts, returns and resolves. Returns counts for the summary:
    ``{"service_points", "diary_entries", "diary_needs", "diary_items_overdue"}``."""
    points = _service_points(rng, actor)
    residents = db.session.scalars(sa.select(Resident).where(Resident.status == "active")
                                   .order_by(Resident.id)).all()
    communities = db.session.scalars(sa.select(Area.code).where(Area.level == "community").order_by(Area.code)).all()
    units = [(u, _staff(u)) for u in db.session.scalars(sa.select(PartnerUnit).where(PartnerUnit.active.is_(True))
                                                        .order_by(PartnerUnit.id))]
    staffed = [(u, s) for u, s in units if s is not None]
    if not communities:
        return {"service_points": len(points), "diary_entries": 0, "diary_needs": 0}

    # Which visits find needs: most find none; the latest ones carry the open items.
    outcomes = [state for state, n in PLAN for _ in range(n)]
    days = sorted((rng.randint(0, DAYS_BACK) for _ in range(ENTRIES)), reverse=True)
    with_needs = set(rng.sample(range(ENTRIES - 2), min(len(outcomes), ENTRIES - 2)))
    entries = problems = 0
    pending = list(reversed(outcomes))  # popped from the end: the oldest visit gets the first fate
    for i, days_ago in enumerate(days):
        resident = rng.choice(residents) if residents and rng.random() < 0.85 else None
        area = resident.area_code if resident is not None else rng.choice(communities)
        visited = _when(rng, days_ago)
        needs, fates = [], []
        if i in with_needs and pending:
            fate = pending.pop()
            kind = rng.choice(list(NEEDS))
            needs.append({"kind": kind, "description": rng.choice(NEEDS[kind])})
            fates.append(fate)
        data = {"area_code": area, "visited_at": visited, "resident_id": resident.id if resident else None,
                "visitors": f"{getattr(actor, 'label', '社区工作人员')}、网格员{rng.choice(GRID_WORKERS)}",
                "notes": rng.choice(NOTES) if not needs else "入户走访，了解到以下需求。", "needs": needs}
        if resident is None:
            data["address"] = "小区公共区域"
        entry = services.record_entry(data, actor, at=visited)
        entries += 1
        for problem, fate in zip(entry.problems, fates):
            problems += 1
            _advance(rng, problem, fate, visited, actor, staffed)
    services.sweep()
    db.session.flush()
    return {"service_points": len(points), "diary_entries": entries, "diary_needs": problems,
            "diary_items_overdue": db.session.scalar(sa.select(sa.func.count()).select_from(Problem)
                                                     .where(Problem.status == "overdue"))}


def _advance(rng: random.Random, problem: Problem, fate: str, visited: dt.datetime, actor, staffed) -> None:
    """Walk ``problem`` through the services to ``fate``, each step a day or two after the last."""
    if fate == "recorded" or not staffed:
        return
    now = utcnow()
    t = visited + dt.timedelta(hours=rng.randint(2, 30))

    def step(hours_min=12, hours_max=60):
        nonlocal t
        t = min(t + dt.timedelta(hours=rng.randint(hours_min, hours_max)), now - dt.timedelta(minutes=1))
        return t

    unit, staff = rng.choice(staffed)
    t = min(t, now - dt.timedelta(minutes=2))
    if fate == "overdue":
        # Due a few days after dispatch, long past: the sweep marks it and escalates it.
        due = services.local_date(t) + dt.timedelta(days=5)
    elif fate in ("dispatched", "accepted"):
        # Still open: due in the future, so not overdue.
        due = max(services.local_date(t) + dt.timedelta(days=14), services.local_date(now) + dt.timedelta(days=3))
    else:
        due = services.local_date(t) + dt.timedelta(days=14)
    services.dispatch(problem, {"unit_id": unit.id, "due_date": due.isoformat()}, actor, at=t)
    if fate == "dispatched":
        return
    if fate == "returned":
        services.return_(problem, {"reason": "该事项不属于本单位职责范围，建议转交相关部门"}, staff, at=step())
        return
    if fate == "overdue":
        if rng.random() < 0.5:
            services.accept(problem, {}, staff, at=step(2, 24))
        return
    services.accept(problem, {"note": "已接单"}, staff, at=step(2, 24))
    if fate == "accepted":
        return
    services.resolve(problem, {"result": RESULTS[problem.kind]}, staff, at=step())
    if fate == "resolved":
        return
    if fate == "reopened_closed":
        services.feedback(problem, {"satisfied": False, "comment": "问题还没有完全解决"}, actor, at=step())
        services.resolve(problem, {"result": RESULTS[problem.kind] + "，并已回访确认"}, staff, at=step())
    services.feedback(problem, {"satisfied": True, "comment": rng.choice(["很满意", "解决得很及时", "谢谢社区"])},
                      actor, at=step())
