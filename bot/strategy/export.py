"""A strategy version as YAML: what `alignbot strategy export` writes, and the text the strategy
doctor points into for a version that never was a file (edited in chat, drafted, rolled back).
Reading it back gives the same version."""

from __future__ import annotations

import yaml

from bot.strategy.schema import Strategy


def strategy_yaml(strategy: Strategy) -> str:
    """The strategy in the file format, defaults left out so it reads like a hand-written file."""
    data = strategy.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
