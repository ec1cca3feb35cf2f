"""The rule engine (assist/matching): pure tests, no app or database.

One table per catalog item, with profiles on both sides of every boundary of its rule; "today" is
fixed (``ON``) so nothing depends on the date the tests run.
"""
from __future__ import annotations

import datetime as dt
import itertools
import random
import subprocess
import sys
from types import SimpleNamespace

import pytest
from dateutil.rrule import rrulestr

from assist.catalog.data import ITEMS
from assist.matching import (ITEM_CODES, PROFILE_COLUMNS, RULES, Profile, describe, evaluate, evaluate_item,
                             evaluate_many, recommended_frequency, status_on)
from assist.matching.engine import GROUP_WEIGHT, need_score
from assist.matching.rules import (ADVANCED_AGE, All, Any, Attr, Flag, GroupIn, Not, need_leaves,
                                   severity_features)
from assist.residents.conditions import ASSISTANCE_TYPES, CONDITION_KEYS, PRIORITY

ON = dt.date(2025, 6, 15)


def born(age: int, on: dt.date = ON) -> dt.date:
    """A birth date giving exactly ``age`` on ``on`` (the birthday is that very day)."""
    return on.replace(year=on.year - age)


def profile(group: str = "dibao", age: int = 45, status: str = "active", **conditions) -> Profile:
    """A neutral resident (working age, no conditions) changed by the arguments."""
    return Profile(assistance_type=group, status=status, birth_date=born(age), **conditions)


# --- one table per item: (case id, profile arguments, eligible?) -----------------------------------

TABLES: dict[str, list[tuple[str, dict, bool]]] = {
    "A1": [
        *[(f"{g} advanced age", dict(group=g, age=80), g in ("tekun", "dibao", "dibian")) for g in ASSISTANCE_TYPES],
        ("age 79", dict(age=79), False),
        ("age 80", dict(age=80), True),
        ("self-care 1", dict(self_care_level=1), False),
        ("self-care 2", dict(self_care_level=2), True),
        ("zhichu self-care 4", dict(group="zhichu", self_care_level=4), False),
        ("lives alone only", dict(lives_alone=True), False),
        ("limited mobility only", dict(limited_mobility=True), False),
        ("alone + limited mobility", dict(lives_alone=True, limited_mobility=True), True),
        ("alone + cognitive", dict(lives_alone=True, cognitive_impairment=True), True),
        ("alone + vision", dict(lives_alone=True, vision_impairment=True), True),
        ("linshi alone + mobility", dict(group="linshi", lives_alone=True, limited_mobility=True), False),
        ("severe disability is not a criterion", dict(disability_grade=1), False),
        ("nothing", dict(), False),
    ],
    "A2": [
        ("nothing", dict(), False),
        ("self-care 1", dict(self_care_level=1), False),
        ("self-care 2", dict(self_care_level=2), True),
        ("disability 0", dict(disability_grade=0), False),
        ("disability 1", dict(disability_grade=1), True),
        ("disability 2", dict(disability_grade=2), True),
        ("disability 3", dict(disability_grade=3), False),
        ("disability 4", dict(disability_grade=4), False),
        ("any group: linshi self-care 2", dict(group="linshi", self_care_level=2), True),
        ("advanced age alone", dict(age=90), False),
    ],
    "A3": [
        ("nothing", dict(), False),
        ("bedridden", dict(bedridden=True), True),
        ("limited mobility", dict(limited_mobility=True), True),
        ("cognitive only", dict(cognitive_impairment=True), False),
    ],
    "A4": [
        ("nothing", dict(), False),
        ("lives alone only", dict(lives_alone=True), False),
        ("no close relatives only", dict(no_close_relatives=True), False),
        ("alone + no relatives", dict(lives_alone=True, no_close_relatives=True), True),
        ("limited mobility", dict(limited_mobility=True), True),
    ],
    "B1": [
        ("nothing", dict(), False),
        ("self-care 1", dict(self_care_level=1), False),
        ("self-care 2", dict(self_care_level=2), True),
        ("age 60 alone", dict(age=60, lives_alone=True), True),
        ("age 59 alone", dict(age=59, lives_alone=True), False),
        ("age 60 not alone", dict(age=60), False),
        ("disability 2 alone", dict(disability_grade=2, lives_alone=True), True),
        ("disability 3 alone", dict(disability_grade=3, lives_alone=True), False),
        ("disability 1 not alone", dict(disability_grade=1), False),
    ],
    "B2": [
        ("poor living conditions", dict(poor_living_conditions=True), True),
        ("nothing", dict(), False),
    ],
    "B3": [
        ("nothing", dict(), False),
        ("incontinent", dict(incontinent=True), True),
        ("bedridden", dict(bedridden=True), True),
        ("limited mobility only", dict(limited_mobility=True), False),
    ],
    "B4": [
        ("age 60 alone", dict(age=60, lives_alone=True), True),
        ("age 59 alone", dict(age=59, lives_alone=True), False),
        ("age 60 not alone", dict(age=60), False),
        ("self-care 2", dict(self_care_level=2), True),
        ("self-care 1", dict(self_care_level=1), False),
    ],
    "C1": [
        ("nothing", dict(), False),
        ("chronic illness", dict(chronic_illness=True), True),
        ("serious illness", dict(serious_illness=True), True),
        ("age 64", dict(age=64), False),
        ("age 65", dict(age=65), True),
    ],
    "C2": [
        ("alone + limited mobility", dict(lives_alone=True, limited_mobility=True), True),
        ("no relatives + serious illness", dict(no_close_relatives=True, serious_illness=True), True),
        ("alone + age 60", dict(lives_alone=True, age=60), True),
        ("alone + age 59", dict(lives_alone=True, age=59), False),
        ("no relatives + age 60", dict(no_close_relatives=True, age=60), True),
        ("lives alone only", dict(lives_alone=True), False),
        ("limited mobility only", dict(limited_mobility=True), False),
        ("age 80 with family", dict(age=80), False),
    ],
    "C3": [
        ("medication only", dict(long_term_medication=True), False),
        ("medication + cognitive", dict(long_term_medication=True, cognitive_impairment=True), True),
        ("medication + vision", dict(long_term_medication=True, vision_impairment=True), True),
        ("medication + mobility", dict(long_term_medication=True, limited_mobility=True), True),
        ("cognitive without medication", dict(cognitive_impairment=True), False),
    ],
    "C4": [
        ("nothing", dict(), False),
        ("post-surgery rehab", dict(post_surgery_rehab=True), True),
        *[(f"disability {g}", dict(disability_grade=g), g >= 1) for g in range(5)],
    ],
    "D1": [
        ("nothing", dict(), False),
        ("self-care 1", dict(self_care_level=1), False),
        ("self-care 2", dict(self_care_level=2), True),
        ("self-care 3", dict(self_care_level=3), True),
        *[(f"disability {g}", dict(disability_grade=g), g in (1, 2)) for g in range(5)],
    ],
    "D2": [
        *[(f"{g} carer burden", dict(group=g, carer_burden=True), g in ("dibao", "dibian", "zhichu"))
          for g in ASSISTANCE_TYPES],
        ("dibao without carer burden", dict(), False),
    ],
    "D3": [
        ("80 alone", dict(age=80, lives_alone=True), True),
        ("79 alone", dict(age=79, lives_alone=True), False),
        ("79 alone self-care 3", dict(age=79, lives_alone=True, self_care_level=3), True),
        ("79 alone self-care 2", dict(age=79, lives_alone=True, self_care_level=2), False),
        ("60 alone serious illness", dict(age=60, lives_alone=True, serious_illness=True), True),
        ("59 alone self-care 4", dict(age=59, lives_alone=True, self_care_level=4), False),
        ("59 alone serious illness", dict(age=59, lives_alone=True, serious_illness=True), False),
        ("95 not alone", dict(age=95, self_care_level=4), False),
    ],
    "D4": [
        ("nothing", dict(), False),
        ("self-care 1", dict(self_care_level=1), False),
        ("self-care 2", dict(self_care_level=2), True),
        ("cognitive", dict(cognitive_impairment=True), True),
    ],
    "E1": [(f"{g} with nothing", dict(group=g), True) for g in ASSISTANCE_TYPES] + [
        ("a child", dict(age=5), True),
    ],
    "E2": [
        ("alone 60", dict(lives_alone=True, age=60), True),
        ("alone 59", dict(lives_alone=True, age=59), False),
        ("widowed 60", dict(widowed=True, age=60), True),
        ("widowed + low participation", dict(widowed=True, low_social_participation=True), True),
        ("low participation only", dict(low_social_participation=True), False),
        ("age 80 only", dict(age=80), False),
    ],
    "E3": [
        ("dibao recent crisis", dict(recent_crisis=True), True),
        ("dibao nothing", dict(), False),
        *[(f"{g} without crisis", dict(group=g), g == "linshi") for g in ASSISTANCE_TYPES],
    ],
    "E4": [
        ("17 in difficulty", dict(age=17, child_status="in_difficulty"), True),
        ("18 in difficulty", dict(age=18, child_status="in_difficulty"), False),
        ("10 left behind", dict(age=10, child_status="left_behind"), True),
        ("10 unsupported", dict(age=10, child_status="unsupported"), True),
        ("10 none", dict(age=10, child_status="none"), False),
        ("0 in difficulty", dict(age=0, child_status="in_difficulty"), True),
    ],
    "F1": [
        ("15", dict(age=15, able_to_work_unemployed=True), False),
        ("16", dict(age=16, able_to_work_unemployed=True), True),
        ("17", dict(age=17, able_to_work_unemployed=True), True),
        ("18", dict(age=18, able_to_work_unemployed=True), True),
        ("59", dict(age=59, able_to_work_unemployed=True), True),
        ("60", dict(age=60, able_to_work_unemployed=True), False),
        ("30 not unemployed", dict(age=30), False),
    ],
    "F2": [(f"{g} with nothing", dict(group=g), True) for g in ASSISTANCE_TYPES],
    "F3": [
        ("nothing", dict(), False),
        ("low participation", dict(low_social_participation=True), True),
        *[(f"disability {g}", dict(disability_grade=g), g >= 1) for g in range(5)],
    ],
    "F4": [(f"{g} with nothing", dict(group=g), True) for g in ASSISTANCE_TYPES] + [
        ("90, every condition", dict(age=90, self_care_level=4, disability_grade=1, lives_alone=True), True),
    ],
}

CASES = [pytest.param(code, kwargs, expected, id=f"{code}-{name}")
         for code, table in TABLES.items() for name, kwargs, expected in table]


def test_a_table_for_every_item():
    assert sorted(TABLES) == list(ITEM_CODES) == [row[0] for row in ITEMS]
    for code, table in TABLES.items():
        if code not in ("E1", "F2", "F4"):  # the any-resident items have no "no" side
            assert {e for _, _, e in table} == {True, False}, code


@pytest.mark.parametrize("code, kwargs, expected", CASES)
def test_rule(code, kwargs, expected):
    p = profile(**kwargs)
    verdict = evaluate_item(p, code, on=ON)
    assert verdict.eligible is expected
    assert (verdict.score > 0) is expected
    assert verdict.reasons[0].text == "状态：在册 ✔"
    # The compiled bulk matcher agrees, score included.
    bulk = dict(evaluate_many([p], on=ON)[0])
    assert (code in bulk) is expected
    if expected:
        assert bulk[code] == verdict.score


@pytest.mark.parametrize("code, kwargs, expected", [c for c in CASES if c.values[2]])
@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_not_active_is_eligible_for_nothing(code, kwargs, expected, status):
    p = profile(**{**kwargs, "status": status})
    verdict = evaluate_item(p, code, on=ON)
    assert not verdict.eligible and verdict.score == 0
    assert verdict.reasons[0].criterion == "status" and not verdict.reasons[0].met
    assert verdict.reasons[0].text == {"suspended": "状态：已暂停 ✘", "terminated": "状态：已终止 ✘"}[status]
    assert evaluate_many([p], on=ON) == [[]]


@pytest.mark.parametrize("status", ["suspended", "terminated"])
def test_inactive_everything(status):
    p = profile("tekun", age=90, status=status, self_care_level=4, lives_alone=True)
    verdicts = evaluate(p, on=ON)
    assert len(verdicts) == 24 and not any(v.eligible for v in verdicts)
    assert [v.item_code for v in verdicts] == list(ITEM_CODES)


# --- age from the birth date ---------------------------------------------------------------------

def test_age_counts_whole_years_on_the_day():
    eighty_today = Profile("dibao", "active", born(80))
    eighty_tomorrow = Profile("dibao", "active", born(80) + dt.timedelta(days=1))
    assert evaluate_item(eighty_today, "A1", on=ON).eligible
    assert not evaluate_item(eighty_tomorrow, "A1", on=ON).eligible
    assert evaluate_item(eighty_tomorrow, "A1", on=ON + dt.timedelta(days=1)).eligible
    leap = Profile("dibao", "active", dt.date(1944, 2, 29))
    assert not evaluate_item(leap, "A1", on=dt.date(2024, 2, 28)).eligible
    assert evaluate_item(leap, "A1", on=dt.date(2024, 2, 29)).eligible
    leap65 = Profile("dibao", "active", dt.date(1960, 2, 29))  # in a common year, 65 on 1 March
    for day, eligible in ((dt.date(2025, 2, 28), False), (dt.date(2025, 3, 1), True)):
        assert evaluate_item(leap65, "C1", on=day).eligible is eligible
        assert ("C1" in dict(evaluate_many([leap65], on=day)[0])) is eligible


def test_age_from_the_id_number():
    p = Profile.from_dict({"assistance_type": "dibao", "id_number": "11010519491231002X"})
    assert p.birth_date == dt.date(1949, 12, 31) and p.age(ON) == 75


def test_profile_on_is_the_default_day():
    p = Profile("dibao", "active", dt.date(1945, 6, 16), on=ON)  # 80 tomorrow
    assert not evaluate_item(p, "A1").eligible
    assert evaluate_item(p, "A1", on=dt.date(2025, 6, 16)).eligible


# --- reasons ---------------------------------------------------------------------------------------

def texts(code, p):
    return [r.text for r in evaluate_item(p, code, on=ON).reasons]


def test_reasons_carry_the_real_values():
    p = profile("dibao", age=82, self_care_level=1)
    a1 = texts("A1", p)
    assert "救助类别 低保对象 ∈ {特困供养人员, 低保对象, 低保边缘家庭} ✔" in a1
    assert "高龄：年龄 82 岁 ≥ 80 ✔" in a1
    assert "失能等级 1 < 2 ✘" in a1
    assert "独居 ✘" in a1
    en = [r.text_en for r in evaluate_item(p, "A1", on=ON).reasons]
    assert "advanced age: age 82 ≥ 80 ✔" in en and "lives alone ✘" in en
    assert "救助类别 刚性支出困难家庭 ∉ {特困供养人员, 低保对象, 低保边缘家庭} ✘" in texts("A1", profile("zhichu"))
    assert "年龄 15 岁 不在 16–59 岁之间 ✘" in texts("F1", profile(age=15))
    assert "儿童状况 留守儿童 ≠ 无 ✔" in texts("E4", profile(age=9, child_status="left_behind"))
    assert "年龄 64 岁 < 65 ✘" in texts("C1", profile(age=64))


def test_reasons_list_every_criterion():
    verdict = evaluate_item(profile(age=70), "A1", on=ON)
    criteria = [r.criterion for r in verdict.reasons]
    assert criteria == ["status", "assistance_type", "any", "advanced_age", "self_care_moderate", "all",
                        "lives_alone", "any", "limited_mobility", "cognitive_impairment", "vision_impairment"]
    assert [r.depth for r in verdict.reasons] == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3]
    for r in verdict.reasons:
        assert r.text.endswith("✔" if r.met else "✘") and r.text_en.endswith("✔" if r.met else "✘")


@pytest.mark.parametrize("grade, severe, text", [
    (0, False, "重度残疾（一、二级）：残疾等级 0（无） ∉ {1, 2} ✘"),
    (1, True, "重度残疾（一、二级）：残疾等级 1 ∈ {1, 2} ✔"),
    (2, True, "重度残疾（一、二级）：残疾等级 2 ∈ {1, 2} ✔"),
    (3, False, "重度残疾（一、二级）：残疾等级 3 ∉ {1, 2} ✘"),
    (4, False, "重度残疾（一、二级）：残疾等级 4 ∉ {1, 2} ✘"),
])
def test_disability_grade_runs_from_1_most_severe(grade, severe, text):
    p = profile(disability_grade=grade)
    assert text in texts("D1", p)
    assert evaluate_item(p, "D1", on=ON).eligible is severe
    assert evaluate_item(p, "C4", on=ON).eligible is (grade >= 1)  # "disability_grade ≥ 1": any grade


def test_high_risk_elderly_explained():
    reasons = evaluate_item(profile(age=79, lives_alone=True, self_care_level=2), "D3", on=ON).reasons
    assert [(r.text, r.depth) for r in reasons] == [
        ("状态：在册 ✔", 0), ("高风险老人 ✘", 0), ("老年人：年龄 79 岁 ≥ 60 ✔", 1), ("独居 ✔", 1),
        ("以下满足其一 ✘", 1), ("高龄：年龄 79 岁 < 80 ✘", 2), ("失能等级 2 < 3 ✘", 2), ("患重病 ✘", 2)]


def test_to_dict_is_the_api_shape():
    d = evaluate_item(profile(age=82), "C1", on=ON).to_dict()
    assert set(d) == {"item_code", "eligible", "score", "reasons"}
    assert d["item_code"] == "C1" and d["eligible"] is True and isinstance(d["score"], int)
    assert all(set(r) == {"criterion", "met", "text"} for r in d["reasons"])


# --- ranking ----------------------------------------------------------------------------------------

def test_evaluate_orders_eligible_first_by_score_then_code():
    verdicts = evaluate(profile("dibao", age=82, lives_alone=True, limited_mobility=True), on=ON)
    assert sorted(v.item_code for v in verdicts) == list(ITEM_CODES)
    eligible = [v for v in verdicts if v.eligible]
    rest = verdicts[len(eligible):]
    assert eligible and not any(v.eligible for v in rest)
    assert [(-v.score, v.item_code) for v in eligible] == sorted((-v.score, v.item_code) for v in eligible)
    assert [v.item_code for v in rest] == sorted(v.item_code for v in rest)
    assert all(v.score == 0 for v in rest)


RICH = dict(age=85, self_care_level=3, disability_grade=2, lives_alone=True, no_close_relatives=True,
            widowed=True, chronic_illness=True, serious_illness=True, bedridden=True, incontinent=True,
            limited_mobility=True, cognitive_impairment=True, long_term_medication=True,
            post_surgery_rehab=True, poor_living_conditions=True, low_social_participation=True,
            recent_crisis=True, carer_burden=True)


@pytest.mark.parametrize("higher, lower", list(itertools.pairwise(ASSISTANCE_TYPES)))
def test_target_group_outranks_on_every_shared_item(higher, lower):
    hi = dict(evaluate_many([profile(higher, **RICH)], on=ON)[0])
    lo = dict(evaluate_many([profile(lower, **RICH)], on=ON)[0])
    shared = set(hi) & set(lo)
    assert len(shared) >= 15
    for code in shared:
        assert hi[code] > lo[code], code
        assert hi[code] - lo[code] == GROUP_WEIGHT * (PRIORITY[higher] - PRIORITY[lower])


def test_tekun_outscores_identical_dibao():
    for code in ("E1", "C1", "D1"):
        t = evaluate_item(profile("tekun", age=82, self_care_level=2), code, on=ON)
        d = evaluate_item(profile("dibao", age=82, self_care_level=2), code, on=ON)
        assert t.eligible and d.eligible and t.score > d.score


def test_group_dominates_need():
    least_tekun = evaluate_item(profile("tekun", disability_grade=4), "C4", on=ON)
    most_dibao = evaluate_item(profile("dibao", disability_grade=1, post_surgery_rehab=True), "C4", on=ON)
    assert least_tekun.score > most_dibao.score


@pytest.mark.parametrize("code", ITEM_CODES)
def test_need_part_stays_below_one_group_step(code):
    most = 10 * len(need_leaves(code)) + 4 * len(severity_features(code))
    assert most < GROUP_WEIGHT


@pytest.mark.parametrize("code, less, more", [
    ("A1", dict(age=80), dict(age=80, lives_alone=True, limited_mobility=True)),
    ("A1", dict(self_care_level=2), dict(self_care_level=3)),
    ("D1", dict(self_care_level=2), dict(self_care_level=4)),
    ("D1", dict(disability_grade=2), dict(disability_grade=1)),
    ("C4", dict(disability_grade=4), dict(disability_grade=3)),
    ("C4", dict(disability_grade=1), dict(disability_grade=1, post_surgery_rehab=True)),
    ("C1", dict(age=80), dict(age=90)),
    ("C1", dict(age=66), dict(age=66, chronic_illness=True)),
    ("D3", dict(age=80, lives_alone=True), dict(age=80, lives_alone=True, serious_illness=True)),
    ("E3", dict(group="linshi"), dict(group="linshi", recent_crisis=True)),
])
def test_more_and_severer_needs_score_higher(code, less, more):
    lo = evaluate_item(profile(**less), code, on=ON)
    hi = evaluate_item(profile(**more), code, on=ON)
    assert lo.eligible and hi.eligible
    assert hi.score > lo.score


def test_age_is_no_severity_outside_old_age_rules():
    young, old = profile(age=20, able_to_work_unemployed=True), profile(age=59, able_to_work_unemployed=True)
    assert evaluate_item(young, "F1", on=ON).score == evaluate_item(old, "F1", on=ON).score


def test_score_formula():
    # A1 for a dibao resident of 82, self-care 3, living alone with limited mobility:
    # 4×100 + 10×(age≥80, self-care≥2, alone, mobility) + self-care 3 + age band 3
    v = evaluate_item(profile("dibao", age=82, self_care_level=3, lives_alone=True, limited_mobility=True), "A1",
                      on=ON)
    assert v.score == 400 + 40 + 3 + 3
    # Items with no need criteria rank by target group only.
    assert evaluate_item(profile("linshi"), "F2", on=ON).score == 100


def test_specific_items_rank_above_universal_ones():
    verdicts = [v for v in evaluate(profile("tekun", poor_living_conditions=True), on=ON) if v.eligible]
    assert [v.item_code for v in verdicts] == ["B2", "E1", "F2", "F4"]


# --- rule sentences --------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ITEM_CODES)
def test_every_rule_renders(code):
    text = describe(code)
    assert text.text and text.text_en
    assert not any("a" <= ch <= "z" for ch in text.text.lower()), text.text  # Chinese only
    assert text.text.count("（") == text.text.count("）") and text.text_en.count("(") == text.text_en.count(")")
    for key, zh, definition, en, definition_en in text.terms:
        assert zh in text.text or any(zh in d for _, _, d, _, _ in text.terms)
        assert definition and definition_en
    assert text.to_dict()["item_code"] == code


def test_rule_sentences_read_like_domain():
    assert describe("A1").text == ("（特困/低保/低保边缘）且（高龄 或 失能等级≥2 或（独居 且"
                                   "（行动不便 或 认知障碍 或 视力障碍）））")
    assert describe("A1").text_en == ("(tekun/dibao/dibian) and (advanced age or self-care level ≥ 2 or "
                                      "(lives alone and (limited mobility or cognitive impairment or vision "
                                      "impairment)))")
    assert describe("D3").text == "高风险老人"
    assert ("high_risk_elderly", "高风险老人", "老年人 且 独居 且（高龄 或 失能等级≥3 或 患重病）") == \
        describe("D3").terms[-1][:3]
    assert describe("F1").text == "有劳动能力但失业 且 年龄16–59岁"
    assert describe("E1").text == "任何在册对象"


# --- the rule language ------------------------------------------------------------------------------

def test_rule_language_guards():
    with pytest.raises(ValueError):
        Flag("self_care_level")
    with pytest.raises(ValueError):
        Attr("lives_alone")
    with pytest.raises(ValueError):
        GroupIn("poor")
    with pytest.raises(ValueError):
        All(Flag("lives_alone"))


def test_not_and_nesting_are_consistent():
    rule = All(Not(Flag("lives_alone")), Any(ADVANCED_AGE, Attr("self_care_level") <= 1))
    facts = {k: False for k in CONDITION_KEYS} | {"self_care_level": 3, "age": 85, "assistance_type": "dibao"}
    assert rule.test(facts) is eval(rule.py(), {}, dict(facts))  # noqa: S307 — our own generated code
    assert rule.sentence() == "非独居 且（高龄 或 失能等级≤1）"
    assert rule.explain(facts)[1].text == "非（独居）✔"
    assert [leaf.key for leaf in rule.leaves()] == ["age>=80", "self_care_level<=1"]  # a negation is no need


def test_rules_are_data_for_the_catalog():
    assert set(RULES) == {row[0] for row in ITEMS}
    assert tuple(f for f in PROFILE_COLUMNS[3:]) == CONDITION_KEYS


# --- bulk agrees with the explained path ------------------------------------------------------------

def random_profiles(n: int, seed: int = 7) -> list[Profile]:
    rnd = random.Random(seed)
    ages = list(range(0, 20)) + list(range(55, 67)) + list(range(77, 95))
    out = []
    for _ in range(n):
        age = rnd.choice(ages)
        birth = born(age) + dt.timedelta(days=rnd.choice((0, 0, 1, -1, 100, 200)))  # birthdays around ON
        if rnd.random() < 0.01:
            birth = dt.date(rnd.choice((1936, 1944, 1960, 2008)), 2, 29)
        out.append(Profile(
            assistance_type=rnd.choice(ASSISTANCE_TYPES),
            status=rnd.choices(("active", "suspended", "terminated"), (85, 10, 5))[0],
            birth_date=birth, self_care_level=rnd.randint(0, 4), disability_grade=rnd.randint(0, 4),
            child_status=rnd.choice(("none", "none", "in_difficulty", "left_behind", "unsupported")),
            **{k: rnd.random() < 0.3 for k in CONDITION_KEYS if k not in
               ("self_care_level", "disability_grade", "child_status")}))
    return out


def test_evaluate_many_agrees_with_evaluate():
    profiles = random_profiles(3000)
    bulk = evaluate_many(profiles, on=ON)
    assert len(bulk) == len(profiles)
    for p, got in zip(profiles, bulk):
        expected = [(v.item_code, v.score) for v in evaluate(p, on=ON) if v.eligible]
        assert got == expected, p
    assert sum(map(len, bulk)) > 3000  # the sample is not trivially empty
    # The same rows as tuples (a database select), mappings and duck-typed objects give the same.
    sample = profiles[:300]
    assert evaluate_many([p.as_row() for p in sample], on=ON) == bulk[:300]
    assert evaluate_many([{k: getattr(p, k) for k in PROFILE_COLUMNS} for p in sample], on=ON) == bulk[:300]
    assert evaluate_many([SimpleNamespace(**{k: getattr(p, k) for k in PROFILE_COLUMNS}) for p in sample],
                         on=ON) == bulk[:300]


def test_evaluate_many_subset_of_items():
    profiles = random_profiles(500, seed=11)
    full = evaluate_many(profiles, on=ON)
    part = evaluate_many(profiles, on=ON, items=["D3", "A1"])
    assert part == [[(c, s) for c, s in row if c in ("A1", "D3")] for row in full]


def test_need_score_matches_bulk_for_each_item():
    for p in random_profiles(200, seed=3):
        facts = {k: getattr(p, k) for k in PROFILE_COLUMNS} | {"age": p.age(ON)}
        bulk = dict(evaluate_many([p], on=ON)[0])
        for code, score in bulk.items():
            assert score == GROUP_WEIGHT * PRIORITY[p.assistance_type] + need_score(code, facts)


# --- profiles ---------------------------------------------------------------------------------------

def test_profile_from_api_dict():
    data = {"assistance_type": "tekun", "status": "active", "birth_date": "1940-01-02", "name": "王守义",
            "conditions": {"lives_alone": True, "self_care_level": 2}}
    p = Profile.from_dict(data, on=ON)
    assert p.lives_alone and p.self_care_level == 2 and p.birth_date == dt.date(1940, 1, 2) and p.on == ON
    assert not p.widowed and p.child_status == "none"
    with pytest.raises(ValueError):
        Profile.from_dict({**data, "conditions": {"flying": True}})
    with pytest.raises(ValueError):
        Profile.from_dict({**data, "conditions": {"self_care_level": 5}})
    with pytest.raises(ValueError):
        Profile.from_dict({**data, "assistance_type": "rich"})
    with pytest.raises(ValueError):
        Profile.from_dict({**data, "conditions": {"lives_alone": "yes"}})


def test_profile_from_resident_duck_typed():
    resident = SimpleNamespace(assistance_type="dibao", status="active", birth_date=born(81),
                               **{k: None for k in CONDITION_KEYS})
    resident.lives_alone = True
    p = Profile.from_resident(resident, on=ON)
    assert p.lives_alone and p.self_care_level == 0 and p.child_status == "none" and p.on == ON
    assert evaluate_item(p, "D3").eligible


def test_status_on_a_past_day():
    change = SimpleNamespace(from_status="active", to_status="suspended", effective_on=dt.date(2025, 6, 1), id=1)
    back = SimpleNamespace(from_status="suspended", to_status="active", effective_on=dt.date(2025, 6, 10), id=2)
    assert status_on("active", [back, change], dt.date(2025, 5, 31)) == "active"
    assert status_on("active", [back, change], dt.date(2025, 6, 1)) == "suspended"
    assert status_on("active", [back, change], dt.date(2025, 6, 10)) == "active"
    assert status_on("terminated", [], ON) == "terminated"
    resident = SimpleNamespace(assistance_type="dibao", status="active", birth_date=born(81),
                               status_changes=[change, back], **{k: None for k in CONDITION_KEYS})
    on_leave = Profile.from_resident(resident, on=dt.date(2025, 6, 5), status_history=True)
    assert on_leave.status == "suspended"
    assert Profile.from_resident(resident, on=dt.date(2025, 6, 5)).status == "active"


def test_matching_is_pure():
    code = ("import sys, assist.matching; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'flask_sqlalchemy')"
            " or m in ('assist.extensions', 'assist.residents.models')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- recommended frequencies ------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, rrule, basis", [
    (dict(group="dibao", age=82, lives_alone=True), "FREQ=WEEKLY", "高风险老人"),
    (dict(group="dibao", age=70, lives_alone=True, self_care_level=3), "FREQ=WEEKLY", "高风险老人"),
    (dict(group="tekun", age=70), "FREQ=MONTHLY", "重点对象"),
    (dict(group="dibao", age=70, self_care_level=2), "FREQ=MONTHLY", "重点对象"),
    (dict(group="dibao", age=10, child_status="left_behind"), "FREQ=MONTHLY", "重点对象"),
    (dict(group="dibao", age=82), "FREQ=MONTHLY;INTERVAL=3", "一般对象"),
    (dict(group="dibao", age=70, self_care_level=1), "FREQ=MONTHLY;INTERVAL=3", "一般对象"),
])
def test_e1_frequency(kwargs, rrule, basis):
    f = recommended_frequency("E1", profile(**kwargs), on=ON)
    assert f.rrule == rrule and f.basis.startswith(basis)


def test_d1_hours_by_self_care_level():
    for level, hours in ((2, 8), (3, 16), (4, 16)):
        f = recommended_frequency("D1", profile(self_care_level=level), on=ON)
        assert f.quantity_per_visit * f.monthly_cap == hours
    assert recommended_frequency("D1", profile(disability_grade=1), on=ON).monthly_cap == 4


@pytest.mark.parametrize("code", ITEM_CODES)
def test_frequencies_fit_their_caps(code):
    for f in (recommended_frequency(code), recommended_frequency(code, profile(age=85, self_care_level=4,
                                                                               lives_alone=True), on=ON)):
        assert f.item_code == code and f.text and f.text_en and f.quantity_per_visit >= 1
        if f.rrule is None:
            continue
        start = dt.datetime(2025, 1, 1, 9, 0)
        dates = list(rrulestr(f.rrule, dtstart=start).between(start, dt.datetime(2027, 1, 1), inc=True))
        assert dates, f.rrule
        if f.monthly_cap:
            per_month = {}
            for d in dates:
                per_month[(d.year, d.month)] = per_month.get((d.year, d.month), 0) + 1
            assert max(per_month.values()) <= f.monthly_cap, (code, f.rrule)
