"""The ``Directory`` port on Slack, against the fake Slack Web API."""

import pytest

from bot.settings import load_settings
from handlers.slack.directory import SlackDirectory
from handlers.slack.gateway import PermanentSendError, SlackGateway, make_web_client
from tests.fakeslack import BOT_TOKEN, FakeSlack


def directory(fake: FakeSlack) -> SlackDirectory:
    settings = load_settings(slack_bot_token=BOT_TOKEN, slack_api_url=fake.api_url)
    return SlackDirectory(SlackGateway(make_web_client(settings)))


def test_emails_are_read_from_profiles_and_remembered(fake_slack):
    fake_slack.add_user("U0LEAD", email="lead@example.nhs.uk")
    fake_slack.add_user("U0SHARON")
    people = directory(fake_slack)
    assert people.email_of("U0LEAD") == "lead@example.nhs.uk"
    assert people.email_of("U0SHARON") is None
    assert people.email_of("U0LEAD") == "lead@example.nhs.uk"
    assert len(fake_slack.calls("users.info")) == 2


def test_a_refused_profile_is_raised_not_taken_for_no_email(fake_slack):
    fake_slack.add_user("U0LEAD", email="lead@example.nhs.uk")
    fake_slack.fail_next("users.info", error="missing_scope")
    with pytest.raises(PermanentSendError):
        directory(fake_slack).email_of("U0LEAD")


def test_a_failed_look_up_by_email_is_raised_not_taken_for_nobody(fake_slack):
    fake_slack.add_user("U0LEAD", email="lead@example.nhs.uk")
    people = directory(fake_slack)
    assert people.user_for_email("lead@example.nhs.uk") == "U0LEAD"
    assert people.user_for_email("nobody@example.nhs.uk") is None
    fake_slack.fail_next("users.lookupByEmail", error="invalid_auth")
    with pytest.raises(PermanentSendError):
        people.user_for_email("x@example.nhs.uk")
