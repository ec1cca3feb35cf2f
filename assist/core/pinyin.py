"""Pinyin keys for searching Chinese names by initials (王守义 ← wsy) or full pinyin."""
from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_WORD_SPLIT = re.compile(r"[^0-9a-z]+")

# Surnames whose reading differs from the character's most common one.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou", "覃": "qin",
    "盖": "ge", "任": "ren", "华": "hua", "纪": "ji", "缪": "miao", "翟": "zhai", "尉": "yu", "乐": "yue",
    "燕": "yan", "员": "yun", "沈": "shen", "万": "wan", "贾": "jia", "繁": "po", "种": "chong", "秘": "bi",
}


def keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lowercase, no separators; non-Chinese characters kept as letters."""
    name = (name or "").strip()
    if not name:
        return "", ""
    # Non-Chinese parts count word by word (Li Wei ← lw), not letter by letter.
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors=lambda s: [w for w in _WORD_SPLIT.split(s.lower()) if w])
    surname = SURNAME_READINGS.get(name[0])
    if surname:
        syllables[0] = surname
    syllables = [s.replace("ü", "v").lower() for s in syllables if s.strip()]
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables if s and s[0].isalnum())
    return full[:200], initials[:60]
