"""The real app over real HTTP: signatures, health, and the minimal listeners."""

from __future__ import annotations

import time

from tests.fakeslack import FakeSlack
from tests.support.served_app import ServedApp
from tests.support.slack_requests import app_home_opened, url_verification


def test_app_home_opened_publishes_a_home_tab(served_app: ServedApp, fake_slack: FakeSlack):
    response = served_app.slack.open_home("U0SRO0001")

    assert response.status == 200
    published = fake_slack.wait_for("views.publish")[0]
    assert published.params["user_id"] == "U0SRO0001"
    assert fake_slack.homes["U0SRO0001"]["type"] == "home"


def test_url_verification_echoes_the_challenge(served_app: ServedApp):
    response = served_app.slack.send(url_verification("abc123"))

    assert response.status == 200
    assert response.json() == {"challenge": "abc123"}


def test_unsigned_request_is_refused_and_reaches_no_listener(
    served_app: ServedApp, fake_slack: FakeSlack
):
    response = served_app.slack.send(app_home_opened("U0SRO0001"), signed=False)

    assert response.status == 401
    fake_slack.assert_no_call("views.publish")


def test_stale_timestamp_is_refused(served_app: ServedApp, fake_slack: FakeSlack):
    six_minutes_ago = int(time.time()) - 6 * 60
    response = served_app.slack.send(app_home_opened(), timestamp=six_minutes_ago)

    assert response.status == 401
    fake_slack.assert_no_call("views.publish")
