"""A risk owner's reply in the thread of a BAF risk prompt (Slack DM).

``no change`` (or ``unchanged``) confirms last quarter's return; ``4x5 rationale…`` (also
``4 × 5``, ``L4 C5``, ``likelihood 4 consequence 5``) gives the likelihood and consequence, and
what follows is the rationale; the controls, assurances and actions are those of this quarter's
latest return, else last quarter's (change them in the form). The rules at entry are the same
(``bot.collection.risk_rules``), so a reply that leaves them unmet is answered with what is
missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NO_CHANGE = re.compile(r"^\s*(no\s+change(\s+this\s+quarter)?|unchanged)\b[\s.!:–-]*(?P<rest>.*)$",
                       re.IGNORECASE | re.DOTALL)
SCORE = re.compile(
    r"^\s*(?:(?:l(?:ikelihood)?\s*:?\s*(?P<l1>[1-5])[\s,;/]*c(?:onsequence)?\s*:?\s*"
    r"(?P<c1>[1-5]))|(?:(?P<l2>[1-5])\s*[x×*]\s*(?P<c2>[1-5])))\b[\s.:;,–-]*(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL)
HOW = ("Reply *no change* to confirm last quarter's return, or the likelihood × consequence "
       "and why, such as *4x3 the new clinic has cut the longest waits*.")


@dataclass(frozen=True)
class RiskReply:
    unchanged: bool
    likelihood: int | None = None
    consequence: int | None = None
    rationale: str = ""


def parse_risk_reply(text: str) -> RiskReply | None:
    """What a thread reply says, or None when it is neither form."""
    found = NO_CHANGE.match(text or "")
    if found:
        return RiskReply(unchanged=True, rationale=found["rest"].strip())
    found = SCORE.match(text or "")
    if found:
        likelihood = int(found["l1"] or found["l2"])
        consequence = int(found["c1"] or found["c2"])
        return RiskReply(unchanged=False, likelihood=likelihood, consequence=consequence,
                         rationale=found["rest"].strip())
    return None
