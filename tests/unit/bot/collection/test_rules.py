from datetime import date

import pytest

from bot.collection.rules import NARRATIVE_MAX, check_update
from bot.framework.rules import Rules, RulesError
from storage.models import Rag

TODAY = date(2024, 10, 1)


def check(rules=None, **fields):
    values = dict(rag="green", previous_rag=None, narrative="Policy adopted.",
                  recovery_action=None, recovery_date=None, change_reason=None, today=TODAY)
    values.update(fields)
    return check_update(rules, **values)


def test_a_complete_green_update_passes():
    assert check() == {}


def test_rating_and_narrative_are_required():
    errors = check(rag=None, narrative="   ")
    assert set(errors) == {"rag", "narrative"}
    assert "Red, Amber or Green" in errors["rag"]


def test_unknown_rating_is_named():
    assert "'purple' is not a RAG rating" in check(rag="purple")["rag"]


@pytest.mark.parametrize("rag", ["red", "amber", Rag.amber, "Amber"])
def test_red_and_amber_need_a_recovery_action_and_date_by_default(rag):
    errors = check(rag=rag)
    assert set(errors) == {"recovery_action", "recovery_date"}
    assert "recovery action" in errors["recovery_action"]
    assert check(rag=rag, recovery_action="Recruit two nurses",
                 recovery_date=date(2024, 12, 31)) == {}


def test_recovery_messages_name_the_rating_in_plain_english():
    amber, red = check(rag="amber"), check(rag="red")
    assert amber["recovery_action"].startswith("An amber rating needs a recovery action")
    assert amber["recovery_date"].startswith("An amber rating needs an expected recovery date")
    assert red["recovery_action"].startswith("A red rating needs a recovery action")
    assert red["recovery_date"].startswith("A red rating needs an expected recovery date")


def test_framework_can_require_recovery_for_red_only():
    rules = {"recovery_required_for": ["red"]}
    assert check(rules, rag="amber") == {}
    assert set(check(rules, rag="red")) == {"recovery_action", "recovery_date"}


def test_changed_rating_needs_a_reason():
    errors = check(rag="green", previous_rag="amber")
    assert errors == {"change_reason": "The rating changed from Amber last quarter to Green: "
                                       "give a reason for the change."}
    assert check(rag="green", previous_rag="amber", change_reason="Estates works done") == {}
    assert check(rag="green", previous_rag="green") == {}
    assert check({"reason_required_on_change": False}, rag="green", previous_rag="red") == {}


def test_narrative_limit():
    assert check(narrative="x" * NARRATIVE_MAX) == {}
    message = check(narrative="x" * (NARRATIVE_MAX + 1))["narrative"]
    assert "3,001 characters; the limit is 3,000" in message


def test_recovery_date_must_be_real_and_not_in_the_past():
    ok = dict(rag="red", recovery_action="Escalate to ICB")
    assert "is not a real date" in check(**ok, recovery_date="31/02/2025")["recovery_date"]
    assert "in the past" in check(**ok, recovery_date=date(2024, 9, 30))["recovery_date"]
    assert check(**ok, recovery_date=TODAY) == {}
    assert check(**ok, recovery_date="2024-12-31") == {}
    assert check(**ok, recovery_date="December 2024") == {}


def test_a_green_with_a_past_date_is_still_refused():
    assert "in the past" in check(recovery_date=date(2020, 1, 1))["recovery_date"]


def test_rules_from_config_defaults_and_errors():
    assert Rules.from_config(None) == Rules()
    assert Rules.from_config({"calendar": {"deadline_after_quarter_end": 5}}) == Rules()
    assert Rules.from_config({"recovery_required_for": "Red"}).recovery_required_for == {Rag.red}
    with pytest.raises(RulesError, match=r"unknown rule.*recovery_for"):
        Rules.from_config({"recovery_for": ["red"]})
    with pytest.raises(RulesError, match="recovery_required_for"):
        Rules.from_config({"recovery_required_for": ["blue"]})
    with pytest.raises(RulesError, match="true or false"):
        Rules.from_config({"reason_required_on_change": "yes"})


@pytest.mark.parametrize(("bad", "problem"), [
    ("\x00", "NUL character"), ("\ud83d", "not valid Unicode"), ("\udfff", "not valid Unicode"),
])
def test_text_no_database_can_hold_is_refused_without_quoting_it(bad, problem):
    errors = check(rag="red", narrative=f"Stalled{bad}", recovery_action=f"Escalate{bad}",
                   recovery_date=f"31/03/2025{bad}", change_reason=f"Estates{bad}",
                   previous_rag="green")

    assert set(errors) == {"narrative", "recovery_action", "recovery_date", "change_reason"}
    for message in errors.values():
        assert problem in message and bad not in message
    assert check(rag=f"green{bad}")["rag"].startswith("The rating contains")


def test_other_control_characters_and_emoji_are_kept():
    assert check(narrative="Tabs\tand bells\x07 and 🟢 and é") == {}
