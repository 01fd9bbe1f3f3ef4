"""The secret key must look made at random; the From address must be one address."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys

import pytest

from bot.setting_checks import key_problem, sender_problem
from bot.settings import SettingsError, load_settings
from tests.paths import ROOT

OLD_README_KEY = "$(python -c 'import secrets; print(secrets.token_urlsafe(48))')"
PUBLIC_URL = "https://ragtime.example.nhs.uk"


@pytest.mark.parametrize(("key", "why"), [
    (OLD_README_KEY, "is a shell command, not its output"),
    ("`openssl rand -base64 48`xxxxxxxxxxxxxxxxxxxxxxxx", "is a shell command"),
    ("${RANDOM_KEY_FROM_SOMEWHERE_ELSE_THAT_IS_LONG}", "is a shell command"),
    ("correct horse battery staple correct horse battery", "contains spaces"),
    ('"' + "Xq3v9ZrT7mKp2LwB8nYc4HdJ6sFa1GeU5tRo0iQz" + '"', "is in quotes"),
    ("change-me-to-a-long-random-string-of-characters", "is an example value"),
    ("Xq3v9ZrT7mKp2LwB", "must be at least 32 characters"),
    ("s" * 40, "repeats too few characters"),
    ("abcabcabcabcabcabcabcabcabcabcabcabc", "repeats too few characters"),
])
def test_a_key_not_made_at_random_is_refused_saying_how_to_make_one(key: str, why: str):
    settings = load_settings(public_url=PUBLIC_URL, secret_key=key)

    with pytest.raises(SettingsError) as refused:
        settings.require_form()

    message = str(refused.value)
    assert message.startswith("RAGTIME_SECRET_KEY ") and why in message
    assert "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'" in message
    assert "\n" not in message


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(48),
                                  lambda: secrets.token_hex(32),
                                  lambda: secrets.token_urlsafe(32)],
                         ids=["token_urlsafe(48)", "token_hex(32)", "token_urlsafe(32)"])
def test_keys_made_as_the_readme_says_are_accepted(make):
    """A fresh key each run (ids, not keys, name the cases: pytest-xdist's workers must
    collect the same tests)."""
    key = make()
    assert key_problem(key) is None
    assert load_settings(public_url=PUBLIC_URL, secret_key=key).require_form()[1] == key


def test_the_readme_makes_the_key_with_a_command_whose_output_is_accepted():
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()

    command = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    assert command in readme and command in example
    made = subprocess.run([sys.executable, "-c", "import secrets; "
                           "print(secrets.token_urlsafe(48))"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert key_problem(made) is None
    # No settings line anywhere in the docs asks a .env file to run a command.
    for text in (readme, example):
        assert not re.search(r"^\s*RAGTIME_\w+=\S*\$\(", text, re.M)


@pytest.mark.parametrize("sender", [
    "Strategy team <strategy@example.nhs.uk>", "strategy@example.nhs.uk",
    "<strategy@example.nhs.uk>", '"Strategy, Planning" <strategy@example.nhs.uk>'])
def test_a_from_address_is_accepted(sender: str):
    assert sender_problem(sender) is None


@pytest.mark.parametrize(("sender", "why"), [
    ('"Strategy team <strategy@example.nhs.uk>"', "is in quotes"),
    ("'strategy@example.nhs.uk'", "is in quotes"),
    ("Strategy team", "is not one email address"),
    ("strategy@localhost", "is not one email address"),
    ("a@example.nhs.uk, b@example.nhs.uk", "is not one email address"),
    ("Strategy <strategy@example.nhs.uk> team", "is not one email address"),
])
def test_a_from_address_that_is_not_one_address_stops_email(sender: str, why: str):
    settings = load_settings(
        email_transport="smtp", smtp_host="send.nhs.net", email_from=sender,
        public_url=PUBLIC_URL, secret_key=secrets.token_urlsafe(48))

    with pytest.raises(SettingsError, match=f"RAGTIME_EMAIL_FROM {why}"):
        settings.require_email()
