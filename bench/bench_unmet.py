"""Bulk matching against the database: the unmet-need list (assist.plans.bulk.run) for N residents.

Fills a throwaway SQLite database (or ASSIST_BENCH_DATABASE_URL) with N residents and a plan for
one in five, then times, best of --repeat:

  baseline   the raw SELECT of the profile columns of the active residents in scope (no matching)
  bulk.run   the whole unmet-need computation: that SELECT, the compiled engine, plans, overrides

and prints the ratio to the baseline measured in the same run.

    .venv/bin/python bench/bench_unmet.py --n 100000
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    from assist import create_app
    from assist.core import refdata
    from assist.extensions import db
    from assist.matching import PROFILE_COLUMNS
    from assist.plans import bulk
    from assist.residents.models import Resident

    url = os.environ.get("ASSIST_BENCH_DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40})
    rng = random.Random(args.seed)
    with app.app_context():
        db.drop_all()
        db.create_all()
        with db.engine.begin() as conn:
            refdata.load(conn)
        communities = [c for c, in db.session.execute(sa.text("SELECT code FROM area WHERE level='community'"))]
        started = time.perf_counter()
        _fill(db, args.n, rng, communities)
        print(f"filled {args.n} residents in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")

        class Admin:
            role, is_authenticated, id, username = "admin", True, None, "bench"
        cols = [getattr(Resident, c) for c in PROFILE_COLUMNS]

        def baseline():
            return db.session.execute(sa.select(Resident.id, Resident.name, Resident.area_code, *cols)
                                      .where(Resident.status == "active")).all()

        def full():
            return bulk.run(Admin())
        best = {"baseline": float("inf"), "bulk.run": float("inf")}
        for _ in range(args.repeat):
            for name, fn in (("baseline", baseline), ("bulk.run", full)):
                db.session.expire_all()
                t = time.perf_counter()
                out = fn()
                best[name] = min(best[name], time.perf_counter() - t)
        print(f"unmet needs found: {len(out.needs)}")
        for name, secs in best.items():
            print(f"{name:<10} {secs:8.3f} s   {args.n / secs:>10,.0f} residents/s   ratio {secs / best['baseline']:.2f}")


def _fill(db, n: int, rng: random.Random, communities: list[str]) -> None:
    """Plain inserts: the profile columns matter here; identifiers are placeholders (not encrypted)."""
    today = dt.date.today()
    groups = ["tekun"] * 10 + ["dibao"] * 45 + ["dibian"] * 20 + ["zhichu"] * 15 + ["linshi"] * 10
    flags = ["lives_alone", "no_close_relatives", "widowed", "chronic_illness", "serious_illness", "bedridden",
             "incontinent", "limited_mobility", "cognitive_impairment", "vision_impairment", "long_term_medication",
             "post_surgery_rehab", "poor_living_conditions", "able_to_work_unemployed", "low_social_participation",
             "recent_crisis", "carer_burden"]
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = []
    for i in range(1, n + 1):
        age = rng.choice([rng.randint(60, 95)] * 3 + [rng.randint(5, 59)])
        row = {"id": i, "name": f"居民{i}", "name_pinyin": f"jumin{i}", "name_initials": "jm", "id_number": "x",
               "id_number_bidx": f"b{i}", "id_tail_bidx": "t", "gender": "male",
               "birth_date": today.replace(year=today.year - age) if not (today.month == 2 and today.day == 29)
               else today.replace(year=today.year - age, day=28),
               "address": "", "area_code": rng.choice(communities), "assistance_type": rng.choice(groups),
               "status": "active" if rng.random() < 0.9 else "suspended", "status_reason": "",
               "self_care_level": rng.choice([0, 0, 1, 2, 3, 4]), "disability_grade": rng.choice([0, 0, 0, 1, 2, 3, 4]),
               "child_status": "none", "emergency_contact_name": "", "version": 1, "created_at": now,
               "updated_at": now}
        for f in flags:
            row[f] = rng.random() < 0.15
        rows.append(row)
        if len(rows) == 5000:
            db.session.execute(sa.insert(sa.table("resident", *[sa.column(k) for k in rows[0]])), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(sa.table("resident", *[sa.column(k) for k in rows[0]])), rows)
    db.session.commit()


if __name__ == "__main__":
    main()
