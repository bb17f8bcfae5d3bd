"""`alignbot run` picks the Slack adapter from the settings and explains what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app


def test_run_with_a_bot_token_but_no_secret_says_what_to_set(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID", "ALIGNBOT_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2
    assert "SLACK_SIGNING_SECRET" in result.output and "not in this build" not in result.output


@pytest.mark.parametrize(("env", "says"), [
    ({"SLACK_CLIENT_ID": "111.222"}, "SLACK_CLIENT_SECRET"),
    ({"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "s", "SLACK_BOT_TOKEN": "xoxb-test",
      "SLACK_SIGNING_SECRET": "x"}, "not both"),
    ({"SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "s"}, "SLACK_SIGNING_SECRET"),
])
def test_oauth_settings_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                    says: str) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID",
                 "SLACK_CLIENT_SECRET", "MICROSOFT_APP_ID", "ALIGNBOT_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2 and says in result.output
