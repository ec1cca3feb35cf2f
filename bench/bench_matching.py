"""Bulk matching throughput: evaluate_many over N synthetic profiles, against a raw baseline.

    .venv/bin/python bench/bench_matching.py [--n 100000] [--seed 20240601] [--repeat 3]

Absolute times depend on the machine, so the number to watch is the ratio to a baseline measured in
the same run: a hand-written loop that unpacks the same rows, computes the age and tests one trivial
condition per item (24 comparisons) — the least any matcher must do per resident. See README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from assist.matching import ITEM_CODES, PROFILE_COLUMNS, Profile, evaluate, evaluate_many  # noqa: E402
from assist.matching.engine import gc_paused  # noqa: E402
from assist.residents.conditions import ASSISTANCE_TYPES, BOOL_KEYS, CHILD_STATUSES  # noqa: E402

ON = dt.date(2025, 6, 15)


def synthetic_rows(n: int, seed: int) -> list[tuple]:
    """N profiles as bulk rows (PROFILE_COLUMNS order), shaped roughly like the register: mostly
    elderly, most active, a few conditions each."""
    rnd = random.Random(seed)
    groups = ASSISTANCE_TYPES
    group_weights = (10, 45, 20, 15, 10)
    rows = []
    for _ in range(n):
        kind = rnd.random()
        if kind < 0.70:
            age = rnd.randint(60, 100)
        elif kind < 0.90:
            age = rnd.randint(18, 59)
        else:
            age = rnd.randint(0, 17)
        birth = ON - dt.timedelta(days=age * 365 + rnd.randint(0, 364))
        status = "active" if rnd.random() < 0.9 else rnd.choice(("suspended", "terminated"))
        flags = tuple(rnd.random() < 0.2 for _ in BOOL_KEYS)
        child = rnd.choice(CHILD_STATUSES) if age < 18 else "none"
        rows.append((rnd.choices(groups, group_weights)[0], status, birth, rnd.choice((0, 0, 0, 1, 2, 3, 4)),
                     rnd.choice((0, 0, 0, 0, 1, 2, 3, 4)), *flags, child))
    return rows


def baseline(rows, on: dt.date) -> list[list[str]]:
    """The floor: unpack, age, one comparison per item, collect the hits."""
    on_year, on_md = on.year, (on.month, on.day)
    codes = ITEM_CODES
    out = []
    push = out.append
    for row in rows:
        (group, status, birth, scl, dg, *flags, child) = row
        if status != "active":
            push([])
            continue
        age = on_year - birth.year - (on_md < (birth.month, birth.day))
        hits = []
        for i, code in enumerate(codes):
            if flags[i % len(flags)] or age >= 80:
                hits.append(code)
        push(hits)
    return out


def best_times(runs: dict, repeat: int) -> dict:
    """Best wall time of each function over ``repeat`` rounds, the functions interleaved within a
    round so that a busy neighbour on the machine slows all of them alike."""
    best = {name: float("inf") for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    rows = synthetic_rows(args.n, args.seed)
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    profiles = [Profile(*r, on=ON) for r in rows]
    build = time.perf_counter() - t0
    print(f"{args.n:,} synthetic profiles (seed {args.seed}): rows generated in {gen:.2f}s, "
          f"validated Profile objects built in {build:.2f}s")

    def base():
        with gc_paused():  # as evaluate_many runs: compare like with like
            baseline(rows, ON)

    times = best_times({"base": base, "rows": lambda: evaluate_many(rows, ON),
                        "profiles": lambda: evaluate_many(profiles, ON)}, args.repeat)
    t_base, t_bulk, t_prof = times["base"], times["rows"], times["profiles"]
    explain_n = min(args.n, 1_000)
    t0 = time.perf_counter()
    for p in profiles[:explain_n]:
        evaluate(p, ON)
    t_expl = (time.perf_counter() - t0) / explain_n

    result = evaluate_many(rows, ON)
    eligible = sum(len(r) for r in result)

    def line(name, seconds):
        print(f"  {name:<40} {seconds:7.3f}s  {args.n / seconds:>11,.0f} residents/s  "
              f"ratio {seconds / t_base:5.2f}× baseline")

    print(f"best of {args.repeat}, {len(ITEM_CODES)} items, {len(PROFILE_COLUMNS)} columns per row:")
    line("baseline (unpack + 24 trivial tests)", t_base)
    line("evaluate_many, tuple rows", t_bulk)
    line("evaluate_many, Profile objects", t_prof)
    print(f"  evaluate with reasons (one resident page): {t_expl * 1000:.2f} ms per resident "
          f"(mean of {explain_n:,})")
    print(f"  {eligible:,} eligible (resident, item) pairs, {eligible / args.n:.1f} per resident")
    return 0


if __name__ == "__main__":
    sys.exit(main())
