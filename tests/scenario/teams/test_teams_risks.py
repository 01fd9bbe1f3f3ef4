"""BAF risk returns over Microsoft Teams alone: the round prompts a risk owner who added
Ragtime in Teams with one card per risk (the risk, last quarter's score, target and appetite,
the 5×5 grid's words), which is also the return form; a return the rules refuse comes back
with each message beside its field, a right one is confirmed on the card (the invoke
response); an owner not in Teams when the round opened is reminded there once they add it,
and the reminder turns into the risk's form. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlmodel import select

from bot.collection.flows import open_round_and_prompt, remind_outstanding
from bot.framework.importer import import_framework
from storage.db import session_scope
from storage.models import RiskReturn
from tests.scenario.conftest import Q3
from tests.support.teams_world import TeamsUser, TeamsWorld, field_errors, texts

SHARON = TeamsUser("77777777-aaaa-4aaa-8aaa-000000000001", "Sharon Murphy",
                   "sharon.murphy@example.nhs.uk")  # owns BAF 01
BHANU = TeamsUser("77777777-aaaa-4aaa-8aaa-000000000002", "Bhanu Chadalavada",
                  "bhanu.chadalavada@example.nhs.uk")  # owns BAF 02
TITLE_01 = ("Without timely access to services, we cannot provide high quality safe care for "
            "our patients which will impact on clinical outcomes.")
TITLE_02 = ("If we do not engage in research or innovation, we will not produce the strength "
            "of evidence to provide real transformation of patient outcomes in high quality and "
            "safe services.")
RISK_ROWS = [
    ["theme", "risk_number", "risk_title", "score", "owner_name", "owner_title", "owner_email",
     "appetite", "target", "target_date"],
    ["Great Outcomes", "01", TITLE_01, "20", "Sharon Murphy", "Director of Finance",
     SHARON.email, "cautious", "12", "2025-03-31"],
    ["Great Outcomes", "02", TITLE_02, "9", "Bhanu Chadalavada", "Medical Director",
     BHANU.email, "open", "9", "2026-03-31"],
]
RISK_HEADING = "2024/25 Q3 BAF risk return"


def give_risks_owners(world: TeamsWorld, folder: Path) -> None:
    path = folder / "risks.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(RISK_ROWS)
    with session_scope(world.ctx.engine, write=True) as session:
        import_framework(session, path, today=date(2024, 12, 20))


def risk_cards(world: TeamsWorld, user: TeamsUser) -> list[dict]:
    return [card for card in world.cards_to(user) if texts(card)[0] == RISK_HEADING]


def press(world: TeamsWorld, user: TeamsUser, verb: str, data: dict) -> dict:
    status, body = world.post(world.activity(
        user, "invoke", name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data}}))
    assert status == 200 and body is not None
    return body


def inputs_of(card: dict) -> dict[str, object]:
    return {item["id"]: item.get("value") for item in card["body"]
            if item.get("type", "").startswith("Input.")}


def test_a_risk_owner_returns_their_risk_in_teams(teams_world: TeamsWorld, tmp_path: Path):
    world = teams_world
    world.install(SHARON)
    world.settle()
    give_risks_owners(world, tmp_path)
    open_round_and_prompt(world.ctx, Q3, opened_by="governance.lead@example.nhs.uk")

    [card] = risk_cards(world, SHARON)
    shown = texts(card)
    assert shown[1] == f"BAF 01 {TITLE_01}"
    assert "Target: 12 · Appetite: Cautious" in " ".join(shown)
    fields = inputs_of(card)
    assert {"likelihood", "consequence", "rationale", "controls", "control_gaps",
            "assurance_gaps", "assure_first_positive", "action_1_text", "action_1_due"} <= set(
        fields)
    likelihood = next(item for item in card["body"] if item.get("id") == "likelihood")
    assert [c["title"] for c in likelihood["choices"]][:2] == ["1 Rare", "2 Unlikely"]
    verbs = [action["verb"] for action in card["actions"]]
    assert verbs == ["submit_risk_return", "risk_no_change"]
    data = card["actions"][0]["data"]

    # 4 × 4 = 16: changed from last quarter without a rationale, and above the target 12
    # without a dated action: refused, each message beside its field, what was typed kept.
    refused = press(world, SHARON, "submit_risk_return", {
        **data, "likelihood": "4", "consequence": "4", "controls": "Weekly *access* meeting"})
    again = refused["value"]
    assert texts(again)[0] == RISK_HEADING
    errors = field_errors(again)
    assert "rationale" in errors and "give the rationale" in errors["rationale"], errors
    assert any("above the target 12" in text for text in texts(again))
    assert inputs_of(again)["controls"] == "Weekly *access* meeting"
    assert inputs_of(again)["likelihood"] == "4"
    with session_scope(world.ctx.engine) as session:
        assert session.exec(select(RiskReturn)).all() == []

    # Someone else's Teams account pressing Sharon's card is refused: identity is the token's.
    world.install(BHANU)
    world.settle()
    stolen = press(world, BHANU, "submit_risk_return", {
        **data, "likelihood": "2", "consequence": "2", "rationale": "x"})
    assert "not an owner" in " ".join(texts(stolen["value"]))

    accepted = press(world, SHARON, "submit_risk_return", {
        **data, "likelihood": "4", "consequence": "4", "controls": "Weekly *access* meeting",
        "rationale": "Waiting lists fell for the third month.",
        "assure_second_positive": "Audit of waits\nBoard deep dive",
        "action_1_text": "Recover elective activity", "action_1_owner": "COO",
        "action_1_due": "2025-03-31", "action_1_deliverable": "GO-1"})
    confirmed = texts(accepted["value"])
    assert confirmed[0] == "2024/25 Q3 BAF risk: return received", confirmed
    assert any(text.startswith("Score 16 (likelihood 4 likely × consequence 4")
               for text in confirmed), confirmed
    with session_scope(world.ctx.engine) as session:
        [stored] = session.exec(select(RiskReturn)).all()
    assert (stored.score, stored.source, stored.rationale) == (
        16, "teams", "Waiting lists fell for the third month.")
    assert [a["text"] for a in stored.assurances] == ["Audit of waits", "Board deep dive"]
    assert stored.actions[0]["deliverable"] == "GO-1"


def test_an_owner_who_adds_ragtime_later_is_reminded_and_returns_from_the_reminder(
        teams_world: TeamsWorld, tmp_path: Path):
    world = teams_world
    give_risks_owners(world, tmp_path)
    open_round_and_prompt(world.ctx, Q3, opened_by="governance.lead@example.nhs.uk")
    world.install(BHANU)  # after the round opened: no prompt card to answer on
    world.settle()
    remind_outstanding(world.ctx, Q3, stage="5-days-before")
    [reminder] = [card for card in world.cards_to(BHANU)
                  if texts(card)[0] == "Reminder: 2024/25 Q3 BAF risk returns"]
    assert f"BAF 02 {TITLE_02}" in texts(reminder)
    [button] = reminder["actions"]
    assert button["title"] == "Return BAF 02"

    form = press(world, BHANU, button["verb"], button["data"])["value"]
    assert texts(form)[:2] == [RISK_HEADING, f"BAF 02 {TITLE_02}"]
    answer = press(world, BHANU, "submit_risk_return", {
        **form["actions"][0]["data"], "likelihood": "3", "consequence": "3"})
    assert texts(answer["value"])[0] == "2024/25 Q3 BAF risk: return received", texts(
        answer["value"])
    with session_scope(world.ctx.engine) as session:
        [stored] = session.exec(select(RiskReturn)).all()
    assert (stored.score, stored.source) == (9, "teams")
