"""The web form over real HTTP (Flask on waitress), on SQLite and PostgreSQL: what an SRO who
is not on Slack sees and stores through their personal link, and every way a link or a POST is
refused."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.collection.links import read_link, revoke_links
from bot.settings import SettingsError, load_settings
from storage.db import make_engine, session_scope
from storage.models import AuditEvent, Deliverable, DeliverableOwner, Person, Round, RoundStatus
from tests.fakeslack import FakeSlack
from tests.support.web_form import DEADLINE, Q2, SECRET, WebWorld, form_fields

NOTE = "Wellbeing hubs open on every site; uptake is 40% above plan."


def _answer(page_fields: dict[str, str], deliverable: int, **values: str) -> dict[str, str]:
    fields = dict(page_fields)
    fields.update({f"d{deliverable}-{name}": value for name, value in values.items()})
    return fields


def test_the_link_opens_only_that_persons_deliverables_with_last_quarter(web: WebWorld):
    page = web.get(web.link("rarnold"))

    assert page.status == 200
    assert "Your update for 2024/25 Q2" in page.text
    assert "Deliver the staff health and wellbeing plan" in page.text
    assert "On track in Q1." in page.text  # last quarter's answer
    assert "Review, update, revise and implement Trust Access Policy" not in page.text
    assert "University Hospital Trust status" not in page.text
    assert f'name="d{web.world.wellbeing}-narrative"' in page.text
    assert page.field("form_token")


def test_every_response_sets_the_security_headers(web: WebWorld):
    for page in (web.get(web.link("rarnold")), web.get(web.url + "/form/nonsense"),
                 web.get(web.url + "/healthz")):
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'none'" in csp and "'unsafe-inline'" not in csp
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script" not in web.get(web.link("rarnold")).text


def test_an_answer_is_stored_once_and_confirmed(web: WebWorld, fake_slack: FakeSlack):
    link = web.link("rarnold")
    page = web.get(link)
    fields = _answer(form_fields(page.text), web.world.wellbeing, rag="green", narrative=NOTE)

    done = web.post(link, fields)
    replayed = web.post(link, fields)

    assert done.status == 200 and "Update sent" in done.text
    assert "Green (version 1)" in done.text
    fake_slack.assert_no_call("chat.postMessage")  # Rachel is not on Slack: nothing sent there
    assert replayed.status == 200 and "already saved" in replayed.text
    q2 = [u for u in web.updates(web.world.wellbeing) if u.narrative == NOTE]
    assert len(q2) == 1
    assert q2[0].source.value == "web"
    assert q2[0].submitted_by_id == web.world.people["rarnold"]
    assert q2[0].submitted_by_slack_id is None


def test_a_rule_error_is_shown_beside_the_field_and_nothing_is_stored(web: WebWorld):
    link = web.link("rarnold")
    fields = _answer(form_fields(web.get(link).text), web.world.wellbeing, rag="red",
                     narrative="Behind plan.")

    page = web.post(link, fields)

    assert page.status == 200
    assert "<title>Error: " in page.text
    field = f"d{web.world.wellbeing}-recovery_action"
    assert f'href="#{field}"' in page.text  # the summary links to the field
    assert f'id="{field}-error"' in page.text
    assert "A red rating needs a recovery action" in page.text
    assert "The rating changed from Green last quarter to Red" in page.text
    assert "Behind plan." in page.text  # what was typed is kept
    assert [u for u in web.updates(web.world.wellbeing) if u.narrative == "Behind plan."] == []

    corrected = dict(form_fields(page.text))
    corrected.update({field: "Extra sessions booked.",
                      f"d{web.world.wellbeing}-recovery_date": "31/03/2025",
                      f"d{web.world.wellbeing}-change_reason": "Two hubs delayed by estates."})
    done = web.post(link, corrected)

    assert "Update sent" in done.text
    assert [u.rag.value for u in web.updates(web.world.wellbeing)] == ["green", "red"]


def test_an_empty_page_says_what_is_needed(web: WebWorld):
    link = web.link("rarnold")
    page = web.post(link, {"form_token": web.get(link).field("form_token") or ""})

    assert "Fill in at least one deliverable" in page.text


def test_a_post_without_its_form_token_is_refused(web: WebWorld):
    link = web.link("rarnold")
    fields = _answer(form_fields(web.get(link).text), web.world.wellbeing, rag="green",
                     narrative=NOTE)
    missing = {k: v for k, v in fields.items() if k != "form_token"}
    forged = {**fields, "form_token": fields["form_token"][:-3] + "abc"}
    other_link = {**fields, "form_token": web.get(web.link("smurphy")).field("form_token")}

    pages = [web.post(link, missing), web.post(link, forged), web.post(link, other_link)]

    assert [p.status for p in pages] == [400, 400, 400]
    assert all("Open your link again" in p.text for p in pages)
    assert [u for u in web.updates(web.world.wellbeing) if u.narrative == NOTE] == []


def test_a_link_cannot_touch_someone_elses_deliverable(web: WebWorld):
    link = web.link("rarnold")
    fields = _answer(form_fields(web.get(link).text), web.world.access_policy, rag="green",
                     narrative="Forged by someone else.")

    page = web.post(link, fields)

    assert "Fill in at least one deliverable" in page.text
    assert web.updates(web.world.access_policy) == []


def test_a_tampered_link_is_refused(web: WebWorld):
    link = web.link("rarnold")
    token = link.rsplit("/", 1)[1]
    payload, rest = token.split(".", 1)
    swapped = link.replace(token, payload[::-1] + "." + rest)

    for page in (web.get(swapped), web.get(link + "x"), web.post(link[:-2], {})):
        assert page.status == 403
        assert "This link is not valid" in page.text
        assert "<form" not in page.text


def test_a_link_expires_after_the_deadline_and_its_grace(web: WebWorld):
    link = web.link("rarnold")
    grace = web.served.ctx.settings.link_grace_days
    web.clock.now = web.clock.now.replace(day=DEADLINE.day) + timedelta(days=grace)
    assert web.get(link).status == 200  # the last day of the grace

    web.clock.advance(days=1)
    page = web.get(link)

    assert page.status == 410
    assert "This link has expired" in page.text


def test_a_revoked_link_is_refused_and_a_new_one_works(web: WebWorld):
    old = web.get(web.link("rarnold"))
    link = web.link("rarnold")
    web.clock.advance(seconds=5)

    revoke_links(web.served.ctx, person="rarnold", period=Q2, by="cli:test")
    web.clock.advance(seconds=5)

    refused = web.get(link)
    assert refused.status == 410 and "withdrawn" in refused.text
    fields = _answer(form_fields(old.text), web.world.wellbeing, rag="green", narrative=NOTE)
    assert web.post(link, fields).status == 410
    assert web.get(web.link("rarnold")).status == 200
    assert [u for u in web.updates(web.world.wellbeing) if u.narrative == NOTE] == []


def test_a_closed_round_refuses_its_links(web: WebWorld):
    link = web.link("rarnold")
    with session_scope(web.engine, write=True) as session:
        round_ = session.get(Round, web.round_id)
        round_.status = RoundStatus.closed

    page = web.get(link)

    assert page.status == 410 and "Updates for this quarter are closed" in page.text


def test_joint_sros_see_what_the_other_submitted_escaped(web: WebWorld, fake_slack: FakeSlack):
    james = web.link("jmullins")
    text = "Bid submitted <script>alert('x')</script> & awaiting panel"
    web.post(james, _answer(form_fields(web.get(james).text), web.world.research, rag="amber",
                            narrative=text, recovery_action="Chase the panel date",
                            recovery_date="28/02/2025", change_reason="Panel postponed"))

    page = web.get(web.link("bchadalavada"))

    assert "Saved by James Mullins" in page.text
    escaped = "Bid submitted &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; awaiting"
    assert escaped in page.text
    assert "<script>alert" not in page.text
    # James is on Slack: the modal's follow-ups ran — his confirmation and Bhanu's notice.
    sent = fake_slack.wait_for("chat.postMessage", 2)
    assert {call.params["channel"] for call in sent} == {"U0JAMES", "U0BHANU"}
    assert any("Bid submitted &lt;script&gt;" in str(call.params) for call in sent)


def test_failed_link_attempts_are_rate_limited(web: WebWorld):
    statuses = [web.get(web.url + f"/form/guess{n}").status for n in range(25)]

    assert statuses[:20] == [403] * 20
    assert set(statuses[20:]) == {429}


def test_fifty_people_submitting_at_once_are_each_stored_once(web: WebWorld):
    people = _many_sros(web, 50)
    links = {person_id: web.link(key) for key, person_id, _d in people}
    tokens = {person_id: web.get(link).field("form_token") for person_id, link in links.items()}

    def submit(item: tuple[str, int, int]) -> int:
        _key, person_id, deliverable = item
        return web.post(links[person_id], {
            "form_token": tokens[person_id] or "", f"d{deliverable}-rag": "green",
            f"d{deliverable}-narrative": f"On track ({person_id})."}).status

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(submit, people + people))  # each twice: a double submit

    assert statuses == [200] * 100
    for _key, person_id, deliverable in people:
        assert [u.narrative for u in web.updates(deliverable)] == [f"On track ({person_id})."]


def _many_sros(web: WebWorld, count: int) -> list[tuple[str, int, int]]:
    made = []
    with session_scope(web.engine, write=True) as session:
        theme_id = session.get(Deliverable, web.world.wellbeing).theme_id
        for n in range(count):
            person = Person(key=f"sro{n}", name=f"SRO {n}", email=f"sro{n}@example.nhs.uk")
            item = Deliverable(framework_id=web.world.framework_id, theme_id=theme_id,
                               ref=f"many-{n}", number=str(n), title=f"Deliverable {n}",
                               position=100 + n)
            session.add_all([person, item])
            session.flush()
            session.add(DeliverableOwner(deliverable_id=item.id, person_id=person.id))
            made.append((person.key, person.id or 0, item.id or 0))
    web.world.people.update({key: pid for key, pid, _d in made})
    return made


def test_links_are_read_back_and_revocations_audited(web: WebWorld):
    link = web.link("rarnold")
    token = link.rsplit("/", 1)[1]
    check = read_link(web.served.ctx, token)
    assert check.access is not None
    assert (check.access.person_name, check.access.period, check.access.expires) == (
        "Rachel Arnold", Q2, DEADLINE + timedelta(days=7))

    web.clock.advance(seconds=1)
    revoke_links(web.served.ctx, person="rachel.arnold@example.nhs.uk", by="cli:test")

    assert read_link(web.served.ctx, token).refused == "revoked"
    with session_scope(web.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "links.revoked")).one()
        assert (event.actor, event.subject) == ("cli:test", "person:rarnold")


@pytest.mark.parametrize(("values", "named"), [
    ({"public_url": "https://ragtime.example.nhs.uk"}, "RAGTIME_SECRET_KEY"),
    ({"secret_key": SECRET}, "RAGTIME_PUBLIC_URL"),
    ({"public_url": "https://ragtime.example.nhs.uk", "secret_key": "short"},
     "RAGTIME_SECRET_KEY must be at least 32"),
])
def test_the_form_needs_both_settings(values: dict[str, str], named: str):
    with pytest.raises(SettingsError, match=named):
        load_settings(**values).require_form()


def test_the_form_path_is_only_served_when_configured(served_app):
    page = urllib.parse.urljoin(served_app.url, "/form/anything")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(page, timeout=5)
    refused.value.close()
    assert refused.value.code == 404


def test_ragtime_round_links_revoke_withdraws_the_links(web_sqlite: WebWorld):
    web = web_sqlite
    web.clock.now = datetime.now(UTC) - timedelta(minutes=1)  # the CLI stamps the real time
    link = web.link("rarnold")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RAGTIME_"))}
    env["DATABASE_URL"] = web.served.ctx.settings.database_url

    def ragtime(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ragtime.cli", "round", "links", *args],
                              capture_output=True, text=True, env=env, timeout=120, check=False)

    done = ragtime("revoke", "rarnold", "2024/25 Q2")
    unknown = ragtime("revoke", "nobody")

    assert done.returncode == 0, done.stderr
    assert "Revoked Rachel Arnold's web form links for 2024/25 Q2." in done.stdout
    assert unknown.returncode == 2 and "No person 'nobody'" in unknown.stderr
    web.clock.now = datetime.now(UTC)
    refused = web.get(link)
    assert refused.status == 410 and "withdrawn" in refused.text


def test_a_failure_is_logged_by_reference_without_the_link(
    web_sqlite: WebWorld, caplog: pytest.LogCaptureFixture
):
    web = web_sqlite
    link = web.link("rarnold")
    web.served.ctx.engine = make_engine("postgresql://ragtime@127.0.0.1:9/ragtime")

    page = web.get(link)

    assert page.status == 500 and "Sorry, something went wrong" in page.text
    reference = page.text.split("(reference ")[1].split(")")[0]
    assert any(reference in record.getMessage() for record in caplog.records)
    assert link.rsplit("/", 1)[1] not in caplog.text


def test_serve_stops_at_once_when_the_form_is_half_configured(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RAGTIME_"))}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="secret",
               RAGTIME_PUBLIC_URL="https://ragtime.example.nhs.uk",
               DATABASE_URL=f"sqlite:///{tmp_path / 'ragtime.db'}")

    result = subprocess.run([sys.executable, "-m", "ragtime.cli", "serve", "--port", "0"],
                            capture_output=True, text=True, env=env, timeout=60, check=False)

    assert result.returncode == 2
    assert "missing setting: RAGTIME_SECRET_KEY" in result.stderr


def test_several_deliverables_blank_ones_left_valid_ones_kept_while_one_is_corrected(
    web: WebWorld
):
    policy, sops = web.world.access_policy, web.world.access_sops
    link = web.link("smurphy")
    page = web.get(link)
    assert "Trust Access Policy" in page.text and "Directorate SOPs" in page.text
    fields = _answer(form_fields(page.text), policy, rag="green", narrative="Policy adopted.")
    fields = _answer(fields, sops, rag="amber", narrative="SOPs being redrafted.")

    first = web.post(link, fields)

    assert "An amber rating needs a recovery action" in first.text
    assert [u.narrative for u in web.updates(policy)] == ["Policy adopted."]
    assert web.updates(sops) == []
    corrected = _answer(form_fields(first.text), sops, recovery_action="Redraft with leads",
                        recovery_date="30/11/2024")
    done = web.post(link, corrected)

    assert "Update sent" in done.text and "Amber (version 1)" in done.text
    assert "1 update was already saved" in done.text
    assert [u.narrative for u in web.updates(policy)] == ["Policy adopted."]
    assert [u.narrative for u in web.updates(sops)] == ["SOPs being redrafted."]


def test_an_oversized_post_is_refused_unread(web_sqlite: WebWorld):
    web = web_sqlite
    link = web.link("rarnold")
    fields = _answer(form_fields(web.get(link).text), web.world.wellbeing, rag="green",
                     narrative="x" * 600_000)

    page = web.post(link, fields)

    assert page.status == 413
    assert [u for u in web.updates(web.world.wellbeing) if u.narrative.startswith("xxx")] == []
    head = urllib.request.urlopen(urllib.request.Request(web.url + "/healthz", method="HEAD"),
                                  timeout=5)
    with head:
        assert head.status == 200
