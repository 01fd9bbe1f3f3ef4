"""The old strategy's closure round (Step Up To Great, 2024/25 Q4) and the new one's first
quarter (THRIVE, 2025/26 Q1) running side by side in July 2025: each SRO answers each, and every
surface that lists rounds (the Home tab, ``/report-status``, ``round status``,
``/compile-report``) says which framework it means, and asks when that is ambiguous."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.calendar.periods import Period
from bot.collection.closing import close_framework
from bot.collection.flows import open_round_and_prompt
from bot.collection.status import round_status_report
from bot.framework.choice import FrameworkChoiceError
from storage.db import session_scope
from storage.models import CompiledReport, Framework
from tests.scenario.closure.conftest import THRIVE
from tests.scenario.conftest import LEAD, SHARON, Harness, blocks_text, elements
from tests.scenario.reports.support import response_texts, summaries, wait_until

SUTG = "Step Up To Great"
Q4, NEXT_Q1 = Period(2024, 4), Period(2025, 1)


def home(harness: Harness, user: str) -> dict:
    before = len(harness.fake.calls("views.publish"))
    assert harness.served.slack.open_home(user).status == 200
    harness.fake.wait_for("views.publish", before + 1)
    return harness.fake.homes[user]


def status(harness: Harness, user: str, text: str = "") -> str:
    before = len(harness.fake.calls("response_url"))
    harness.served.slack.command("/report-status", text, user_id=user,
                                 response_url=harness.fake.response_url())
    said = harness.fake.wait_for("response_url", before + 1)[before].params
    return said["text"] + "\n" + blocks_text(said.get("blocks") or [])


def compile_command(harness: Harness, text: str) -> str:
    """``/compile-report TEXT`` as the lead; the last thing said back."""
    before = len(response_texts(harness.fake))
    harness.served.slack.command("/compile-report", text, user_id=LEAD,
                                 response_url=harness.fake.response_url())
    said = wait_until(lambda: [t for t in response_texts(harness.fake)[before:]
                               if "is posted" in t or "name one" in t], what="the answer",
                      timeout=90)
    return said[-1]


def framework_ids(harness: Harness) -> dict[str, int]:
    with session_scope(harness.engine) as session:
        return {f.name: f.id for f in session.exec(select(Framework))}


@pytest.mark.slow
def test_two_rounds_run_at_once_without_mixing(in_july: Harness):
    both = in_july
    close_framework(both.ctx, SUTG, 2024, by=LEAD)
    opened = open_round_and_prompt(both.ctx, NEXT_Q1, opened_by=LEAD, framework=THRIVE)
    both.served.settle()
    assert opened.prompts_recorded == 3  # THRIVE's own SROs only
    [thrive_r1] = [json.loads(p.value)["d"] for p in both.prompts(SHARON)
                   if json.loads(p.value)["p"] == "2025-26-Q1"][:1]

    both.answer_by_form(SHARON, 1, "green", "Access policy adopted across the Trust.")
    both.answer_by_form(SHARON, thrive_r1, "amber", "Single point of access: two areas live.",
                        recovery_action="Roll out to the remaining areas",
                        recovery_date="2025-12-31", change_reason="New deliverable")
    assert both.latest(1, Q4).rag == "green" and both.latest(1, NEXT_Q1) is None
    assert both.latest(thrive_r1, NEXT_Q1).rag == "amber"
    assert both.latest(thrive_r1, Q4) is None

    # The Home tab: each framework named, with its own round and Sharon's deliverables in it.
    shown = home(both, SHARON)
    text = blocks_text(shown["blocks"])
    assert text.index(f"*{SUTG}*") < text.index("2024/25 Q4: round open") < text.index(
        f"*{THRIVE}*") < text.index("2025/26 Q1: round open")
    buttons = [json.loads(e["value"]) for e in elements(shown["blocks"])
               if e.get("action_id") == "open_update"]
    assert [(b["d"], b["p"]) for b in buttons] == [
        (1, "2024-25-Q4"), (2, "2024-25-Q4"), (3, "2024-25-Q4"), (4, "2024-25-Q4"),
        (thrive_r1, "2025-26-Q1"), (thrive_r1 + 1, "2025-26-Q1")]
    lead = blocks_text(home(both, LEAD)["blocks"])
    assert "1 of 17" in lead and "1 of 3" in lead
    assert "Great Outcomes: 1 of 7 answered" in lead and "Responsive: 1 of 2 answered" in lead
    assert lead.count("You are not an SRO or delegate of any deliverable.") == 1

    # /report-status: both, each under its name.
    mine = status(both, SHARON)
    assert f"{SUTG}: 2024/25 Q4: 3 of your 4 update(s) outstanding" in mine
    assert f"{THRIVE}: 2025/26 Q1: 1 of your 2 update(s) outstanding" in mine

    # round status: the period says which framework; the text names it.
    assert round_status_report(both.ctx, Q4).text().startswith(f"{SUTG} — 2024/25 Q4")
    assert round_status_report(both.ctx, NEXT_Q1).text().startswith(f"{THRIVE} — 2025/26 Q1")

    # /compile-report: the period's only round says which framework; each paper is its own.
    assert "is posted" in compile_command(both, "2025/26 Q1")
    assert "is posted" in compile_command(both, "2024/25 Q4")
    ids = framework_ids(both)
    with session_scope(both.engine) as session:
        made = [(r.framework_id, r.kind) for r in session.exec(
            select(CompiledReport).order_by(CompiledReport.id))]
    assert made == [(ids[THRIVE], "quarter"), (ids[SUTG], "quarter")]
    posted = [text for c in summaries(both.fake, "C0GOVERN")
              if "Draft board report" in (text := blocks_text(c.json_param("blocks")))]
    assert len(posted) == 2
    assert THRIVE in posted[0] and SUTG not in posted[0]
    assert SUTG in posted[1] and THRIVE not in posted[1]

    # Both with a round for the same period: ambiguous, so every surface asks.
    open_round_and_prompt(both.ctx, Q4, opened_by=LEAD, framework=THRIVE)
    both.served.settle()
    with pytest.raises(FrameworkChoiceError, match="2 frameworks are loaded "
                                                    f"\\('{SUTG}', '{THRIVE}'\\)"):
        round_status_report(both.ctx, Q4)
    asked = compile_command(both, "2024/25 Q4")
    assert f"2 frameworks are loaded ('{SUTG}', '{THRIVE}'); name one with " \
           'framework="NAME"' in asked
