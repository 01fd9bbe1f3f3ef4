"""What the work behind an ack costs: ``/report-status`` reads only what it shows, and a
submission's write transaction only writes (the update and its follow-up, recorded in the
outbox) — the follow-up messages are gathered after it commits."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.db import session_scope
from storage.models import Deliverable, DeliverableOwner, Person, Role, Theme, Update
from tests.scenario.conftest import BHANU, JAMES, JEAN, LEAD, PAUL, SHARON, Harness, blocks_text
from tests.support.queries import Seen, watching

MODELS = (Deliverable, DeliverableOwner, Person, Update)


def _status(slack: Harness, user: str) -> tuple[str, Seen]:
    before = len(slack.fake.calls("response_url"))
    with watching(slack.engine, *MODELS) as seen:
        response = slack.served.slack.command("/report-status", "", user_id=user,
                                              response_url=slack.fake.response_url())
        assert response.status == 200
        said = slack.fake.wait_for("response_url", before + 1)[before].params
    return said["text"] + "\n" + blocks_text(said.get("blocks") or []), seen


def _grow(engine: Engine, count: int) -> None:
    """``count`` more deliverables for Paul, so the framework is bigger but Sharon's share not."""
    with session_scope(engine, write=True) as s:
        theme = s.exec(select(Theme).order_by(Theme.id)).first()
        paul = s.exec(select(Person).where(Person.slack_id == PAUL)).one()
        assert theme is not None
        for n in range(count):
            item = Deliverable(framework_id=theme.framework_id, theme_id=theme.id,
                               ref=f"extra-{n}", number=f"X{n}", title=f"Extra {n}",
                               area="Digital", position=1000 + n)
            s.add(item)
            s.flush()
            s.add(DeliverableOwner(deliverable_id=item.id, person_id=paul.id, role=Role.sro))


def test_an_sros_status_reads_only_their_own_deliverables(opened: Harness):
    opened.answer_by_form(SHARON, 1, "green", "Policy adopted.")
    opened.answer_by_form(PAUL, 8, "green", "On track.")

    shown, seen = _status(opened, SHARON)
    _, jean = _status(opened, JEAN)  # one deliverable against Sharon's four
    _grow(opened.engine, 25)
    shown_after, grown = _status(opened, SHARON)

    assert "3 of your 4 update(s) outstanding" in shown and shown_after == shown
    assert seen.loaded == {"Deliverable": 4, "Update": 1}  # hers, and her one answer
    assert grown.loaded == seen.loaded
    # Constant in size; beyond their deliverables: whom they cover (absences), the frameworks
    # in focus and their own BAF risks.
    assert seen.count == jean.count == grown.count <= 13


def test_a_leads_status_takes_the_same_queries_as_the_framework_grows(opened: Harness):
    opened.answer_by_form(SHARON, 1, "green", "Policy adopted.")

    shown, seen = _status(opened, LEAD)
    _grow(opened.engine, 25)
    shown_after, grown = _status(opened, LEAD)

    assert "1 of 17" in shown and "1 of 42" in shown_after
    # Constant in size: with absences, extensions, the frameworks in focus and the risks.
    assert grown.count == seen.count <= 17
    assert not grown.loaded.get("Deliverable") and not grown.loaded.get("DeliverableOwner")


def _writes(seen: Seen) -> list[str]:
    return [" ".join(statement.split()) for statement in seen.in_writes]


def test_a_form_submission_writes_in_its_transaction_and_gathers_follow_ups_after(
        opened: Harness):
    form = opened.open_form(BHANU, 5)  # joint SROs: Bhanu and James each have a prompt
    with watching(opened.engine) as seen, opened.follow_up(5):
        response = opened.submit(BHANU, form, rag="green", narrative="Funding agreed.")
        assert response.status == 200 and response.body == ""

    writes = _writes(seen)
    assert any(statement.startswith('INSERT INTO "update"') for statement in writes)
    # Its follow-up is recorded in the same transaction (nothing lost on a crash); the prompts
    # it refreshes are read after it commits, by the worker.
    assert [s for s in writes if s.startswith("INSERT INTO outbox_message")]
    assert not [s for s in writes
                if "FROM outbox_message" in s and 'outbox_message."key" = ' not in s]
    james = opened.prompt(JAMES, 5)
    assert "Funding agreed." in james.text  # his prompt card shows the new update
    told = opened.thread(james.channel, james.ts)[-1]["text"]
    assert "Bhanu Chadalavada submitted Green" in told


def test_a_thread_reply_writes_in_its_transaction_and_gathers_follow_ups_after(
        opened: Harness):
    with watching(opened.engine) as seen:
        answer = opened.answer_by_reply(JAMES, 5, "Green - funding agreed")

    writes = _writes(seen)
    assert any(statement.startswith('INSERT INTO "update"') for statement in writes)
    assert any("processed_delivery" in statement for statement in writes)
    assert not [statement for statement in writes if "outbox_message" in statement]
    assert "Green" in answer["text"]
    bhanu = opened.prompt(BHANU, 5)
    assert "funding agreed" in bhanu.text
