"""The rules applied when a risk owner enters a risk return: the one place for them.

Every channel (Slack modal, thread reply, web form, CLI) goes through
``bot.collection.risk_returns.submit_return``, which asks ``check_return``. It gives back the
*errors* (field → message: the return cannot be saved until they are fixed) and the *flags*
(saved, but told to the owner and shown in the paper):

- likelihood and consequence are each 1–5; the score is their product, never typed;
- a score that changed from last quarter's needs a rationale;
- a score above the target needs at least one action with a date;
- a target date already past with the score still above target is flagged;
- a score above what the risk's appetite tolerates (``bot.framework.baf``) is flagged.

Each assurance names its line (first, second, third) and whether it is positive or negative;
each action says what is done, and may name an owner, a date and the deliverable it is (by its
reference, such as ``GO-3``: the assurance chain).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.collection.dates import parse_date
from bot.collection.storable import unstorable
from bot.framework.baf import APPETITE_WORDS, CONSEQUENCES, LIKELIHOODS, BafScale
from bot.ports.baf_view import Action, Assurance

TEXT_MAX = 3000
LINES = ("first", "second", "third")
KINDS = ("positive", "negative")
TEXT_FIELDS = {"rationale": "The rationale", "controls": "The key controls",
               "control_gaps": "The gaps in control", "assurance_gaps": "The gaps in assurance"}


@dataclass(frozen=True)
class ReturnFields:
    """What a risk owner enters (raw, as a channel received it)."""

    likelihood: int | str | None
    consequence: int | str | None
    rationale: str = ""
    controls: str = ""
    control_gaps: str = ""
    assurances: Sequence[Mapping[str, Any]] = ()
    assurance_gaps: str = ""
    actions: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class CheckedReturn:
    """A return that passed the rules, with its values cleaned, and its flags."""

    likelihood: int
    consequence: int
    score: int
    rationale: str
    controls: str
    control_gaps: str
    assurances: tuple[Assurance, ...]
    assurance_gaps: str
    actions: tuple[Action, ...]
    flags: tuple[str, ...] = ()


@dataclass
class Checked:
    errors: dict[str, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    value: CheckedReturn | None = None


@dataclass(frozen=True)
class RiskFacts:
    """What the rules need to know about the risk."""

    previous_score: int | None  # last quarter's score
    target: int | None
    target_date: date | None
    appetite: str | None
    scale: BafScale = field(default_factory=BafScale)
    deliverables: Collection[str] = ()  # the framework's deliverable references, upper case
    # The earlier framework's risk (``Step Up To Great BAF 01``) ``previous_score`` is from:
    # a risk carried forward with no score of its own last quarter.
    carried_from: str | None = None


def check_return(facts: RiskFacts, entered: ReturnFields, *, today: date) -> Checked:
    """Errors (field → message; empty: it may be saved) and flags for a return."""
    result = Checked()
    errors = result.errors
    likelihood = _grade(entered.likelihood, LIKELIHOODS, "likelihood", errors)
    consequence = _grade(entered.consequence, CONSEQUENCES, "consequence", errors)
    texts = {name: (getattr(entered, name) or "").strip() for name in TEXT_FIELDS}
    for name, text in texts.items():
        if len(text) > TEXT_MAX:
            errors[name] = f"{TEXT_FIELDS[name]} is over {TEXT_MAX:,} characters."
        elif problem := unstorable(text):
            errors[name] = f"{TEXT_FIELDS[name]} {problem}."
    assurances = _assurances(entered.assurances, errors)
    actions = _actions(entered.actions, facts.deliverables, errors)
    if likelihood is None or consequence is None:
        return result
    score = likelihood * consequence
    if (facts.previous_score is not None and score != facts.previous_score
            and not texts["rationale"]):
        errors["rationale"] = (f"The score changed from {facts.previous_score} last quarter to "
                               f"{score}: give the rationale for the change.")
    above_target = facts.target is not None and score > facts.target
    if above_target and not any(action.due for action in actions) and "actions" not in errors:
        errors["actions"] = (f"The score {score} is above the target {facts.target}: list at "
                             "least one action with a date that will bring it down.")
    result.flags.extend(flags_for(facts, score, today=today))
    if not errors:
        result.value = CheckedReturn(
            likelihood=likelihood, consequence=consequence, score=score,
            assurances=assurances, actions=actions, flags=tuple(result.flags), **texts)
    return result


def flags_for(facts: RiskFacts, score: int, *, today: date) -> tuple[str, ...]:
    """What is flagged about ``score`` (saved, but told to the owner and the board): a target
    date passed with the score still above target; a score outside the risk's appetite."""
    flags = []
    if (facts.target is not None and score > facts.target and facts.target_date is not None
            and facts.target_date < today):
        flags.append(f"The target date {facts.target_date:%d %b %Y} has passed and the score "
                     f"{score} is still above the target {facts.target}.")
    if facts.appetite and facts.scale.outside_appetite(score, facts.appetite):
        flags.append(f"The score {score} is outside the "
                     f"{APPETITE_WORDS[facts.appetite].lower()} risk appetite (at most "
                     f"{facts.scale.appetite[facts.appetite]}).")
    return tuple(flags)


def _grade(value: int | str | None, names: Mapping[int, str], field_name: str,
           errors: dict[str, str]) -> int | None:
    choices = ", ".join(f"{n} {word.lower()}" for n, word in names.items())
    if value is None or value == "":
        errors[field_name] = f"Choose the {field_name}: {choices}."
        return None
    text = str(value).strip()
    number = int(text) if text.isdigit() else next(
        (n for n, word in names.items() if word.lower() == text.lower()), None)
    if number not in names:
        errors[field_name] = f"'{text}' is not a {field_name}; choose {choices}."
        return None
    return number


def _assurances(values: Sequence[Mapping[str, Any]], errors: dict[str, str]) -> tuple[
        Assurance, ...]:
    found = []
    for index, value in enumerate(values, 1):
        text = str(value.get("text") or "").strip()
        line = str(value.get("line") or "").strip().lower()
        kind = str(value.get("kind") or "").strip().lower()
        if not text:
            continue
        if line not in LINES:
            errors["assurances"] = (f"Assurance {index}: say which line of defence gives it "
                                    "(first, second or third).")
        elif kind not in KINDS:
            errors["assurances"] = f"Assurance {index}: say whether it is positive or negative."
        elif len(text) > TEXT_MAX or unstorable(text):
            errors["assurances"] = (f"Assurance {index} "
                                    f"{unstorable(text) or f'is over {TEXT_MAX:,} characters'}.")
        else:
            found.append(Assurance(line=line, kind=kind, text=text))
    return tuple(found)


def _actions(values: Sequence[Mapping[str, Any]], deliverables: Collection[str],
             errors: dict[str, str]) -> tuple[Action, ...]:
    found = []
    known = {ref.upper() for ref in deliverables}
    for index, value in enumerate(values, 1):
        text = str(value.get("text") or "").strip()
        owner = str(value.get("owner") or "").strip()
        ref = str(value.get("deliverable") or "").strip().upper() or None
        raw_due = value.get("due")
        if not text and not ref:
            continue
        due: date | None = raw_due if isinstance(raw_due, date) else None
        if isinstance(raw_due, str) and raw_due.strip():
            due = parse_date(raw_due)
            if due is None:
                errors["actions"] = (f"Action {index}: '{raw_due.strip()}' is not a real date; "
                                     "write it like 31/03/2025.")
                continue
        if ref and ref not in known:
            errors["actions"] = (f"Action {index}: there is no deliverable {ref} in this "
                                 "framework (name a deliverable by its reference, like GO-3).")
            continue
        problem = unstorable(text) or unstorable(owner)
        if problem or len(text) > TEXT_MAX:
            errors["actions"] = f"Action {index} {problem or 'is too long'}."
            continue
        found.append(Action(text=text, owner=owner, due=due, deliverable=ref))
    return tuple(found)
