"""The generated reference pages are current: a new setting or command without regenerated docs
fails here, with the command that fixes it."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from bot.commands import build_registry
from bot.config import REPO_ROOT
from bot.ops import docs
from bot.ops.docs import known_env_names


def test_generated_pages_are_current() -> None:
    outdated = [str(path.relative_to(docs.REPO_ROOT)) for path in docs.stale()]
    assert not outdated, (f"{', '.join(outdated)} out of date: run `{docs.REGENERATE}`"
                          " (or `alignbot docs`) and commit the result")


def test_configuration_page_lists_every_setting_with_its_default() -> None:
    page = docs.configuration_page()
    for setting in docs.settings_info():
        assert f"| `{setting.env[0]}`" in page
    assert "| `ALIGNBOT_TICK_SECONDS` | `30` | How often the scheduler looks for due work |" in page
    assert "| `SLACK_BOT_TOKEN` | `(unset)` | e.g. xoxb-... (secret: never logged) |" in page


def test_commands_page_has_every_command_with_usage_example_and_who() -> None:
    page = docs.commands_page()
    specs = build_registry().specs
    assert page.count("\n## `/align ") == len(specs)
    for spec in specs:
        section = page.split(f"## `/align {spec.name}`\n", 1)[1].split("\n## ", 1)[0]
        assert f"Usage: `/align {spec.usage}`" in section and f"Example: `/align {spec.example}`" in section
        assert ("Who: admins" in section) == spec.admin_only


def test_check_fails_on_a_stale_page_and_regenerating_fixes_it(tmp_path: Path) -> None:
    page = tmp_path / "commands.md"
    pages = {page: docs.commands_page}
    assert docs.stale(pages) == [page]  # missing counts as stale
    assert docs.write(pages) == [page] and docs.stale(pages) == []
    page.write_text(page.read_text().replace("/align help", "/align halp", 1))
    assert docs.stale(pages) == [page]


def test_alignbot_docs_check_exits_zero_when_current() -> None:
    result = CliRunner().invoke(app, ["docs", "--check"])
    assert result.exit_code == 0, result.output


def test_strategy_page_has_every_key_and_the_whole_example() -> None:
    from bot.strategy import schema

    page = docs.strategy_page()
    for model in (schema.Strategy, schema.StrategyCore, schema.Segment, schema.SalesTask,
                  schema.CadencePolicy, schema.ContentItem, schema.BuyingProcess):
        for key in model.model_fields:
            assert f"| `{key}` |" in page
    assert docs.EXAMPLE_STRATEGY.read_text().rstrip() in page
    assert "| `id` | id | yes |" in page and "| `review_by` | date (YYYY-MM-DD) | yes |" in page


def test_links_between_the_docs_pages_resolve() -> None:
    import re

    broken = []
    for page in [*sorted(docs.DOCS_DIR.glob("*.md")), docs.REPO_ROOT / "README.md"]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            if not (page.parent / target).exists():
                broken.append(f"{page.name} -> {target}")
    assert broken == []


_ENV_NAME = re.compile(r"\b((?:ALIGNBOT|SLACK|MICROSOFT|OPENAI)_[A-Z0-9_]+)\b")
_COMMAND = re.compile(r"/align ([a-z]+)(?: ([a-z]+))?")
NOT_SETTINGS = {"ALIGNBOT_TEST_POSTGRES_URL", "ALIGNBOT_REQUIRE_POSTGRES",  # the test suite's
                "ALIGNBOT_TEST_FANOUT_RUNS"}


def _hand_written() -> list[Path]:
    generated = {"configuration.md", "commands.md", "strategy.md"}
    return [REPO_ROOT / "README.md"] + [p for p in sorted((REPO_ROOT / "docs").glob("*.md"))
                                         if p.name not in generated]


def test_hand_written_docs_name_only_settings_and_commands_that_exist() -> None:
    """README and the hand-written docs/ pages cannot be generated, but what they name can be
    checked: every setting variable is one the settings model reads, every `/align` command
    one the grammar has."""
    settings = known_env_names() | NOT_SETTINGS
    names = {spec.name for spec in build_registry().specs}
    words = {name.split()[0] for name in names}
    for page in _hand_written():
        text = page.read_text()
        unknown = set(_ENV_NAME.findall(text)) - settings
        assert not unknown, f"{page.name} names settings that do not exist: {sorted(unknown)}"
        for first, second in _COMMAND.findall(text):
            assert f"{first} {second}" in names or first in names or (
                first in words and not second), f"{page.name}: no command `/align {first} {second}`"


_ALIGNBOT_LINE = re.compile(
    r"(?:^|[`$;(]\s*|\| `)(?:[A-Z_]+=\S+ )*alignbot ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)", re.M)


def test_every_alignbot_command_the_readme_uses_exists() -> None:
    """The README's `alignbot ...` examples work as typed: each (sub)command it names is one the
    CLI has (its --help answers 0), and the README says how to put `alignbot` on the PATH."""
    readme = (REPO_ROOT / "README.md").read_text()
    head = readme[:readme.index("## What it does")]
    assert ". .venv/bin/activate" in head and "make console" in head
    used = set(_ALIGNBOT_LINE.findall(readme))
    assert {"console", "eval", "leads import", "strategy check", "evaluate"} <= {
        u if u.split()[0] in {"leads", "strategy", "teams"} else u.split()[0] for u in used}
    runner = CliRunner()
    for command in sorted(used):
        words = command.split()
        if words[0] not in {"leads", "strategy", "teams"}:
            words = words[:1]
        result = runner.invoke(app, [*words, "--help"])
        assert result.exit_code == 0, f"README uses `alignbot {' '.join(words)}`: {result.output}"
