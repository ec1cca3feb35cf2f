"""The eligibility rules of DOMAIN.md's catalog, as data: one readable rule per item.

A rule is a tree of small predicate nodes. Every node can

* ``test(facts)`` — decide over a profile's facts (a mapping of the profile's columns plus ``age``);
* ``explain(facts)`` — say, criterion by criterion, what was met and what was not, in Chinese with the
  actual value ("年龄 82 岁 ≥ 80 ✔", "独居 ✘") and in English;
* ``sentence()`` / ``sentence_en()`` — render itself as one sentence for the catalog page;
* ``py()`` — emit an equivalent plain Python expression, so that bulk matching compiles every rule
  once into straight-line code instead of walking the tree for each of 100,000 residents.

Nothing here knows about Flask or the database: facts are plain values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from assist.residents.conditions import ASSISTANCE_TYPES, ASSISTANCE_ZH, BY_KEY, CHILD_STATUS_ZH

MET, NOT_MET = "✔", "✘"

# Short names of the target groups, for rule sentences ("特困/低保/低保边缘").
GROUP_SHORT_ZH = {"tekun": "特困", "dibao": "低保", "dibian": "低保边缘", "zhichu": "刚性支出困难",
                  "linshi": "临时救助"}

# English condition labels as plain text. The lazy labels in conditions.py follow the reader's locale
# inside a request, so they cannot serve as the fixed English parallel text of a reason.
_EN_OVERRIDES = {"self_care_level": "self-care level", "able_to_work_unemployed": "able to work but unemployed",
                 "post_surgery_rehab": "post-surgery rehabilitation", "long_term_medication": "long-term medication",
                 "carer_burden": "heavy burden on family carers"}


def label_zh(key: str) -> str:
    return "年龄" if key == "age" else BY_KEY[key].zh


def label_en(key: str) -> str:
    return _EN_OVERRIDES.get(key) or key.replace("_", " ")


def _value_zh(key: str, value) -> str:
    if key == "age":
        return f"{value} 岁"
    if key == "child_status":
        return CHILD_STATUS_ZH.get(value, str(value))
    if key == "disability_grade" and value == 0:
        return "0（无）"
    return str(value)


def _value_en(key: str, value) -> str:
    if key == "disability_grade" and value == 0:
        return "0 (none)"
    return str(value)


def _mark(met: bool) -> str:
    return MET if met else NOT_MET


@dataclass(frozen=True)
class Reason:
    """One criterion of a verdict: its key, whether it holds, and a sentence saying so.

    ``depth`` is the nesting level under an "any of"/"all of" line, for indenting on a page.
    """

    criterion: str
    met: bool
    text: str
    text_en: str
    depth: int = 0

    def to_dict(self) -> dict:
        return {"criterion": self.criterion, "met": self.met, "text": self.text}


# --- the nodes ------------------------------------------------------------------------------------

class Predicate:
    """Base of every rule node."""

    #: leaf criteria about the resident's needs count towards the score; target group does not.
    need = False

    def test(self, facts: Mapping) -> bool:
        raise NotImplementedError

    def explain(self, facts: Mapping, depth: int = 0) -> list[Reason]:
        raise NotImplementedError

    def sentence(self) -> str:
        raise NotImplementedError

    def sentence_en(self) -> str:
        raise NotImplementedError

    def py(self) -> str:
        raise NotImplementedError

    def children(self) -> tuple["Predicate", ...]:
        return ()

    # Whether the sentence needs brackets when it sits inside a larger and/or.
    compound = False

    def leaves(self) -> Iterator["Predicate"]:
        """The leaf criteria, outside any negation (a negated need is not a need that holds)."""
        kids = self.children()
        if not kids:
            yield self
        for kid in kids:
            yield from kid.leaves()

    def terms(self) -> Iterator["Term"]:
        for kid in self.children():
            yield from kid.terms()

    @property
    def key(self) -> str:
        """A stable machine name of the criterion (the ``criterion`` of a reason)."""
        raise NotImplementedError


class Flag(Predicate):
    """A yes/no condition of the needs assessment: ``Flag('lives_alone')``."""

    need = True

    def __init__(self, name: str):
        if name not in BY_KEY or BY_KEY[name].kind != "bool":
            raise ValueError(f"not a yes/no condition: {name!r}")
        self.name = name

    @property
    def key(self) -> str:
        return self.name

    def test(self, facts):
        return bool(facts[self.name])

    def explain(self, facts, depth=0):
        met = self.test(facts)
        return [Reason(self.key, met, f"{label_zh(self.name)} {_mark(met)}", f"{label_en(self.name)} {_mark(met)}",
                       depth)]

    def sentence(self):
        return label_zh(self.name)

    def sentence_en(self):
        return label_en(self.name)

    def py(self):
        return self.name


# operator: (python, shown when met, shown when not met)
_OPS = {">=": (">=", "≥", "<"), "<=": ("<=", "≤", ">"), ">": (">", ">", "≤"), "<": ("<", "<", "≥"),
        "==": ("==", "=", "≠"), "!=": ("!=", "≠", "="), "in": ("in", "∈", "∉")}


class Compare(Predicate):
    """A level, the child status or the age compared with a constant; built by :class:`Attr`."""

    need = True

    def __init__(self, attr: str, op: str, value):
        if op not in _OPS:
            raise ValueError(f"unknown operator {op!r}")
        self.attr, self.op, self.value = attr, op, value

    @property
    def key(self) -> str:
        if self.op == "in":
            return f"{self.attr} in {{{','.join(map(str, self.value))}}}"
        return f"{self.attr}{self.op}{self.value}"

    def test(self, facts):
        v = facts[self.attr]
        op = self.op
        if op == ">=":
            return v >= self.value
        if op == "<=":
            return v <= self.value
        if op == ">":
            return v > self.value
        if op == "<":
            return v < self.value
        if op == "==":
            return v == self.value
        if op == "!=":
            return v != self.value
        return v in self.value

    def _rhs_zh(self):
        if self.op == "in":
            return "{" + ", ".join(_value_zh(self.attr, v) for v in self.value) + "}"
        return str(self.value) if self.attr == "age" else _value_zh(self.attr, self.value)

    def _rhs_en(self):
        if self.op == "in":
            return "{" + ", ".join(_value_en(self.attr, v) for v in self.value) + "}"
        return _value_en(self.attr, self.value)

    def explain(self, facts, depth=0):
        met = self.test(facts)
        v = facts[self.attr]
        shown = _OPS[self.op][1 if met else 2]
        return [Reason(self.key, met,
                       f"{label_zh(self.attr)} {_value_zh(self.attr, v)} {shown} {self._rhs_zh()} {_mark(met)}",
                       f"{label_en(self.attr)} {_value_en(self.attr, v)} {shown} {self._rhs_en()} {_mark(met)}",
                       depth)]

    def sentence(self):
        unit = "岁" if self.attr == "age" else ""
        return f"{label_zh(self.attr)}{_OPS[self.op][1]}{self._rhs_zh()}{unit}"

    def sentence_en(self):
        return f"{label_en(self.attr)} {_OPS[self.op][1]} {self._rhs_en()}"

    def py(self):
        value = tuple(self.value) if self.op == "in" else self.value
        return f"{self.attr} {_OPS[self.op][0]} {value!r}"


class Attr:
    """Builder for comparisons: ``Attr('self_care_level') >= 2``, ``Attr('disability_grade').isin(1, 2)``."""

    __hash__ = None  # comparisons build nodes; an Attr is not a value

    def __init__(self, name: str):
        if name != "age" and (name not in BY_KEY or BY_KEY[name].kind == "bool"):
            raise ValueError(f"not a level or status condition: {name!r} (use Flag for yes/no conditions)")
        self.name = name

    def __ge__(self, value):
        return Compare(self.name, ">=", value)

    def __le__(self, value):
        return Compare(self.name, "<=", value)

    def __gt__(self, value):
        return Compare(self.name, ">", value)

    def __lt__(self, value):
        return Compare(self.name, "<", value)

    def __eq__(self, value):  # type: ignore[override]
        return Compare(self.name, "==", value)

    def __ne__(self, value):  # type: ignore[override]
        return Compare(self.name, "!=", value)

    def isin(self, *values):
        return Compare(self.name, "in", tuple(values))


def AgeAtLeast(years: int) -> Compare:  # noqa: N802 — reads like the other node constructors
    """Age (whole years on the day in question, from the ID number's birth date) ≥ ``years``."""
    return Attr("age") >= years


def AgeBelow(years: int) -> Compare:  # noqa: N802
    return Attr("age") < years


class AgeBetween(Predicate):
    """``lo`` ≤ age ≤ ``hi``, both ends included (working age 16–59)."""

    need = True
    attr = "age"

    def __init__(self, lo: int, hi: int):
        self.lo, self.hi = lo, hi

    @property
    def key(self):
        return f"{self.lo}<=age<={self.hi}"

    def test(self, facts):
        return self.lo <= facts["age"] <= self.hi

    def explain(self, facts, depth=0):
        met = self.test(facts)
        age = facts["age"]
        inside_zh, inside_en = ("在", "within") if met else ("不在", "outside")
        return [Reason(self.key, met, f"年龄 {age} 岁 {inside_zh} {self.lo}–{self.hi} 岁之间 {_mark(met)}",
                       f"age {age} {inside_en} {self.lo}–{self.hi} {_mark(met)}", depth)]

    def sentence(self):
        return f"年龄{self.lo}–{self.hi}岁"

    def sentence_en(self):
        return f"age {self.lo}–{self.hi}"

    def py(self):
        return f"{self.lo} <= age <= {self.hi}"


class GroupIn(Predicate):
    """The resident's target group (救助对象类别) is one of ``groups``."""

    def __init__(self, *groups: str):
        unknown = set(groups) - set(ASSISTANCE_TYPES)
        if unknown:
            raise ValueError(f"unknown target groups: {sorted(unknown)}")
        # Keep the order of priority, whatever order they were written in.
        self.groups = tuple(g for g in ASSISTANCE_TYPES if g in groups)

    @property
    def compound(self):
        return len(self.groups) > 1

    @property
    def key(self):
        return "assistance_type"

    def test(self, facts):
        return facts["assistance_type"] in self.groups

    def explain(self, facts, depth=0):
        met = self.test(facts)
        group = facts["assistance_type"]
        sign = "∈" if met else "∉"
        zh = ", ".join(ASSISTANCE_ZH[g] for g in self.groups)
        return [Reason(self.key, met,
                       f"救助类别 {ASSISTANCE_ZH.get(group, group)} {sign} {{{zh}}} {_mark(met)}",
                       f"target group {group} {sign} {{{', '.join(self.groups)}}} {_mark(met)}", depth)]

    def sentence(self):
        return "/".join(GROUP_SHORT_ZH[g] for g in self.groups)

    def sentence_en(self):
        return "/".join(self.groups)

    def py(self):
        return f"assistance_type in {self.groups!r}"


class Always(Predicate):
    """Any active resident (the status itself is the hard rule checked before every item)."""

    @property
    def key(self):
        return "any_active"

    def test(self, facts):
        return True

    def explain(self, facts, depth=0):
        return [Reason(self.key, True, f"任何在册对象均可 {MET}", f"any active resident {MET}", depth)]

    def sentence(self):
        return "任何在册对象"

    def sentence_en(self):
        return "any active resident"

    def py(self):
        return "True"


class _Combine(Predicate):
    joiner_zh = joiner_en = header_zh = header_en = name = ""
    compound = True

    def __init__(self, *parts: Predicate):
        if len(parts) < 2:
            raise ValueError(f"{type(self).__name__} needs at least two parts")
        self.parts = parts

    def children(self):
        return self.parts

    @property
    def key(self):
        return self.name

    def explain(self, facts, depth=0):
        met = self.test(facts)
        head = Reason(self.key, met, f"{self.header_zh} {_mark(met)}", f"{self.header_en} {_mark(met)}", depth)
        return [head] + [r for p in self.parts for r in p.explain(facts, depth + 1)]

    def sentence(self):
        text = self.joiner_zh.join(f"（{p.sentence()}）" if p.compound else p.sentence() for p in self.parts)
        return text.replace("） ", "）").replace(" （", "（")  # full-width brackets bring their own space

    def sentence_en(self):
        return self.joiner_en.join(f"({p.sentence_en()})" if p.compound else p.sentence_en() for p in self.parts)


class All(_Combine):
    name, joiner_zh, joiner_en = "all", " 且 ", " and "
    header_zh, header_en = "以下全部满足", "all of the following"

    def test(self, facts):
        return all(p.test(facts) for p in self.parts)

    def py(self):
        return "(" + " and ".join(p.py() for p in self.parts) + ")"


class Any(_Combine):
    name, joiner_zh, joiner_en = "any", " 或 ", " or "
    header_zh, header_en = "以下满足其一", "any of the following"

    def test(self, facts):
        return any(p.test(facts) for p in self.parts)

    def py(self):
        return "(" + " or ".join(p.py() for p in self.parts) + ")"


class Not(Predicate):
    def __init__(self, part: Predicate):
        self.part = part

    def children(self):
        return (self.part,)

    @property
    def key(self):
        return f"not {self.part.key}"

    def test(self, facts):
        return not self.part.test(facts)

    def explain(self, facts, depth=0):
        met = self.test(facts)
        return [Reason(self.key, met, f"非（{self.part.sentence()}）{_mark(met)}",
                       f"not ({self.part.sentence_en()}) {_mark(met)}", depth)]

    def sentence(self):
        return f"非（{self.part.sentence()}）" if self.part.compound else f"非{self.part.sentence()}"

    def sentence_en(self):
        return f"not ({self.part.sentence_en()})" if self.part.compound else f"not {self.part.sentence_en()}"

    def py(self):
        return f"(not {self.part.py()})"

    def leaves(self):
        return iter(())


class Term(Predicate):
    """A named derived term of DOMAIN.md ("高龄" = age ≥ 80), shown by name in rule sentences
    (or by its definition, with ``inline``, when that says it more plainly: "失能等级≥2")."""

    def __init__(self, key: str, zh: str, en: str, definition: Predicate, *, inline: bool = False):
        self._key, self.zh, self.en, self.definition, self.inline = key, zh, en, definition, inline

    @property
    def compound(self):
        return self.inline and self.definition.compound

    @property
    def key(self):
        return self._key

    def children(self):
        return (self.definition,)

    def terms(self):
        yield from self.definition.terms()
        if not self.inline:
            yield self

    def test(self, facts):
        return self.definition.test(facts)

    def explain(self, facts, depth=0):
        inner = self.definition.explain(facts, depth + 1)
        if len(inner) == 1:  # a term over a single criterion: one line, "高龄：年龄 82 岁 ≥ 80 ✔"
            r = inner[0]
            if self.inline:  # shown as its definition everywhere: "失能等级 1 < 2 ✘"
                return [Reason(self.key, r.met, r.text, r.text_en, depth)]
            return [Reason(self.key, r.met, f"{self.zh}：{r.text}", f"{self.en}: {r.text_en}", depth)]
        met = self.test(facts)
        head = Reason(self.key, met, f"{self.zh} {_mark(met)}", f"{self.en} {_mark(met)}", depth)
        if isinstance(self.definition, _Combine):  # the term's own line stands for the and/or header
            inner = [Reason(r.criterion, r.met, r.text, r.text_en, r.depth - 1) for r in inner[1:]]
        return [head] + inner

    def sentence(self):
        return self.definition.sentence() if self.inline else self.zh

    def sentence_en(self):
        return self.definition.sentence_en() if self.inline else self.en

    def py(self):
        return self.definition.py()


# --- DOMAIN.md's derived terms ----------------------------------------------------------------

ELDERLY = Term("elderly", "老年人", "elderly", AgeAtLeast(60))
ADVANCED_AGE = Term("advanced_age", "高龄", "advanced age", AgeAtLeast(80))
CHILD = Term("child", "未成年人", "child", AgeBelow(18))
SELF_CARE_MODERATE = Term("self_care_moderate", "中度及以上失能", "moderate+ loss of self-care",
                          Attr("self_care_level") >= 2, inline=True)
# Disability grades run the other way: 1 is the most severe, 4 the mildest, 0 none.
SEVERE_DISABILITY = Term("severe_disability", "重度残疾（一、二级）", "severe disability (grade 1–2)",
                         Attr("disability_grade").isin(1, 2))
ANY_DISABILITY = Term("any_disability", "持有残疾等级（一至四级）", "any disability grade (1–4)",
                      Attr("disability_grade") >= 1)
HIGH_RISK_ELDERLY = Term(
    "high_risk_elderly", "高风险老人", "high-risk elderly",
    All(ELDERLY, Flag("lives_alone"),
        Any(ADVANCED_AGE, Attr("self_care_level") >= 3, Flag("serious_illness"))))
ANY_ACTIVE = Always()
# E1's "other key groups" (visited monthly rather than quarterly).
KEY_GROUP = Term("key_group", "重点对象", "key group",
                 Any(GroupIn("tekun"), Attr("self_care_level") >= 2, Attr("child_status") != "none"))

# --- the catalog: one rule per item, as DOMAIN.md writes it ------------------------------------

RULES: dict[str, Predicate] = {
    # A 生活服务
    "A1": All(GroupIn("tekun", "dibao", "dibian"),
              Any(ADVANCED_AGE, SELF_CARE_MODERATE,
                  All(Flag("lives_alone"),
                      Any(Flag("limited_mobility"), Flag("cognitive_impairment"), Flag("vision_impairment"))))),
    "A2": Any(SELF_CARE_MODERATE, SEVERE_DISABILITY),
    "A3": Any(Flag("bedridden"), Flag("limited_mobility")),
    "A4": Any(All(Flag("lives_alone"), Flag("no_close_relatives")), Flag("limited_mobility")),
    # B 清洁服务
    "B1": Any(SELF_CARE_MODERATE, All(Any(ELDERLY, SEVERE_DISABILITY), Flag("lives_alone"))),
    "B2": Flag("poor_living_conditions"),
    "B3": Any(Flag("incontinent"), Flag("bedridden")),
    "B4": Any(All(ELDERLY, Flag("lives_alone")), SELF_CARE_MODERATE),
    # C 医疗健康
    "C1": Any(Flag("chronic_illness"), Flag("serious_illness"), AgeAtLeast(65)),
    "C2": All(Any(Flag("lives_alone"), Flag("no_close_relatives")),
              Any(Flag("limited_mobility"), Flag("serious_illness"), ELDERLY)),
    "C3": All(Flag("long_term_medication"),
              Any(Flag("cognitive_impairment"), Flag("vision_impairment"), Flag("limited_mobility"))),
    "C4": Any(Flag("post_surgery_rehab"), ANY_DISABILITY),
    # D 照护服务
    "D1": Any(SELF_CARE_MODERATE, SEVERE_DISABILITY),
    "D2": All(Flag("carer_burden"), GroupIn("dibao", "dibian", "zhichu")),
    "D3": HIGH_RISK_ELDERLY,
    "D4": Any(SELF_CARE_MODERATE, Flag("cognitive_impairment")),
    # E 关爱服务
    "E1": ANY_ACTIVE,
    "E2": All(Any(Flag("lives_alone"), Flag("widowed")), Any(ELDERLY, Flag("low_social_participation"))),
    "E3": Any(Flag("recent_crisis"), GroupIn("linshi")),
    "E4": All(CHILD, Attr("child_status") != "none"),
    # F 能力提升与社会融入
    "F1": All(Flag("able_to_work_unemployed"), AgeBetween(16, 59)),
    "F2": ANY_ACTIVE,
    "F3": Any(Flag("low_social_participation"), ANY_DISABILITY),
    "F4": ANY_ACTIVE,
}
ITEM_CODES: tuple[str, ...] = tuple(sorted(RULES))


@dataclass(frozen=True)
class RuleText:
    """A rule as the catalog page shows it: one sentence, and the derived terms it uses."""

    item_code: str
    text: str
    text_en: str
    terms: tuple[tuple[str, str, str, str, str], ...]  # (key, name zh, definition zh, name en, definition en)

    def to_dict(self) -> dict:
        return {"item_code": self.item_code, "text": self.text, "text_en": self.text_en,
                "terms": [{"key": k, "name": zh, "definition": dzh, "name_en": en, "definition_en": den}
                          for k, zh, dzh, en, den in self.terms]}


def describe(item_code: str) -> RuleText:
    """The rule of one item as a sentence, e.g. "（特困/低保/低保边缘）且（高龄 或 失能等级≥2 或 …）"."""
    rule = RULES[item_code]
    seen, terms = set(), []
    for t in rule.terms():
        if t.key not in seen:
            seen.add(t.key)
            terms.append((t.key, t.zh, t.definition.sentence(), t.en, t.definition.sentence_en()))
    return RuleText(item_code, rule.sentence(), rule.sentence_en(), tuple(terms))


def need_leaves(item_code: str) -> tuple[Predicate, ...]:
    """The distinct need criteria of an item's rule (target group excluded), in rule order."""
    return _NEED_LEAVES[item_code]


def severity_features(item_code: str) -> frozenset[str]:
    """Which severity measures ("self_care_level", "disability_grade", "age") an item's rule refers to.

    Age counts only through an old-age threshold (age ≥ n with n ≥ 60): being a child or of working
    age is a condition, not a degree of severity.
    """
    return _SEVERITY[item_code]


def _compute_needs(rule: Predicate) -> tuple[Predicate, ...]:
    out, seen = [], set()
    for leaf in rule.leaves():
        if leaf.need and leaf.key not in seen:
            seen.add(leaf.key)
            out.append(leaf)
    return tuple(out)


def _compute_severity(leaves) -> frozenset[str]:
    feats = set()
    for leaf in leaves:
        attr = getattr(leaf, "attr", None)
        if attr in ("self_care_level", "disability_grade"):
            feats.add(attr)
        elif attr == "age" and isinstance(leaf, Compare) and leaf.op == ">=" and leaf.value >= 60:
            feats.add("age")
    return frozenset(feats)


_NEED_LEAVES = {code: _compute_needs(rule) for code, rule in RULES.items()}
_SEVERITY = {code: _compute_severity(_NEED_LEAVES[code]) for code in RULES}
