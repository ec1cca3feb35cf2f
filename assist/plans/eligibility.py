"""The application's side of matching: the pure engine (assist.matching) applied to stored residents,
combined with the caseworkers' recorded overrides."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from assist.core.timeutil import local_today
from assist.extensions import db
from assist.plans.models import ItemDecision


def verdicts(resident, on=None) -> list:
    from assist.matching.engine import Profile, evaluate
    return evaluate(Profile.from_resident(resident), on=on or local_today())


def verdict(resident, item_code: str, on=None):
    return next(v for v in verdicts(resident, on) if v.item_code == item_code)


def decision(resident_id: int, item_code: str) -> ItemDecision | None:
    """The standing override for this resident and item, if any."""
    return db.session.scalars(sa.select(ItemDecision).where(
        ItemDecision.resident_id == resident_id, ItemDecision.item_code == item_code,
        ItemDecision.revoked_at.is_(None)).order_by(ItemDecision.id.desc()).limit(1)).first()


def decisions(resident_id: int) -> dict[str, ItemDecision]:
    rows = db.session.scalars(sa.select(ItemDecision).where(
        ItemDecision.resident_id == resident_id, ItemDecision.revoked_at.is_(None)).order_by(ItemDecision.id))
    return {d.item_code: d for d in rows}


def matches(resident) -> list[dict]:
    """API.md matches: all 24 items, eligible first by descending score, with reasons and any override."""
    standing = decisions(resident.id)
    out = []
    for v in verdicts(resident):
        data = v.to_dict()
        d = standing.get(v.item_code)
        data["override"] = d.to_dict() if d else None
        out.append(data)
    return out


def failure_text(resident, v) -> str:
    failed = [r.text for r in v.reasons if not r.met]
    return _("No longer eligible after re-assessment: %(why)s", why="；".join(failed[:4]) or "—")


def rule_texts() -> dict[str, str]:
    """Each item's rule as one sentence, in the reader's language (for the catalog page)."""
    from flask_babel import get_locale

    from assist.matching.rules import ITEM_CODES, describe
    english = str(get_locale()).startswith("en")
    return {code: (describe(code).text_en if english else describe(code).text) for code in ITEM_CODES}
