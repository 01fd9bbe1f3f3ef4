"""Approve, Request changes and Reopen on the draft summary, end to end over HTTP."""

from __future__ import annotations

from sqlmodel import select

from bot.collection.rounds import open_round
from bot.messaging.outbox import deliver_pending
from bot.reports.files import write_report
from handlers.slack.blocks.ids import UPDATE_MODAL, FormMetadata, Target, form_metadata
from handlers.slack.outbox import make_outbox_sender
from storage.db import session_scope
from storage.models import CompiledReport, OutboxMessage, Round, Update
from tests.fakeslack import FakeSlack
from tests.scenario.reports.conftest import CHANNEL, LEAD, Q2, World
from tests.scenario.reports.support import (
    block_text,
    buttons,
    response_texts,
    summaries,
    wait_until,
)
from tests.scenario.reports.test_compile_report import compile_and_wait
from tests.support.rounds import open_rounds
from tests.support.served_app import ServedApp
from tests.support.slack_requests import button, input_value, selected_value


def latest_report(served: ServedApp) -> CompiledReport:
    with session_scope(served.ctx.engine) as session:
        return session.exec(select(CompiledReport).order_by(CompiledReport.id.desc())).first()


def click(served: ServedApp, action_id: str, report: CompiledReport, user: str = LEAD):
    return served.slack.click([button(action_id, str(report.id), block_id="report_actions")],
                              user_id=user, channel_id=CHANNEL, message_ts=report.ts)


def summary_updates(fake: FakeSlack, report: CompiledReport) -> list[str]:
    return [block_text(c.json_param("blocks")) for c in fake.calls("chat.update")
            if (c.params.get("channel"), c.params.get("ts")) == (CHANNEL, report.ts)]


def sro_submits(served: ServedApp, user: str, deliverable_id: int, rag: str, narrative: str,
                **extra: str):
    """The SRO's update form submitted (the form built by the SRO-facing handlers)."""
    values = {"rag": {"value": selected_value(rag, "static_select")},
              "narrative": {"value": input_value(narrative)}}
    values.update({name: {"value": input_value(text)} for name, text in extra.items()})
    metadata = form_metadata(FormMetadata(target=Target(deliverable_id, Q2)))
    return served.slack.submit(UPDATE_MODAL, values, private_metadata=metadata, user_id=user,
                               view_id=f"V{deliverable_id}{len(narrative)}")


def versions(served: ServedApp, deliverable_id: int) -> list[int]:
    with session_scope(served.ctx.engine) as session:
        return [u.version for u in session.exec(select(Update).where(
            Update.deliverable_id == deliverable_id).order_by(Update.version))]


def test_approve_freezes_the_quarter_until_a_lead_reopens_it(
    served: ServedApp, fake_slack: FakeSlack, world: World
):
    compile_and_wait(served, fake_slack)
    report = latest_report(served)

    assert click(served, "report_approve", report).status == 200
    [shown] = wait_until(lambda: summary_updates(fake_slack, report), what="the approval")

    assert "*Approved* by <@U0LEAD> at 10:30 on 20 October 2024" in shown
    assert "2024/25 Q2 is frozen" in shown
    [update] = [c for c in fake_slack.calls("chat.update") if c.params.get("ts") == report.ts]
    assert buttons(update.json_param("blocks")) == {"report_reopen": str(report.id)}
    assert "Draft board report: 2024/25 Q2" in block_text(update.json_param("blocks"))
    with session_scope(served.ctx.engine) as session:
        round_ = session.exec(select(Round)).one()
        stored = session.get(CompiledReport, report.id)
    assert round_.frozen and round_.approved_by == LEAD
    assert (stored.status, stored.decided_by) == ("approved", LEAD)

    deliverable = world.ids["go-access-3"]
    kept = sro_submits(served, "U0SMURPHY", deliverable, "green", "A late change.")
    assert (kept.status, kept.body) == (200, "")  # kept; the worker finds the round frozen
    [told] = wait_until(lambda: [
        call.params["text"] for call in fake_slack.calls("chat.postMessage")
        if call.params.get("channel") == "U0SMURPHY"
        and "was not saved" in (call.params.get("text") or "")], what="the refusal by DM")
    assert "can no longer be changed" in told and "> A late change." in told
    assert versions(served, deliverable) == [1]

    again = click(served, "report_approve", report)
    assert again.status == 200
    wait_until(lambda: any("already approved" in t for t in response_texts(fake_slack)),
               what="the double-click answer")

    click(served, "report_reopen", report)
    wait_until(lambda: len(summary_updates(fake_slack, report)) == 2, what="the reopening")
    assert "*Reopened* by <@U0LEAD>" in summary_updates(fake_slack, report)[-1]
    with session_scope(served.ctx.engine) as session:
        round_ = session.exec(select(Round)).one()
    assert not round_.frozen and round_.approved_at is None

    # A new form (Slack gives each its own view id), once the round is reopened.
    accepted = sro_submits(served, "U0SMURPHY", deliverable, "green", "A late change, again.")
    assert accepted.status == 200 and "errors" not in accepted.body
    wait_until(lambda: versions(served, deliverable) == [1, 2], what="the stored update")
    threads = [c.params["text"] for c in fake_slack.calls("chat.postMessage")
               if c.params.get("thread_ts") == report.ts and "files" not in c.params["text"]]
    assert any(t.startswith(":white_check_mark: Approved by <@U0LEAD>") for t in threads)
    assert any(t.startswith(":unlock: Reopened by <@U0LEAD>") for t in threads)


def test_non_leads_cannot_approve_reopen_or_request_changes(
    served: ServedApp, fake_slack: FakeSlack
):
    compile_and_wait(served, fake_slack)
    report = latest_report(served)

    for action in ("report_approve", "report_request_changes", "report_reopen"):
        assert click(served, action, report, user="U0SMURPHY").status == 200

    wait_until(lambda: sum("only governance leads" in t for t in response_texts(fake_slack))
               >= 3, what="three refusals")
    assert sum("only governance leads" in t for t in response_texts(fake_slack)) == 3
    fake_slack.assert_no_call("views.open", within=0.2)
    fake_slack.assert_no_call("chat.update", within=0)
    assert latest_report(served).status == "draft"


def test_a_draft_the_updates_no_longer_match_cannot_be_approved(
    served: ServedApp, fake_slack: FakeSlack, world: World
):
    open_rounds(served.ctx.engine, Q2)  # updates are only filed into an opened round
    compile_and_wait(served, fake_slack)
    report = latest_report(served)
    sro_submits(served, "U0SMURPHY", world.ids["go-access-3"], "green", "Changed meanwhile.")
    wait_until(lambda: versions(served, world.ids["go-access-3"]) == [1, 2], what="the update")

    click(served, "report_approve", report)

    texts = wait_until(lambda: [t for t in response_texts(fake_slack) if "changed" in t],
                       what="the refusal")
    assert "have changed since this draft was compiled" in texts[0]
    assert latest_report(served).status == "draft"
    with session_scope(served.ctx.engine) as session:
        round_ = session.exec(select(Round)).one()
        assert not round_.frozen and round_.approved_at is None


def test_request_changes_reprompts_the_sros_who_resubmit(
    served: ServedApp, fake_slack: FakeSlack, world: World
):
    compile_and_wait(served, fake_slack)
    report = latest_report(served)

    click(served, "report_request_changes", report)
    [opened] = fake_slack.wait_for("views.open")
    modal = opened.json_param("view")
    assert modal["callback_id"] == "report_changes_modal"
    groups = modal["blocks"][1]["element"]["option_groups"]
    assert [g["label"]["text"] for g in groups] == [
        "Great Outcomes", "Great Care", "Great Place to Work", "Part of the Community"]
    options = {o["value"]: o for g in groups for o in g["options"]}
    assert len(options) == 17
    access3, research1 = world.ids["go-access-3"], world.ids["go-research-1"]
    community = world.ids["poc-partnerships-1"]
    assert options[str(research1)]["description"]["text"] == (
        "Green · SRO Bhanu Chadalavada, James Mullins")

    def submit(ids: list[int], comment: str):
        chosen = [{"text": {"type": "plain_text", "text": str(i)}, "value": str(i)}
                  for i in ids]
        return served.slack.submit(
            "report_changes_modal",
            {"deliverables": {"deliverables": {"type": "multi_static_select",
                                               "selected_options": chosen}},
             "comment": {"comment": input_value(comment)}},
            private_metadata=modal["private_metadata"], user_id=LEAD)

    empty = submit([], "Please add dates.")
    assert empty.json() == {"response_action": "errors", "errors": {
        "deliverables": "Please choose at least one deliverable to send back."}}

    comment = "Please add dates & owners <!channel>"
    assert submit([access3, research1, community], comment).status == 200

    def direct_messages():
        return [c for c in fake_slack.calls("chat.postMessage")
                if c.params["channel"].startswith("U0")]

    wait_until(lambda: len(direct_messages()) >= 3, what="three DMs")
    dms = direct_messages()
    assert sorted(c.params["channel"] for c in dms) == ["U0BHANU", "U0JAMES", "U0SMURPHY"]
    to_sharon = next(c for c in dms if c.params["channel"] == "U0SMURPHY")
    text = block_text(to_sharon.json_param("blocks"))
    assert "Changes requested on your 2024/25 Q2 update" in text
    assert "> Please add dates &amp; owners &lt;!channel&gt;" in text
    assert "<@U0LEAD> reviewed the draft" in text

    shown = wait_until(lambda: summary_updates(fake_slack, report), what="the summary")
    assert "*Changes requested* by <@U0LEAD>" in shown[-1]
    assert "&lt;!channel&gt;" in shown[-1] and "<!channel>" not in shown[-1]
    note = wait_until(lambda: [c.params["text"] for c in fake_slack.calls("chat.postMessage")
                               if c.params.get("thread_ts") == report.ts
                               and "asked for changes" in c.params["text"]], what="the note")
    assert "3 SRO message(s) queued" in note[0]
    assert "Not messaged (no Slack account found): David Williams" in note[0]
    assert latest_report(served).status == "changes_requested"
    with session_scope(served.ctx.engine) as session:
        sent = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "changes_requested")).all()
    assert sorted(m.status for m in sent) == ["sent"] * 3

    # Sharon uses the button in her DM: the usual update form opens and her update is stored.
    update_button = next(e for b in to_sharon.json_param("blocks") if b["type"] == "actions"
                         for e in b["elements"])
    served.slack.click([button(update_button["action_id"], update_button["value"])],
                       user_id="U0SMURPHY", channel_id="D0SMURPHY",
                       message_ts=to_sharon.response["ts"])
    [form] = fake_slack.wait_for("views.update", timeout=10)
    assert form.json_param("view")["callback_id"] == UPDATE_MODAL
    metadata = form.json_param("view")["private_metadata"]
    resubmitted = served.slack.submit(
        UPDATE_MODAL, {"rag": {"value": selected_value("green", "static_select")},
                       "narrative": {"value": input_value("Dates and owners now agreed.")}},
        private_metadata=metadata, user_id="U0SMURPHY", view_id=form.response["view"]["id"])
    assert resubmitted.status == 200
    wait_until(lambda: versions(served, access3) == [1, 2], what="the resubmission")

    # Compiling again posts a new draft and retires the old one's buttons.
    compile_and_wait(served, fake_slack, uploads=2)
    assert len(summaries(fake_slack, CHANNEL)) == 2
    superseded = wait_until(lambda: [t for t in summary_updates(fake_slack, report)
                                     if "*Superseded*" in t], what="the superseded draft")
    assert superseded
    [last] = [c for c in fake_slack.calls("chat.update") if c.params.get("ts") == report.ts
              and "*Superseded*" in block_text(c.json_param("blocks"))]
    assert buttons(last.json_param("blocks")) == {}
    click(served, "report_approve", report)
    wait_until(lambda: any("newer draft" in t for t in response_texts(fake_slack)),
               what="the refusal to approve an old draft")


def test_after_approval_a_reply_in_the_prompt_thread_is_refused(
    served: ServedApp, fake_slack: FakeSlack, world: World
):
    engine, deliverable = served.ctx.engine, world.ids["go-access-3"]
    with session_scope(engine, write=True) as session:
        open_round(session, period=Q2, opened_by=LEAD)
    deliver_pending(engine, make_outbox_sender(served.ctx), kinds={"prompt"})
    with session_scope(engine) as session:
        prompt = session.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "prompt", OutboxMessage.deliverable_id == deliverable)).one()
    compile_and_wait(served, fake_slack)
    report = latest_report(served)
    click(served, "report_approve", report)
    wait_until(lambda: summary_updates(fake_slack, report), what="the approval")

    served.slack.dm("Green - all finished now", user="U0SMURPHY", channel=prompt.channel,
                    thread_ts=prompt.ts)

    replies = wait_until(lambda: [c for c in fake_slack.calls("chat.postMessage")
                                  if c.params.get("thread_ts") == prompt.ts], what="the reply")
    assert "can no longer be changed" in (replies[0].params["text"]
                                          + block_text(replies[0].json_param("blocks")))
    assert versions(served, deliverable) == [1]


def test_the_paper_compiled_after_approval_says_who_approved_it_until_it_changes(
    served: ServedApp, fake_slack: FakeSlack, world: World, tmp_path
):
    compile_and_wait(served, fake_slack)
    report = latest_report(served)
    click(served, "report_approve", report)
    wait_until(lambda: summary_updates(fake_slack, report), what="the approval")

    # The approved paper is uploaded in the summary's thread, beside the draft's files.
    fake_slack.wait_for("files.completeUploadExternal", 2, timeout=60)
    in_thread = [u for u in fake_slack.uploaded_files() if u.thread_ts == report.ts]
    papers = [u for u in in_thread if u.filename.endswith(".md")]
    assert len(papers) == 2
    assert b"**DRAFT**" in papers[0].data
    assert b"Approved by a governance lead on 20 October 2024" in papers[1].data
    assert b"DRAFT" not in papers[1].data

    approved = write_report(served.ctx, "2024/25 Q2", tmp_path / "approved", formats=("md",))
    markdown = approved.paths["md"].read_text(encoding="utf-8")
    # The lead owns nothing in the framework, so the paper does not name a Slack id.
    assert "Approved by a governance lead on 20 October 2024" in markdown
    assert "DRAFT" not in markdown

    click(served, "report_reopen", report)
    wait_until(lambda: len(summary_updates(fake_slack, report)) == 2, what="the reopening")
    deliverable = world.ids["go-access-3"]
    sro_submits(served, "U0SMURPHY", deliverable, "green", "A late change.")
    wait_until(lambda: versions(served, deliverable) == [1, 2], what="the stored update")

    changed = write_report(served.ctx, "2024/25 Q2", tmp_path / "changed", formats=("md",))
    markdown = changed.paths["md"].read_text(encoding="utf-8")
    assert "**DRAFT** — not yet approved." in markdown and "Approved by" not in markdown


def test_a_co_owners_change_request_dm_shows_the_version_the_other_saved(
    served: ServedApp, fake_slack: FakeSlack, world: World
):
    """Joint SROs each get the lead's request; once one saves a revised update, both DMs are
    redrawn (the lead's words kept) with the version saved and who saved it, as the prompt
    cards are: the other does not answer a request already answered."""
    compile_and_wait(served, fake_slack)
    report = latest_report(served)
    click(served, "report_request_changes", report)
    [opened] = fake_slack.wait_for("views.open")
    modal = opened.json_param("view")
    research1 = world.ids["go-research-1"]
    chosen = [{"text": {"type": "plain_text", "text": "R1"}, "value": str(research1)}]
    served.slack.submit(
        "report_changes_modal",
        {"deliverables": {"deliverables": {"type": "multi_static_select",
                                           "selected_options": chosen}},
         "comment": {"comment": input_value("Say when the <bid> is due.")}},
        private_metadata=modal["private_metadata"], user_id=LEAD)

    def request_to(user: str):
        return next((c for c in fake_slack.calls("chat.postMessage")
                     if c.params["channel"] == user), None)

    wait_until(lambda: request_to("U0BHANU") and request_to("U0JAMES"), what="both requests")
    james, bhanu = request_to("U0JAMES"), request_to("U0BHANU")
    assert "Submit a revised update" in block_text(james.json_param("blocks"))

    assert sro_submits(served, "U0BHANU", research1, "green", "The bid is due on 3 March.",
                       ).status == 200
    wait_until(lambda: len(versions(served, research1)) == 2, what="the revised update")
    saved = versions(served, research1)[-1]

    def redrawn(sent) -> list[str]:
        place = (sent.response["channel"], sent.response["ts"])
        return [block_text(c.json_param("blocks")) for c in fake_slack.calls("chat.update")
                if (c.params.get("channel"), c.params.get("ts")) == place]

    [to_james] = wait_until(lambda: redrawn(james), what="James's request redrawn")
    assert f"Version {saved} (Green) was saved by Bhanu Chadalavada." in to_james
    assert "> Say when the &lt;bid&gt; is due." in to_james  # the lead's words, still escaped
    assert "Change the update" in to_james and "Submit a revised update" not in to_james
    [to_bhanu] = wait_until(lambda: redrawn(bhanu), what="Bhanu's request redrawn")
    assert f"Version {saved} (Green) was saved by you." in to_bhanu
