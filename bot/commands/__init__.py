"""The `/align` command grammar and its handlers (same on every platform)."""

from bot.commands import (
    availability,
    checkin,
    digest,
    forget,
    leads,
    learning,
    schedule,
    status,
    strategy,
    team,
)
from bot.commands.help import make_spec as _help_spec
from bot.commands.registry import CommandRegistry


def build_registry() -> CommandRegistry:
    """Every command the bot understands, in the order `help` lists them."""
    registry = CommandRegistry()
    registry.add(_help_spec(registry))
    for spec in (*strategy.SPECS, *learning.SPECS, *team.SPECS, *checkin.SPECS, *schedule.SPECS,
                 *availability.SPECS, *leads.SPECS, *digest.SPECS, *forget.SPECS, *status.SPECS):
        registry.add(spec)
    return registry
