"""The assessed conditions of DOMAIN.md and the target groups: one definition used by models, forms,
the API, imports, matching and printouts."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

ASSISTANCE_TYPES = ("tekun", "dibao", "dibian", "zhichu", "linshi")
ASSISTANCE_TITLES = {
    "tekun": _l("Extreme-poverty supported person"),
    "dibao": _l("Minimum-living-guarantee recipient"),
    "dibian": _l("Marginal low-income household"),
    "zhichu": _l("Household in hardship from unavoidable expenses"),
    "linshi": _l("Temporary-assistance recipient"),
}
# Chinese titles as printed on documents, whatever the reader's language.
ASSISTANCE_ZH = {"tekun": "特困供养人员", "dibao": "低保对象", "dibian": "低保边缘家庭",
                 "zhichu": "刚性支出困难家庭", "linshi": "临时救助对象"}
PRIORITY = {code: len(ASSISTANCE_TYPES) - i for i, code in enumerate(ASSISTANCE_TYPES)}  # tekun 5 … linshi 1

STATUSES = ("active", "suspended", "terminated")
STATUS_TITLES = {"active": _l("Active"), "suspended": _l("Suspended"), "terminated": _l("Terminated")}
# Why a case ended or paused (DOMAIN.md "Case" workflow); the free-text reason is always required too.
STATUS_REASON_KINDS = ("deceased", "moved_away", "institution", "off_register", "refused", "other")
STATUS_REASON_TITLES = {
    "deceased": _l("Deceased"), "moved_away": _l("Moved away"), "institution": _l("In an institution or hospital"),
    "off_register": _l("Off the register"), "refused": _l("Refused services"), "other": _l("Other"),
}

CHILD_STATUSES = ("none", "in_difficulty", "left_behind", "unsupported")
CHILD_STATUS_TITLES = {"none": _l("None"), "in_difficulty": _l("Child in difficulty"),
                       "left_behind": _l("Left-behind child"), "unsupported": _l("De facto unsupported child")}
CHILD_STATUS_ZH = {"none": "无", "in_difficulty": "困境儿童", "left_behind": "留守儿童", "unsupported": "事实无人抚养儿童"}

SELF_CARE_TITLES = {0: _l("0 intact"), 1: _l("1 mild"), 2: _l("2 moderate"), 3: _l("3 severe"), 4: _l("4 total loss")}
DISABILITY_TITLES = {0: _l("none"), 1: _l("grade 1 (most severe)"), 2: _l("grade 2"), 3: _l("grade 3"),
                     4: _l("grade 4 (mildest)")}


@dataclass(frozen=True)
class Condition:
    key: str
    kind: str  # "level" (0–4), "bool" or "child"
    label: object  # lazy, for the UI
    zh: str  # for printouts and the matching reasons


CONDITIONS: tuple[Condition, ...] = (
    Condition("self_care_level", "level", _l("Self-care disability level"), "失能等级"),
    Condition("disability_grade", "level", _l("Disability grade"), "残疾等级"),
    Condition("lives_alone", "bool", _l("Lives alone"), "独居"),
    Condition("no_close_relatives", "bool", _l("No close relatives"), "无近亲属"),
    Condition("widowed", "bool", _l("Widowed"), "丧偶"),
    Condition("chronic_illness", "bool", _l("Chronic illness"), "患慢性病"),
    Condition("serious_illness", "bool", _l("Serious illness"), "患重病"),
    Condition("bedridden", "bool", _l("Bedridden"), "长期卧床"),
    Condition("incontinent", "bool", _l("Incontinent"), "大小便失禁"),
    Condition("limited_mobility", "bool", _l("Limited mobility"), "行动不便"),
    Condition("cognitive_impairment", "bool", _l("Cognitive impairment"), "认知障碍"),
    Condition("vision_impairment", "bool", _l("Vision impairment"), "视力障碍"),
    Condition("long_term_medication", "bool", _l("Long-term medication"), "长期服药"),
    Condition("post_surgery_rehab", "bool", _l("Post-surgery rehabilitation"), "术后康复"),
    Condition("poor_living_conditions", "bool", _l("Poor living conditions"), "居住环境差"),
    Condition("able_to_work_unemployed", "bool", _l("Able to work but unemployed"), "有劳动能力但失业"),
    Condition("low_social_participation", "bool", _l("Low social participation"), "社会参与度低"),
    Condition("recent_crisis", "bool", _l("Recent crisis"), "近期遭遇危机"),
    Condition("carer_burden", "bool", _l("Heavy burden on family carers"), "家庭照护负担重"),
    Condition("child_status", "child", _l("Child status"), "儿童状况"),
)
CONDITION_KEYS = tuple(c.key for c in CONDITIONS)
BOOL_KEYS = tuple(c.key for c in CONDITIONS if c.kind == "bool")
BY_KEY = {c.key: c for c in CONDITIONS}


def defaults() -> dict:
    return {c.key: (0 if c.kind == "level" else "none" if c.kind == "child" else False) for c in CONDITIONS}
