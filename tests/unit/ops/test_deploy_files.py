"""The deployment files agree with the settings model: compose.yaml sets only real settings,
.env.example documents every setting and nothing else, and the Dockerfile follows the container
conventions a deployer expects (multi-stage, non-root, health check, `alignbot` entrypoint)."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from bot.config import REPO_ROOT
from bot.docs import known_env_names, settings_info

_ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    return loaded


def _documented() -> list[str]:
    return _ENV_LINE.findall((REPO_ROOT / ".env.example").read_text())


def test_compose_sets_only_real_settings_and_points_the_bot_at_the_db_service() -> None:
    services = _compose()["services"]
    bot = services["bot"]
    environment = bot["environment"]
    assert isinstance(environment, dict) and environment
    unknown = set(environment) - known_env_names()
    assert not unknown, f"compose.yaml sets variables the settings model does not know: {unknown}"
    assert environment["ALIGNBOT_DATABASE_URL"].startswith("postgresql://")
    assert "@db:5432/" in environment["ALIGNBOT_DATABASE_URL"]
    assert [entry["path"] for entry in bot["env_file"]] == [".env"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["command"][0] == "run" and "--role" in bot["command"]


def test_compose_runs_postgres_16_with_a_volume_and_a_healthcheck() -> None:
    compose = _compose()
    db = compose["services"]["db"]
    assert db["image"] == "postgres:16"
    volume = db["volumes"][0].split(":")
    assert volume[0] in compose["volumes"] and volume[1] == "/var/lib/postgresql/data"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    # the bot's URL uses the credentials the db service is created with
    url = compose["services"]["bot"]["environment"]["ALIGNBOT_DATABASE_URL"]
    assert url.startswith(f"postgresql://{db['environment']['POSTGRES_USER']}:")
    assert url.endswith(f"/{db['environment']['POSTGRES_DB']}")


def test_env_example_documents_every_setting_and_nothing_unknown() -> None:
    documented = set(_documented())
    missing = [s.env[0] for s in settings_info() if not documented & set(s.env)]
    assert not missing, f".env.example does not document: {missing}"
    unknown = documented - known_env_names()
    assert not unknown, f".env.example documents variables no setting reads: {unknown}"


def test_settings_env_names_include_prefixed_names_and_plain_aliases() -> None:
    names = known_env_names()
    assert {"ALIGNBOT_DATABASE_URL", "ALIGNBOT_ROLE", "SLACK_BOT_TOKEN", "OPENAI_API_KEY"} <= names
    assert "ALIGNBOT_SLACK_BOT_TOKEN" not in names  # an alias replaces the prefixed name


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
            for line in lines if line and not line.startswith("#")]


def test_dockerfile_is_multi_stage_slim_non_root_with_healthcheck_and_alignbot_entrypoint() -> None:
    steps = _instructions((REPO_ROOT / "Dockerfile").read_text())
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) >= 2 and all(s.startswith("python:3.11-slim") for s in stages)
    runtime = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM"):]
    assert any(op == "COPY" and args.startswith("--from=builder") for op, args in runtime)
    users = [args for op, args in runtime if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [i for i, (op, _) in enumerate(runtime) if op == "USER"][-1] < len(runtime) - 1
    health = [args for op, args in runtime if op == "HEALTHCHECK"]
    assert len(health) == 1 and "/healthz" in health[0]
    entrypoint = [json.loads(args) for op, args in runtime if op == "ENTRYPOINT"]
    command = [json.loads(args) for op, args in runtime if op == "CMD"]
    assert entrypoint == [["alignbot"]] and command[-1][0] == "run"
    assert not any(op == "RUN" and "pip install" in args for op, args in runtime)  # built, not rebuilt
