"""The deliverables a person may update, with their state in a period."""

from datetime import date

from bot.collection.owned import deliverables_for
from bot.collection.updates import submit_update
from storage.db import session_scope
from storage.models import Rag, Role, Source
from tests.support.collection_world import BHANU, DELEGATE, OUTSIDER, Q2, SHARON, build_world


def test_deliverables_for_lists_owned_active_deliverables_with_their_state(engine):
    world = build_world(engine, rounds=(Q2,))
    with session_scope(engine, write=True) as s:
        submit_update(s, actor_slack_id=SHARON, deliverable_id=world.access_sops, period=Q2,
                      rag=Rag.green, narrative="SOPs reviewed", source=Source.modal,
                      today=date(2024, 10, 1))
    with session_scope(engine) as s:
        mine = deliverables_for(s, SHARON, Q2)
        assert [(d.id, d.role, d.rag, d.answered) for d in mine] == [
            (world.access_policy, Role.sro, None, False),
            (world.access_sops, Role.sro, Rag.green, True),
        ]  # the retired deliverable is not listed
        assert [(d.id, d.role) for d in deliverables_for(s, DELEGATE, Q2)] == [
            (world.access_policy, Role.delegate)]
        assert deliverables_for(s, OUTSIDER, Q2) == []
        assert [d.theme for d in deliverables_for(s, BHANU)] == ["Great Outcomes"]
