"""The Teams cards that carry a deliverable's form (``sent_forms``): prompts and change
requests about it, and reminders turned into its form (``note_form_shown``, only for the
reminder's own person)."""

from sqlmodel import select

from bot.calendar.periods import stored_period
from bot.messaging.outbox import FORM_SHOWN, note_form_shown, record_message, sent_forms
from storage.db import session_scope
from storage.models import OutboxMessage, OutboxStatus
from tests.support.collection_world import Q1, Q2, build_world


def sent(session, key, kind, *, person_id, period_id, deliverable_id=None, ts):
    row, _ = record_message(session, key=key, kind=kind, period_id=period_id,
                            deliverable_id=deliverable_id, person_id=person_id, via="teams",
                            payload={"to": "aad"})
    row.status, row.channel, row.ts = OutboxStatus.sent, f"a:conv-{person_id}", ts
    session.add(row)


def test_the_forms_of_a_deliverable_in_teams(any_engine):
    world = build_world(any_engine)
    bhanu, james = world.people["bchadalavada"], world.people["jmullins"]
    with session_scope(any_engine, write=True) as s:
        period_id = stored_period(s, Q2).id
        sent(s, "p", "prompt", person_id=bhanu, period_id=period_id,
             deliverable_id=world.research, ts="act-1")
        sent(s, "c", "changes_requested", person_id=james, period_id=period_id,
             deliverable_id=world.research, ts="act-2")
        sent(s, "r", "reminder", person_id=james, period_id=period_id, ts="act-3")
        sent(s, "other", "prompt", person_id=bhanu, period_id=period_id,
             deliverable_id=world.wellbeing, ts="act-4")

    def forms(deliverable_id, period=Q2, reminders=True):
        with session_scope(any_engine) as s:
            return [row.ts for row in sent_forms(s, deliverable_id, period, via="teams",
                                                 kinds=("prompt", "changes_requested"),
                                                 reminders=reminders)]

    assert forms(world.research) == ["act-1", "act-2"]
    assert forms(world.research, period=Q1) == []

    # Someone else's reminder is never marked from another person's card action.
    with session_scope(any_engine, write=True) as s:
        assert not note_form_shown(s, channel=f"a:conv-{james}", ts="act-3", person_id=bhanu,
                                   deliverable_id=world.research)
        assert not note_form_shown(s, channel=f"a:conv-{james}", ts="act-1", person_id=james,
                                   deliverable_id=world.research)  # not a reminder
    assert forms(world.research) == ["act-1", "act-2"]

    with session_scope(any_engine, write=True) as s:
        assert note_form_shown(s, channel=f"a:conv-{james}", ts="act-3", person_id=james,
                               deliverable_id=world.research)
    assert forms(world.research) == ["act-1", "act-2", "act-3"]
    assert forms(world.research, reminders=False) == ["act-1", "act-2"]
    assert forms(world.wellbeing) == ["act-4"]
    with session_scope(any_engine) as s:
        reminder = s.exec(select(OutboxMessage).where(OutboxMessage.key == "r")).one()
        assert reminder.payload == {"to": "aad", FORM_SHOWN: world.research}
