"""Settings from the environment and `.env`, in one typed object.

The bot's own settings carry the `ALIGNBOT_` prefix; platform and model settings keep the names
their ecosystems use (SLACK_BOT_TOKEN, MICROSOFT_APP_ID, OPENAI_API_KEY, ...) so existing
deployment secrets work unchanged.
"""

from __future__ import annotations

import os
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from bot.strategy.durations import Duration, DurationField

# A duration in the environment is text ("2h"), never JSON: without NoDecode pydantic-settings
# would json-decode it (Duration is a dataclass) and refuse ALIGNBOT_REMIND_AFTER=4h.
SettingDuration = Annotated[DurationField, NoDecode]

REPO_ROOT = Path(__file__).resolve().parent.parent


def _plain(name: str) -> AliasChoices:
    """An un-prefixed environment variable name (also accepted in lower case)."""
    return AliasChoices(name, name.lower())


ENV_FILE_VARIABLE = "ALIGNBOT_ENV_FILE"


def env_file() -> str | None:
    """The dotenv file settings are read from: `.env` in the working directory, or the file
    ALIGNBOT_ENV_FILE names; ALIGNBOT_ENV_FILE set but empty reads none (what the test suite
    does, so a developer's own `.env` cannot change its results)."""
    chosen = os.environ.get(ENV_FILE_VARIABLE)
    if chosen is None:
        return ".env"
    return chosen or None


class Settings(BaseSettings):
    """Everything configurable about a running bot. See `.env.example` for each variable."""

    model_config = SettingsConfigDict(
        env_prefix="ALIGNBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        populate_by_name=True,
    )

    def __init__(self, **values: Any) -> None:
        values.setdefault("_env_file", env_file())
        super().__init__(**values)

    database_url: str = Field(
        default="sqlite:///alignbot.db",
        description="SQLAlchemy URL: sqlite:///path.db (default) or postgresql://user@host/db",
    )
    database_timeout: float = Field(
        default=10.0, gt=0, le=120,
        description="Seconds to wait for the database (connecting, a free pooled connection, a "
                    "locked SQLite file) before telling the person to try again later",
    )
    strategy_file: Path = Field(
        default=REPO_ROOT / "examples" / "strategy.yaml", description="The strategy YAML file"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    prompts_dir: Path = Field(default=REPO_ROOT / "prompts", description="Question and feedback texts")
    platform: Literal["auto", "console", "slack", "teams"] = Field(
        default="auto", description="Which adapter `alignbot run` starts; auto picks from the tokens"
    )
    evaluator: Literal["auto", "rules", "llm"] = Field(
        default="auto", description="auto uses the LLM when OPENAI_API_KEY is set, else the rules"
    )
    checkin_close_after: SettingDuration = Field(
        default=Duration(1, "d"), description="How long an ad-hoc check-in stays open (e.g. 1d)"
    )
    default_timezone: str = Field(
        default="UTC", description="IANA zone for members whose platform gives none"
    )
    missed_grace: SettingDuration = Field(
        default=Duration(2, "h"),
        description="After downtime, occurrences missed by less than this are still sent; older "
                    "ones are recorded as missed",
    )
    schedule_min_interval: SettingDuration = Field(
        default=Duration(1, "h"),
        description="Shortest time between two runs of one schedule: /align schedule add refuses"
                    " a schedule that would message people more often (e.g. every minute)",
    )
    remind_after: SettingDuration = Field(
        default=Duration(4, "h"), description="Default delay of a check-in reminder (schedule remind=)"
    )
    tick_seconds: float = Field(
        default=30.0, ge=1, le=3600, description="How often the scheduler looks for due work"
    )
    http_port: int = Field(
        default=3000, ge=0, le=65535,
        description="Port of the HTTP endpoint platforms post to (Slack: /slack/events) when not in "
                    "Socket Mode",
    )
    console_start: datetime | None = Field(
        default=None, description="Console only: start the bot's clock at this instant (ISO 8601)"
    )
    console_log: Path = Field(
        default=Path("alignbot-console.log"),
        description="Console only: the file its log lines go to, so the terminal shows only the"
                    " conversation (`alignbot console --verbose` shows them in the terminal instead)",
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=_plain("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=_plain("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_plain("SLACK_SIGNING_SECRET")
    )
    # Multi-workspace OAuth install (instead of SLACK_BOT_TOKEN): served at /slack/install and
    # /slack/oauth_redirect, installations and states kept in the bot's database.
    slack_client_id: str | None = Field(default=None, validation_alias=_plain("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias=_plain("SLACK_CLIENT_SECRET")
    )
    slack_scopes: str = Field(
        default="", validation_alias=_plain("SLACK_SCOPES"),
        description="Comma-separated bot scopes an OAuth install asks for; empty: the manifest's",
    )
    slack_redirect_uri: str | None = Field(default=None, validation_alias=_plain("SLACK_REDIRECT_URI"))
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        description="Base URL of the Slack Web API (e.g. https://slack-gov.com/api/ for GovSlack, or"
                    " a proxy); ends with /api/",
    )
    slack_state_expiration: int = Field(
        default=600, ge=60, le=86400,
        description="Seconds an OAuth install link (its state) stays valid",
    )
    slack_timeout: float = Field(
        default=10.0, ge=1, le=120, description="Slack: seconds one Web API call may take")
    slack_max_retries: int = Field(
        default=2, ge=0, le=10,
        description="Slack: retries of a rate-limited (429) or unavailable (502/503) Web API call")
    slack_max_retry_wait: float = Field(
        default=30.0, ge=0, le=600,
        description="Slack: the longest Retry-After waited in place; longer ones are retried on a"
                    " later pass")
    microsoft_app_id: str | None = Field(default=None, validation_alias=_plain("MICROSOFT_APP_ID"))
    microsoft_app_password: SecretStr | None = Field(
        default=None, validation_alias=_plain("MICROSOFT_APP_PASSWORD")
    )
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant", validation_alias=_plain("MICROSOFT_APP_TYPE"),
        description="The Azure Bot's app type")
    microsoft_app_tenant_id: str | None = Field(
        default=None, validation_alias=AliasChoices(
            "MICROSOFT_APP_TENANT_ID", "microsoft_app_tenant_id", "MICROSOFT_APP_TENANTID",
            "microsoft_app_tenantid"),
        description="Directory (tenant) id; required for SingleTenant and UserAssignedMSI")
    teams_max_retries: int = Field(
        default=3, ge=0, le=10,
        description="Teams: retries of a throttled (429) or failed (412/5xx) Bot Connector call")
    teams_max_retry_wait: float = Field(
        default=30.0, ge=0, le=600,
        description="Teams: the longest single wait before a retry, whatever Retry-After says")
    teams_timeout: float = Field(
        default=15.0, ge=1, le=120, description="Teams: seconds one Bot Connector call may take")
    teams_app_version: str = Field(default="1.0.0", description="Teams app package version")
    teams_developer_name: str = Field(default="sales-align-bot",
                                      description="Teams app package: developer name")
    teams_website_url: str = Field(
        default="https://github.com/sales-align-bot/sales-align-bot",
        description="Teams app package: developer website (https)")
    teams_privacy_url: str | None = Field(
        default=None, description="Teams app package: privacy statement URL (default: website)")
    teams_terms_url: str | None = Field(
        default=None, description="Teams app package: terms of use URL (default: website)")

    openai_api_key: SecretStr | None = Field(default=None, validation_alias=_plain("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=_plain("OPENAI_BASE_URL"))
    openai_model: str = Field(default="gpt-4o-mini", description="Model for the LLM evaluator")
    openai_timeout: float = Field(default=15.0, gt=0, description="Seconds per LLM request")
    openai_max_retries: int = Field(default=2, ge=0, le=10,
                                    description="Retries on timeouts, 429 and 5xx before the fallback")
    openai_concurrency: int = Field(default=4, ge=1, le=64, description="LLM requests in flight at once")
    openai_budget: float = Field(
        default=20.0, gt=0, le=300,
        description="Seconds the LLM may take for one answer, retries included; after that the"
                    " rules judge it and the feedback says so")
    inbound_concurrency: int = Field(
        default=8, ge=1, le=256,
        description="Inbound requests whose work (store, evaluate, reply) runs at once in a process;"
                    " the rest wait their turn after being acknowledged, so a burst is acked first",
    )
    feedback_wait: float = Field(
        default=3.0, ge=0, le=60,
        description="Seconds a conversation waits for feedback before the next question; slower "
                    "feedback follows on its own",
    )

    work_start: time = Field(
        default=time(9), description="Start of the working day (leads' business time, nudges)"
    )
    work_end: time = Field(
        default=time(17), description="End of the working day (leads' business time, nudges)"
    )
    nudges_per_day: int = Field(
        default=3, ge=1, le=24, description="Most lead follow-up nudges one rep gets in a day"
    )
    lead_escalate_after: SettingDuration = Field(
        default=Duration(1, "d"),
        description="A lead overdue by more than this (owner's business time) is escalated to the"
                    " owner's manager",
    )
    lead_touch_merge_minutes: int = Field(
        default=10, ge=0, le=240,
        description="Touches of one lead within this many minutes of each other count once for its"
                    " follow-up cadence (a call and the email recapping it are one touch)",
    )
    # --- CRM sync (HubSpot) ---
    hubspot_access_token: SecretStr | None = Field(
        default=None, validation_alias=_plain("HUBSPOT_ACCESS_TOKEN"),
        description="HubSpot private app token (scopes: crm.objects.contacts.read/write,"
                    " crm.objects.owners.read); unset: no HubSpot sync",
    )
    hubspot_base_url: str = Field(
        default="https://api.hubapi.com", description="HubSpot's API address (a proxy, or a test"
                                                      " server)",
    )
    hubspot_lifecycle_stages: Annotated[list[str], NoDecode] = Field(
        default=["lead", "marketingqualifiedlead"],
        description="Comma-separated lifecycle stages of the contacts synced as leads (empty: any)",
    )
    hubspot_lead_statuses: Annotated[list[str], NoDecode] = Field(
        default=[], description="Comma-separated hs_lead_status values synced (empty: any)",
    )
    hubspot_segment_property: str = Field(
        default="industry", description="Contact property holding the segment (matched to the"
                                        " strategy's segment ids, names and aliases)",
    )
    hubspot_content_property: str = Field(
        default="recent_conversion_event_name",
        description="Contact property naming the content engaged with (content ids or titles"
                    " from the strategy's library; other values are ignored)",
    )
    hubspot_engagement_properties: Annotated[list[str], NoDecode] = Field(
        default=["recent_conversion_date", "hs_email_last_click_date",
                 "hs_analytics_last_visit_timestamp"],
        description="Comma-separated contact date properties that mark engagement (form"
                    " submission, email click, page visit); the earliest one set is when the lead"
                    " engaged, and a contact with none set is not a lead yet",
    )
    hubspot_disqualified_status: str = Field(
        default="UNQUALIFIED", description="hs_lead_status a rep's Disqualify sets in HubSpot",
    )
    hubspot_rate_reserve: float = Field(
        default=0.1, ge=0, le=0.5,
        description="Share of HubSpot's rate limits left to others: the sync slows down when a"
                    " 10-second window has no more than this share left, and stops for the day"
                    " (resuming next run) when the account's daily calls are down to it",
    )
    hubspot_searches_per_second: float = Field(
        default=4, ge=0, le=5,
        description="CRM searches a second the sync keeps under (HubSpot allows 5 per account and"
                    " sends no rate headers for them; lower it when other integrations search the"
                    " same account; 0: no spacing)",
    )
    # --- CRM sync (Salesforce) ---
    salesforce_username: str | None = Field(
        default=None, validation_alias=_plain("SALESFORCE_USERNAME"),
        description="Salesforce integration user; unset: no Salesforce sync",
    )
    salesforce_password: SecretStr | None = Field(
        default=None, validation_alias=_plain("SALESFORCE_PASSWORD"),
        description="Password login: the user's password (with SALESFORCE_SECURITY_TOKEN)",
    )
    salesforce_security_token: SecretStr | None = Field(
        default=None, validation_alias=_plain("SALESFORCE_SECURITY_TOKEN"),
        description="Password login: the user's security token",
    )
    salesforce_consumer_key: str | None = Field(
        default=None, validation_alias=_plain("SALESFORCE_CONSUMER_KEY"),
        description="JWT bearer login: the connected app's consumer key (instead of a password)",
    )
    salesforce_private_key_file: Path | None = Field(
        default=None, validation_alias=_plain("SALESFORCE_PRIVATE_KEY_FILE"),
        description="JWT bearer login: the private key (PEM) whose certificate the connected app"
                    " holds",
    )
    salesforce_domain: str = Field(
        default="login", validation_alias=_plain("SALESFORCE_DOMAIN"),
        description="login (production), test (sandbox) or a My Domain prefix",
    )
    salesforce_login_url: str = Field(
        default="", description="Send the login requests (password and JWT bearer) meant for"
                                " https://<SALESFORCE_DOMAIN>.salesforce.com to this URL instead"
                                " (a proxy, a test server); empty: that address",
    )
    salesforce_api_version: str = Field(default="59.0", description="Salesforce REST API version")
    salesforce_lead_statuses: Annotated[list[str], NoDecode] = Field(
        default=["Open - Not Contacted", "Working - Contacted"],
        description="Comma-separated Lead Status values synced (empty: any not converted)",
    )
    salesforce_segment_field: str = Field(
        default="Industry", description="Lead field holding the segment (matched to the strategy's"
                                        " segment ids, names and aliases)",
    )
    salesforce_engagement_fields: Annotated[list[str], NoDecode] = Field(
        default=["CreatedDate"],
        description="Comma-separated Lead date/time fields that mark engagement (e.g. a"
                    " marketing automation field such as pi__last_activity__c); the earliest set"
                    " is when the lead engaged",
    )
    salesforce_content_field: str = Field(
        default="", description="Lead field naming the content engaged with (library ids or"
                                " titles); empty: none",
    )
    salesforce_sync_contacts: bool = Field(
        default=False,
        description="Also sync Contacts (after the Leads, with their own cursor): owner by email,"
                    " company from the Account; the engagement and content fields must exist on"
                    " Contact too. Disqualify on a Contact only logs a Task with the reason",
    )
    salesforce_contact_segment_field: str = Field(
        default="Account.Industry", description="Contact field (or Account.<field>) holding the"
                                                " segment when Contacts are synced",
    )
    salesforce_disqualified_status: str = Field(
        default="Closed - Not Converted", description="Lead Status a rep's Disqualify sets",
    )
    salesforce_contact_status_field: str = Field(
        default="", description="Contact field a Disqualify on a Contact sets to the disqualified"
                                " status, for orgs that track one (e.g. a custom Lead_Status__c);"
                                " empty: the Contact is left as it is and only the Task is logged",
    )
    salesforce_reason_field: str = Field(
        default="", description="Lead field that gets a Disqualify's reason (e.g. a custom"
                                " Disqualified_Reason__c); the reason is also logged as a Task",
    )
    crm_page_size: int = Field(
        default=100, ge=1, le=200, description="Records a CRM sync reads per request",
    )
    crm_max_wait: float = Field(
        default=10.0, ge=0, le=120,
        description="Longest Retry-After (seconds) a CRM call waits out before trying again; a"
                    " longer one ends the run, which resumes from its cursor next time",
    )
    organisation: str = Field(
        default="",
        description="The one organisation this deployment serves, comma-separated ids: Slack"
                    " Enterprise Grid org (E...) or workspace (T...) ids, Teams tenant ids. Empty:"
                    " the first install (or first request) fixes it; anything else is refused",
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Shared secret that signs POST /webhooks/leads requests (HMAC-SHA256)"
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token GET /metrics requires (Authorization: Bearer ...); unset: /metrics"
                    " is open, so keep the port private",
    )
    webhook_tolerance: int = Field(
        default=300, ge=30, le=3600,
        description="Seconds a signed webhook request stays valid (replay window)",
    )

    fanout_confirm_above: int = Field(
        default=50, ge=1, le=100_000,
        description="An admin command that would message more people than this at once (e.g."
                    " /align ask now all) first says how many and asks for a confirmation",
    )

    forget_confirm_seconds: int = Field(
        default=300, ge=30, le=3600,
        description="How long the Confirm button (or typed `confirm`) of `/align forget` stays valid",
    )

    strategy_poll_seconds: float = Field(
        default=5, ge=0.5, le=300,
        description="How often each bot process checks which strategy version is current, so a"
                    " change confirmed in one process reaches all of them within this time",
    )
    strategy_confirm_seconds: int = Field(
        default=86400, ge=60, le=7 * 86400,
        description="How long a proposed strategy change's Confirm button stays valid",
    )

    sell_by_warning_days: int = Field(
        default=30, ge=0, le=365,
        description="Admins' digests warn when the strategy's review_by date is this close, or past",
    )
    charts_dir: Path = Field(
        default=Path("alignbot-charts"), description="Console only: where digest charts are written"
    )

    # --- operations (deployment, health, logs, shutdown) ---
    role: Literal["all", "web", "scheduler"] = Field(
        default="all",
        description="What `alignbot run` does: web = platform events and HTTP only, scheduler = the"
                    " periodic tick (and health/metrics) only, all = both (overridden by --role)",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as readable text or as one JSON object per line"
    )
    ready_timeout: float = Field(
        default=2.0, gt=0, le=60,
        description="Seconds /readyz waits for the database (SELECT 1) and the platform check",
    )
    ready_cache_seconds: float = Field(
        default=60.0, ge=0, le=3600,
        description="Seconds a platform connectivity check (Slack auth.test) is reused by /readyz",
    )
    shutdown_grace: float = Field(
        default=8.0, ge=0, le=300,
        description="Seconds in-flight work may finish after SIGTERM before its sends are released"
                    " for another process",
    )
    delivery_lease_seconds: float = Field(
        default=300.0, ge=1, le=86400,
        description="Seconds a claimed send stays with the process that claimed it; after that (the"
                    " process died) another process takes it over, asking the platform first"
                    " whether it arrived",
    )
    fanout_concurrency: int = Field(
        default=8, ge=1, le=64,
        description="Messages one process has in flight at once during a fan-out (check-ins,"
                    " reminders)",
    )
    fanout_batch: int = Field(
        default=500, ge=1, le=1000,
        description="Sends one process claims at a time during a fan-out: smaller shares a fan-out"
                    " more evenly between processes, larger costs less database work per message"
                    " (keep a page sendable within half the delivery lease at the platform's rate"
                    " limit: past that, the rest of the page is given back and claimed again)",
    )

    @field_validator("hubspot_lifecycle_stages", "hubspot_lead_statuses",
                     "hubspot_engagement_properties", "salesforce_lead_statuses",
                     "salesforce_engagement_fields", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        """`a, b,c` in the environment is a list; blank is the empty list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("slack_bot_token", "slack_app_token", "slack_signing_secret",
                     "slack_client_secret", "microsoft_app_password", "openai_api_key",
                     "webhook_secret", "metrics_token", "hubspot_access_token",
                     "salesforce_password", "salesforce_security_token", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`WEBHOOK_SECRET=` (a blank line in .env) means no secret, never an empty one: an
        empty HMAC key would let anyone sign requests."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return None if isinstance(raw, str) and not raw.strip() else value

    def secret_values(self) -> list[str]:
        """Every secret set, for the log formatter to mask: the secret settings and the password
        in the database URL."""
        values = [v.get_secret_value() for v in self.__dict__.values() if isinstance(v, SecretStr)]
        password = make_url(self.database_url).password if "://" in self.database_url else None
        return [v for v in [*values, str(password) if password else ""] if v]

    def chosen_platform(self) -> Literal["console", "slack", "teams"]:
        """The adapter to run: explicit choice, else whichever platform has credentials."""
        if self.platform != "auto":
            return self.platform
        if self.slack_bot_token or self.slack_app_token or self.slack_client_id:
            return "slack"
        if self.microsoft_app_id:
            return "teams"
        return "console"
