"""Settings, read once from the environment or ``.env`` (see ``.env.example``)."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.setting_checks import key_problem, sender_problem
from storage.db import DEFAULT_DATABASE_URL

NOTIFY_URL = "https://api.notifications.service.gov.uk"
TEAMS_LOGIN_URL = "https://login.microsoftonline.com"
TEAMS_OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
TEAMS_GRAPH_URL = "https://graph.microsoft.com"
CHANNEL_NAMES = ("slack", "teams", "email")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class SettingsError(RuntimeError):
    """A missing or malformed setting; the message names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    # The installed workspace (T…) and, for an Enterprise Grid org-wide install, the org (E…);
    # requests from anywhere else are refused. Unset: the team auth.test gives the bot token.
    slack_team_id: str | None = Field(default=None, alias="RAGTIME_SLACK_TEAM_ID")
    slack_enterprise_id: str | None = Field(default=None, alias="RAGTIME_SLACK_ENTERPRISE_ID")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    governance_channel: str | None = Field(default=None, alias="RAGTIME_GOVERNANCE_CHANNEL")
    governance_leads_raw: str = Field(default="", alias="RAGTIME_GOVERNANCE_LEADS")
    timezone: str = Field(default="Europe/London", alias="RAGTIME_TIMEZONE")
    worker_threads: int = Field(default=8, alias="RAGTIME_WORKER_THREADS", ge=1, le=64)
    # How a report's compiler process starts (bot.reports.isolated): ``spawn``, a fresh one per
    # compile; ``forkserver``, forked from a helper kept after the first compile, about a
    # second faster each, the helper holding its imports (about 60 MB) until the worker stops.
    compile_start: Literal["spawn", "forkserver"] = Field(default="spawn",
                                                          alias="RAGTIME_COMPILE_START")
    listener_threads: int = Field(default=64, alias="RAGTIME_LISTENER_THREADS", ge=1, le=512)
    log_level: str = Field(default="INFO", alias="RAGTIME_LOG_LEVEL")
    leader_poll_seconds: float = Field(default=15.0, alias="RAGTIME_LEADER_POLL_SECONDS",
                                       gt=0, le=3600)
    # The web form for SROs not on Slack (handlers/web): its links start with the public URL
    # and are signed with the secret key; they work until the round's deadline plus the grace.
    public_url: str | None = Field(default=None, alias="RAGTIME_PUBLIC_URL")
    secret_key: SecretStr | None = Field(default=None, alias="RAGTIME_SECRET_KEY")
    link_grace_days: int = Field(default=7, alias="RAGTIME_LINK_GRACE_DAYS", ge=0, le=365)
    # Reverse proxies in front of `ragtime serve` that add X-Forwarded-For (nginx: 1): the web
    # form's rate limit then counts each person's address, not the proxy's. 0: none trusted.
    trusted_proxies: int = Field(default=0, alias="RAGTIME_TRUSTED_PROXIES", ge=0, le=5)

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://ragtime.example.nhs.uk")
        return value.rstrip("/")
    # Email, for SROs whose channel is email (or auto, without a Slack account).
    email_from: str | None = Field(default=None, alias="RAGTIME_EMAIL_FROM")
    email_transport: Literal["smtp", "notify"] | None = Field(
        default=None, alias="RAGTIME_EMAIL_TRANSPORT")
    smtp_host: str | None = Field(default=None, alias="RAGTIME_SMTP_HOST")
    smtp_port: int = Field(default=587, alias="RAGTIME_SMTP_PORT", ge=1, le=65535)
    smtp_username: str | None = Field(default=None, alias="RAGTIME_SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, alias="RAGTIME_SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=True, alias="RAGTIME_SMTP_STARTTLS")
    smtp_timeout: float = Field(default=30.0, alias="RAGTIME_SMTP_TIMEOUT", gt=0, le=600)
    # An http:// proxy to reach the mail server through (CONNECT), when it is not reachable
    # directly; HTTPS_PROXY is not used for SMTP (few proxies allow CONNECT to port 587).
    smtp_proxy: str | None = Field(default=None, alias="RAGTIME_SMTP_PROXY")
    notify_api_key: SecretStr | None = Field(default=None, alias="RAGTIME_NOTIFY_API_KEY")
    notify_base_url: str = Field(default=NOTIFY_URL,
                                 alias="RAGTIME_NOTIFY_BASE_URL")
    notify_template_id: str | None = Field(default=None, alias="RAGTIME_NOTIFY_TEMPLATE_ID")
    # Microsoft Teams (handlers/teams): the Azure Bot's app id and client secret, the one tenant
    # served, and where tokens are got (outbound) and verified (inbound; sovereign clouds, tests).
    teams_app_id: str | None = Field(default=None, alias="RAGTIME_TEAMS_APP_ID")
    teams_app_password: SecretStr | None = Field(default=None, alias="RAGTIME_TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = Field(default=None, alias="RAGTIME_TEAMS_TENANT_ID")
    teams_governance_conversation: str | None = Field(
        default=None, alias="RAGTIME_TEAMS_GOVERNANCE_CONVERSATION")
    teams_login_url: str = Field(default=TEAMS_LOGIN_URL, alias="RAGTIME_TEAMS_LOGIN_URL")
    teams_openid_metadata_url: str = Field(default=TEAMS_OPENID_METADATA_URL,
                                           alias="RAGTIME_TEAMS_OPENID_METADATA_URL")
    teams_graph: bool = Field(default=False, alias="RAGTIME_TEAMS_GRAPH")
    teams_graph_url: str = Field(default=TEAMS_GRAPH_URL, alias="RAGTIME_TEAMS_GRAPH_URL")
    channel_order_raw: str = Field(default=",".join(CHANNEL_NAMES),
                                   alias="RAGTIME_CHANNEL_ORDER")

    @field_validator("teams_app_id", "teams_tenant_id", mode="before")
    @classmethod
    def _guid(cls, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            return None if isinstance(value, str) else value
        if not _GUID.match(value.strip()):
            raise ValueError("must be a GUID such as 00000000-0000-0000-0000-000000000000 "
                             "(from the Azure Bot resource)")
        return value.strip().lower()

    @field_validator("teams_governance_conversation", mode="before")
    @classmethod
    def _conversation(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("teams_login_url", "teams_openid_metadata_url", "teams_graph_url",
                     mode="before")
    @classmethod
    def _teams_url(cls, value: object, info: ValidationInfo) -> object:
        default = {"teams_login_url": TEAMS_LOGIN_URL,
                   "teams_graph_url": TEAMS_GRAPH_URL}.get(info.field_name or "",
                                                           TEAMS_OPENID_METADATA_URL)
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if not isinstance(value, str) or not value.strip().startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL such as {default}")
        return value.strip().rstrip("/")

    @field_validator("channel_order_raw")
    @classmethod
    def _channel_order(cls, value: str) -> str:
        names = [name.strip().lower() for name in value.split(",") if name.strip()]
        unknown = [name for name in names if name not in CHANNEL_NAMES]
        if unknown or not names or len(set(names)) != len(names):
            raise ValueError(f"must list some of {', '.join(CHANNEL_NAMES)} once each, "
                             "comma-separated, such as slack,teams,email")
        return ",".join(names)

    @field_validator("smtp_proxy")
    @classmethod
    def _smtp_proxy(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        if not value.strip().startswith("http://"):
            raise ValueError("must be an http:// proxy URL such as http://proxy.trust.nhs.uk:8080")
        return value.strip()

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("slack_team_id")
    @classmethod
    def _team_id(cls, value: str | None) -> str | None:
        return _slack_id(value, "T")

    @field_validator("slack_enterprise_id")
    @classmethod
    def _enterprise_id(cls, value: str | None) -> str | None:
        return _slack_id(value, "E")

    @field_validator("email_transport", mode="before")
    @classmethod
    def _transport(cls, value: object) -> object:
        return (value.strip().lower() or None) if isinstance(value, str) else value

    @field_validator("notify_base_url")
    @classmethod
    def _notify_url(cls, value: str | None) -> str:
        if not value or not value.strip():
            return NOTIFY_URL
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as " + NOTIFY_URL)
        return value.strip().rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone '{value}'") from error
        return value

    @cached_property
    def channel_order(self) -> tuple[str, ...]:
        """The channels ``auto`` tries, in order (``RAGTIME_CHANNEL_ORDER``)."""
        return tuple(self.channel_order_raw.split(","))

    @property
    def slack_enabled(self) -> bool:
        """Whether this deployment uses Slack (any Slack token given; then all it needs must be)."""
        return bool(self.slack_bot_token or self.slack_signing_secret or self.slack_app_token)

    @property
    def teams_enabled(self) -> bool:
        """Whether this deployment uses Microsoft Teams (any of its credentials given)."""
        return bool(self.teams_app_id or self.teams_app_password or self.teams_tenant_id)

    def require_teams(self) -> None:
        """Stop start-up with one line naming the missing Teams setting(s)."""
        needed = {"RAGTIME_TEAMS_APP_ID": self.teams_app_id,
                  "RAGTIME_TEAMS_APP_PASSWORD": self.teams_app_password,
                  "RAGTIME_TEAMS_TENANT_ID": self.teams_tenant_id}
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise SettingsError(f"missing setting(s): {', '.join(missing)} (see .env.example: "
                                "'Microsoft Teams')")

    def require_channels(self, *, socket: bool = False, inbound: bool = True) -> None:
        """At least one chat channel, each one given wholly: Slack (``require_slack``), Teams
        (``require_teams``) or both. Neither: the Slack settings are named, as before Teams."""
        if self.teams_enabled:
            self.require_teams()
        if self.slack_enabled or not self.teams_enabled:
            self.require_slack(socket=socket, inbound=inbound)

    @cached_property
    def governance_leads(self) -> frozenset[str]:
        """Slack user ids, Teams (AAD) object ids and/or emails; emails and GUIDs lower-cased."""
        items = (item.strip() for item in self.governance_leads_raw.split(","))
        return frozenset(item.lower() if "@" in item or _GUID.match(item) else item
                         for item in items if item)

    @property
    def email_enabled(self) -> bool:
        """Whether SROs without a Slack account are emailed (``RAGTIME_EMAIL_TRANSPORT`` set)."""
        return self.email_transport is not None

    def require_email(self) -> None:
        """Stop with a message naming every missing email setting: called when a round has
        someone to email. Without ``RAGTIME_EMAIL_TRANSPORT`` that is the one named."""
        needed: dict[str, object] = {
            "RAGTIME_EMAIL_TRANSPORT": self.email_transport,
            "RAGTIME_EMAIL_FROM": self.email_from,
            "RAGTIME_PUBLIC_URL": self.public_url,
            "RAGTIME_SECRET_KEY": self.secret_key,
        }
        if self.email_transport == "smtp":
            needed["RAGTIME_SMTP_HOST"] = self.smtp_host
            if self.smtp_username or self.smtp_password:
                needed["RAGTIME_SMTP_USERNAME"] = self.smtp_username
                needed["RAGTIME_SMTP_PASSWORD"] = self.smtp_password
        elif self.email_transport == "notify":
            needed["RAGTIME_NOTIFY_API_KEY"] = self.notify_api_key
            needed["RAGTIME_NOTIFY_TEMPLATE_ID"] = self.notify_template_id
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise SettingsError(
                f"SROs are to be emailed but setting(s) {', '.join(missing)} are missing "
                "(see .env.example: 'Email')")
        if problem := sender_problem(self.email_from or ""):
            raise SettingsError(problem)
        self.require_form()  # the links' URL, and a key long enough not to be guessed

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_slack(self, *, socket: bool = False, inbound: bool = True) -> None:
        """Stop start-up with a message naming the missing or malformed Slack setting.

        ``inbound=False`` is for commands that only call Slack (``round open``,
        ``compile --post``): they need the bot token but not the signing secret."""
        needed = {"SLACK_BOT_TOKEN": self.slack_bot_token}
        if socket:
            needed["SLACK_APP_TOKEN"] = self.slack_app_token
        elif inbound:
            needed["SLACK_SIGNING_SECRET"] = self.slack_signing_secret
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise SettingsError(f"missing setting(s): {', '.join(missing)} (see .env.example)")
        token = self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""
        if not token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'")
        app_token = self.slack_app_token.get_secret_value() if self.slack_app_token else ""
        if socket and not app_token.startswith("xapp-"):
            raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'")

    @property
    def form_enabled(self) -> bool:
        """The web form is served when either of its settings is given (then both must be)."""
        return bool(self.public_url or self.secret_key)

    def require_form(self) -> tuple[str, str]:
        """The public URL and the secret key the web form's links need; a ``SettingsError``
        naming whichever is missing, or saying why the key is not one made at random
        (``bot.setting_checks``)."""
        if not self.public_url:
            raise SettingsError("missing setting: RAGTIME_PUBLIC_URL (the address people open "
                                "their form links at; see .env.example)")
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if not key:
            raise SettingsError("missing setting: RAGTIME_SECRET_KEY (signs the web form's "
                                "links; see .env.example)")
        if problem := key_problem(key):
            raise SettingsError(problem)
        return self.public_url, key


def _slack_id(value: str | None, initial: str) -> str | None:
    """A workspace (``T…``) or org (``E…``) id as Slack writes it; empty means unset."""
    value = (value or "").strip()
    if value and not (value.startswith(initial) and value.isascii() and value.isalnum()
                      and value.isupper()):
        raise ValueError(f"must be a Slack id such as {initial}0123ABCD")
    return value or None


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'setting'}: {item['msg']}"
            for item in error.errors()
        )
        raise SettingsError(f"bad setting: {problems}") from None
