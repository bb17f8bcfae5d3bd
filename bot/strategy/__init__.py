"""The admin-defined strategy: schema, loading with precise errors, and stored versions."""

from bot.strategy.loader import StrategyFileError, StrategyIssue, load_strategy, parse_strategy
from bot.strategy.schema import (
    BuyingProcess,
    CadencePolicy,
    ContentItem,
    SalesTask,
    Segment,
    Strategy,
    StrategyCore,
)

__all__ = [
    "BuyingProcess",
    "CadencePolicy",
    "ContentItem",
    "SalesTask",
    "Segment",
    "Strategy",
    "StrategyCore",
    "StrategyFileError",
    "StrategyIssue",
    "load_strategy",
    "parse_strategy",
]
