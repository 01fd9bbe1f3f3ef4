"""Absences on the web form, over real HTTP on SQLite and PostgreSQL: the page's "Going to be
away?" section records the link's person's absence (the link is the only identity), and a
cover reached by email sees and submits the absent SRO's deliverables on their own link."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.collection.away import record_away
from bot.framework.absences import absences_between
from storage.db import session_scope
from storage.models import UpdateOnBehalf
from tests.support.web_form import WebWorld, form_fields


def test_the_page_records_the_link_persons_absence(web: WebWorld):
    link = web.link("rarnold")
    page = web.get(link)
    assert "Going to be away?" in page.text
    token = page.field("form_token")

    refused = web.post(link + "/away", {"form_token": token, "away_from": "soon",
                                        "away_to": "25/10/2024", "away_cover": "Owen Side"})
    assert refused.status == 200
    assert "Enter the first day away as a date" in refused.text
    assert form_fields(refused.text)["away_to"] == "25/10/2024"  # what was typed is kept
    nobody = web.post(link + "/away", {"form_token": token, "away_from": "14/10/2024",
                                       "away_to": "25/10/2024", "away_cover": "Nobody Here"})
    assert "No person &#39;Nobody Here&#39; in the framework" in nobody.text
    forged = web.post(link + "/away", {"form_token": "forged", "away_from": "14/10/2024",
                                       "away_to": "25/10/2024"})
    assert forged.status == 400

    done = web.post(link + "/away", {"form_token": token, "away_from": "14/10/2024",
                                     "away_to": "25 Oct 2024", "away_cover": "Owen Side",
                                     "away_note": "<b>Leave</b>"})
    assert done.status == 200
    assert "Absence recorded" in done.text
    assert ("Recorded: you are away Mon 14 Oct 2024 – Fri 25 Oct 2024, covered by Owen Side."
            in done.text)
    with session_scope(web.engine) as session:
        [absence] = absences_between(session)
    assert (absence.person_key, absence.cover_key, absence.note, absence.source) == (
        "rarnold", "outsider", "<b>Leave</b>", "web")


def test_a_cover_on_email_answers_for_the_absent_sro_on_their_own_link(web: WebWorld):
    record_away(web.served.ctx, person="smurphy", starts=date(2024, 10, 7),
                ends=date(2024, 10, 18), cover="rarnold", by="test")
    link = web.link("rarnold")
    page = web.get(link)
    assert "Review, update, revise and implement Trust Access Policy" in page.text
    assert page.text.count("You are covering for Sharon Murphy while they are away") == 2
    policy = web.world.access_policy
    fields = dict(form_fields(page.text))
    fields.update({f"d{policy}-rag": "green", f"d{policy}-narrative": "Policy adopted."})
    sent = web.post(link, fields)
    assert sent.status == 200 and "Update sent" in sent.text
    with session_scope(web.engine) as session:
        [behalf] = session.exec(select(UpdateOnBehalf)).all()
    assert behalf.on_behalf_of_id == web.world.people["smurphy"]
