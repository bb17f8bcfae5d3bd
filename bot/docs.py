"""Reference pages generated from the code, so they cannot drift: the settings (from the
settings model) and the `/align` commands (from the command registry).

    python -m bot.docs            # rewrite docs/configuration.md and docs/commands.md
    python -m bot.docs --check    # exit 1 and name the stale files (what the test suite runs)

`alignbot docs [--check]` does the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from bot.config import REPO_ROOT, Settings


@dataclass(frozen=True)
class SettingInfo:
    """One setting as a deployer sees it: its environment variable(s), default and meaning."""

    name: str
    env: tuple[str, ...]  # the main name first, then accepted aliases
    default: Any
    description: str
    secret: bool


def env_names(name: str, info: FieldInfo) -> tuple[str, ...]:
    """The environment variables pydantic-settings reads for a field (prefix or its aliases)."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    if isinstance(alias, str):
        return (alias,)
    prefix = str(Settings.model_config.get("env_prefix", ""))
    return (f"{prefix}{name}".upper(),)


def settings_info() -> list[SettingInfo]:
    """Every setting of the model, in declaration order."""
    return [SettingInfo(name, env_names(name, info), info.get_default(call_default_factory=True),
                        info.description or "", "SecretStr" in repr(info.annotation))
            for name, info in Settings.model_fields.items()]


def known_env_names() -> set[str]:
    """Every environment variable name the settings model accepts (case as documented)."""
    return {env for setting in settings_info() for env in setting.env}


DOCS_DIR = REPO_ROOT / "docs"
