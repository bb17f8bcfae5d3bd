"""`alignbot teams package` writes a Teams app zip whose manifest validates against the Teams 1.16
schema, with a 192x192 colour icon and a transparent 32x32 outline icon; `alignbot run` picks
Teams from the settings and says what is missing."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.support.specs import spec

APP_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
PLATFORM_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "MICROSOFT_APP_ID",
                 "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TYPE", "MICROSOFT_APP_TENANT_ID",
                 "ALIGNBOT_PLATFORM", "ALIGNBOT_TEAMS_WEBSITE_URL", "ALIGNBOT_TEAMS_PRIVACY_URL")


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env here; the default zip lands here
    for name in PLATFORM_VARS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGBA pixels) of an 8-bit RGBA PNG, checking its chunks' CRCs."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 6)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + 4 * width
    return width, height, [raw[y * stride + 1:(y + 1) * stride] for y in range(height)]


def test_package_is_valid_for_teams(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    result = CliRunner().invoke(app, ["teams", "package"])
    assert result.exit_code == 0, result.output
    assert "alignbot-teams.zip" in result.output
    with zipfile.ZipFile(clean_env / "alignbot-teams.zip") as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color, outline = archive.read("color.png"), archive.read("outline.png")
    schema = json.loads(spec("MicrosoftTeams.v1.16.schema.json").read_text())
    assert list(jsonschema.Draft4Validator(schema).iter_errors(manifest)) == []
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    commands = {c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"]}
    assert {"help", "team list", "team add", "ask now", "schedule add"} <= commands
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}

    width, height, rows = read_png(color)
    assert (width, height) == (192, 192)
    assert all(row[3::4] == b"\xff" * width for row in rows)  # full colour: opaque
    width, height, rows = read_png(outline)
    alphas = b"".join(row[3::4] for row in rows)
    assert (width, height) == (32, 32) and alphas[0] == 0  # transparent background
    drawn = [row[i:i + 4] for row in rows for i in range(0, len(row), 4) if row[i + 3]]
    assert drawn and all(pixel == b"\xff\xff\xff\xff" for pixel in drawn)  # white outline only


def test_package_to_a_chosen_path_with_custom_urls(monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("ALIGNBOT_TEAMS_PRIVACY_URL", "https://acme.example/privacy")
    out = clean_env / "build" / "teams.zip"
    assert CliRunner().invoke(app, ["teams", "package", "--out", str(out)]).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        developer = json.loads(archive.read("manifest.json"))["developer"]
    assert developer["privacyUrl"] == "https://acme.example/privacy"


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "MICROSOFT_APP_ID is not set"),
    ({"MICROSOFT_APP_ID": "my-bot"}, "must be the bot's Microsoft App ID, a GUID"),
    ({"MICROSOFT_APP_ID": APP_ID, "ALIGNBOT_TEAMS_WEBSITE_URL": "http://insecure.example"}, "https://"),
])
def test_package_explains_bad_settings(monkeypatch: pytest.MonkeyPatch, clean_env: Path,
                                       env: dict[str, str], expected: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["teams", "package"])
    assert result.exit_code == 2 and expected in result.output
    assert not (clean_env / "alignbot-teams.zip").exists()


def test_run_picks_teams_and_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2 and "MICROSOFT_APP_PASSWORD is not set" in result.output
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "secret")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "SingleTenant")
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2 and "MICROSOFT_APP_TENANT_ID is not set" in result.output
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")  # Slack settings still win, as before
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 2 and "SLACK_SIGNING_SECRET" in result.output
