"""Structured logs: JSON lines carrying the request and check-in ids; text lines with them in
brackets; and a whole check-in answered with INFO logs on - including an LLM failure and its
fallback - never shows the answer text or a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BotContext
from bot.core import BotCore
from bot.ops import logs
from bot.prompts import Prompts
from bot.storage.database import Database
from bot.strategy.loader import load_strategy
from tests.conftest import EXAMPLE_STRATEGY, START
from tests.support.databases import fresh_postgres
from tests.support.ports import RecordingPort
from tests.support.talk import say, setup_team

ANSWERS = ("Zebra-7 plan: we win mid-market fintech on audit readiness, in half the time.",
           "Quokka-3 scope: mid-market fintech and regional banks; not government.",
           "Narwhal-9 work: mapped the buying committee at Ledgerly and sent the SOC 2 report.")
SECRETS = {"openai_api_key": "sk-live-Secret0penAIKey", "webhook_secret": "whsec-Secret-Webhook",
           "slack_bot_token": "xoxb-Secret-Bot-Token", "slack_signing_secret": "Secret-Signing-Value"}


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, through the bot's own handler set-up (JSON)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    logs.configure("INFO", "json")
    ours = [h for h in root.handlers if h not in handlers]
    assert len(ours) == 1 and isinstance(ours[0], logging.StreamHandler)
    ours[0].setStream(stream)
    yield stream
    for handler in ours:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
async def llm_core(tmp_path: Path) -> Iterator[BotCore]:  # type: ignore[misc]
    """A core with every secret set and the LLM evaluator pointed at a closed port (it fails and
    falls back to the rules, logging why)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bot.db'}", strategy_file=EXAMPLE_STRATEGY,
                        evaluator="llm", openai_base_url="http://127.0.0.1:1/v1", openai_max_retries=0,
                        openai_timeout=2, _env_file=None, **SECRETS)  # type: ignore[arg-type]
    ctx = BotContext(settings=settings, db=Database(settings.database_url), clock=ManualClock(START),
                     prompts=Prompts(settings.prompts_dir), strategy=load_strategy(settings.strategy_file))
    core = BotCore(ctx)
    core.attach(RecordingPort())
    await core.start()
    yield core
    await ctx.drain()
    await ctx.db.dispose()


async def test_an_answered_checkin_logs_ids_but_never_answer_text_or_secrets(
        llm_core: BotCore, captured: io.StringIO) -> None:
    with logs.bound(request="req-42"):
        await setup_team(llm_core)
        assert "Asked 1: Dana" in await say(llm_core, "ada", "/align ask now dana")
        for answer in ANSWERS:
            await say(llm_core, "dana", answer)
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]

    assert llm_core.ctx.metrics.value("alignbot_evaluation_fallbacks_total", evaluator="llm") == 3
    fallbacks = [line for line in lines if "fell back" in line["message"]]
    assert len(fallbacks) == 3 and {line["level"] for line in fallbacks} == {"WARNING"}
    assert {line["request_id"] for line in fallbacks} == {"req-42"}
    assert len({line["checkin_id"] for line in fallbacks}) == 1  # the check-in being answered
    evaluated = [line for line in lines if "evaluated by" in line["message"]]
    assert len(evaluated) == 3 and all("checkin_id" in line for line in evaluated)

    text = captured.getvalue()
    for answer in ANSWERS:
        for word in [*answer.split()[:1], answer[20:50]]:
            assert word not in text  # e.g. "Zebra-7 plan:" never appears
    for secret in SECRETS.values():
        assert secret not in text


def test_text_lines_show_the_ids_in_brackets() -> None:
    record = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "asked %s", ("Dana",), None)
    with logs.bound(request="abc", checkin=7):
        logs.ContextIds().filter(record)
    assert logs.formatter("text").format(record).endswith("bot.x: asked Dana [request=abc checkin=7]")
    plain = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "idle", (), None)
    logs.ContextIds().filter(plain)  # outside any request: nothing appended
    assert logs.formatter("text").format(plain).endswith("bot.x: idle")
    as_json = json.loads(logs.formatter("json").format(plain))
    assert as_json["message"] == "idle" and as_json["level"] == "INFO" and "request_id" not in as_json


def test_log_format_and_level_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIGNBOT_LOG_FORMAT", "json")
    monkeypatch.setenv("ALIGNBOT_LOG_LEVEL", "WARNING")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.log_format, settings.log_level) == ("json", "WARNING")
    monkeypatch.setenv("ALIGNBOT_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log_format"):
        Settings(_env_file=None)  # type: ignore[call-arg]


SHAPED = {  # credentials the bot learns at run time, so cannot list in advance
    "an OAuth install's bot token": "{'ok': True, 'access_token': 'xoxb-9-8-Issued', 'team': 'T1'}",
    "a user token": "user token xoxp-1-2-User-Token-Value",
    "an app-level token": "connecting with xapp-1-A0-Socket-Token",
    "a JWT": "token eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl checked",
    "a bearer header": "headers {'Authorization': 'Bearer abcdefgh12345678'}",
    "a basic header": "Authorization: Basic MTExLjIyMjpjbGllbnQtc2VjcmV0",
    "a URL password": "connecting to postgresql://alignbot:Pa55-word@db:5432/alignbot",
    "a form field": "body: grant_type=client_credentials&client_secret=AAD-Secret-Value&scope=x",
}


def test_secrets_and_credential_shapes_are_masked_in_text_and_json(captured: io.StringIO) -> None:
    """`captured` configures no secrets: the shapes alone must be caught."""
    log = logging.getLogger("tests.redaction")
    for what, message in SHAPED.items():
        log.warning("%s: %s", what, message)
    text = captured.getvalue()
    for secret in ("xoxb-9-8-Issued", "xoxp-1-2-User-Token-Value", "xapp-1-A0-Socket-Token",
                   "eyJhbGciOiJSUzI1NiJ9", "abcdefgh12345678", "MTExLjIyMjpjbGllbnQtc2VjcmV0",
                   "Pa55-word", "AAD-Secret-Value"):
        assert secret not in text
    assert "postgresql://alignbot:***@db:5432/alignbot" in text  # what is not secret stays readable
    assert "'team': 'T1'" in text and "grant_type=client_credentials" in text


def test_configured_secrets_are_masked_in_messages_and_tracebacks() -> None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        for fmt in ("text", "json"):
            stream = io.StringIO()
            logs.configure("DEBUG", fmt, secrets=["plain-webhook-secret", "", "x"])
            [ours] = [h for h in root.handlers if h not in handlers]
            assert isinstance(ours, logging.StreamHandler)
            ours.setStream(stream)
            try:
                raise ValueError("signature made with plain-webhook-secret did not match")
            except ValueError:
                logging.getLogger("tests.redaction").exception("webhook %s", "plain-webhook-secret")
            out = stream.getvalue()
            assert "plain-webhook-secret" not in out, fmt
            assert "signature made with *** did not match" in out and "Traceback" in out, fmt
            root.removeHandler(ours)
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)


def test_debug_lets_the_libraries_speak(captured: io.StringIO) -> None:
    """ALIGNBOT_LOG_LEVEL=DEBUG must show openai's and httpx's debug lines (held at WARNING
    otherwise): they are what one turns DEBUG on for."""
    root = logging.getLogger()
    before = [h for h in root.handlers]
    logs.configure("DEBUG", "json")
    try:
        assert logging.getLogger("openai").getEffectiveLevel() == logging.DEBUG
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
    logs.configure("INFO", "json")
    try:
        assert logging.getLogger("openai").getEffectiveLevel() == logging.WARNING
        assert logging.getLogger("httpx2").getEffectiveLevel() == logging.WARNING
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)


def test_settings_list_every_secret_including_the_database_password() -> None:
    settings = Settings(database_url="postgresql://bot:Db-Secret@db/alignbot", _env_file=None,
                        **SECRETS)  # type: ignore[arg-type]
    assert sorted(settings.secret_values()) == sorted([*SECRETS.values(), "Db-Secret"])
    assert Settings(_env_file=None).secret_values() == []  # type: ignore[call-arg]


def test_migrate_names_the_database_without_its_password() -> None:
    with fresh_postgres() as url:
        with_password = make_url(url).set(password="Db-Secret-42").render_as_string(hide_password=False)
        result = CliRunner().invoke(app, ["migrate"], env={"ALIGNBOT_DATABASE_URL": with_password})
    assert result.exit_code == 0, result.output
    assert "is up to date" in result.output and "Db-Secret-42" not in result.output
