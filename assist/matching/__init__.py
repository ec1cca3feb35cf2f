"""Eligibility matching: pure functions over a resident's profile (no Flask app, no database).

- :mod:`~assist.matching.rules`: the 24 items' rules as declarative data, each explainable and
  renderable as a sentence;
- :mod:`~assist.matching.engine`: :class:`Profile`, :func:`evaluate` (explained verdicts) and
  :func:`evaluate_many` (bulk, compiled);
- :mod:`~assist.matching.frequency`: recommended frequencies to pre-fill plans.
"""
from assist.matching.engine import (PROFILE_COLUMNS, Profile, Verdict, evaluate, evaluate_item, evaluate_many,
                                    status_on)
from assist.matching.frequency import Frequency, recommended_frequency
from assist.matching.rules import ITEM_CODES, RULES, Reason, RuleText, describe

__all__ = ["ITEM_CODES", "PROFILE_COLUMNS", "RULES", "Frequency", "Profile", "Reason", "RuleText", "Verdict",
           "describe", "evaluate", "evaluate_item", "evaluate_many", "recommended_frequency", "status_on"]
