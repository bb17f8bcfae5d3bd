"""What a command handler gets: who is asking, the core services, and permission checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.checkins.service import CheckIns
from bot.commands.errors import PermissionDenied, UsageError
from bot.context import BotContext
from bot.delivery import Outbox
from bot.evaluation.base import Evaluator
from bot.evaluation.review import AnswerReviewer
from bot.events import MemberRef
from bot.people.members import MemberDirectory, is_admin
from bot.storage.models import Member


@dataclass
class CommandContext:
    ctx: BotContext
    caller_ref: MemberRef
    caller: Member | None
    checkins: CheckIns
    outbox: Outbox | None = None  # for commands that message someone other than the caller
    schedule_kinds: tuple[str, ...] = field(default=("checkin",))  # what the engine can run
    # The platform says the caller administers the workspace (e.g. a Slack owner), which makes
    # them an admin here even before they are on the team.
    platform_admin: bool = False
    evaluator: Evaluator | None = None  # to drop cached verdicts on answers a command deletes
    reviewer: AnswerReviewer | None = None  # to judge stored answers again (undo, rejudge)
    fanout_confirmed: bool = False  # the admin confirmed messaging many people (bot.commands.fanout)

    @property
    def is_admin(self) -> bool:
        if self.caller is None:
            return self.platform_admin
        return is_admin(self.caller)

    def require_member(self) -> Member:
        if self.caller is None:
            raise PermissionDenied(self.ctx.prompts.say("unknown_member"))
        return self.caller

    async def resolve(self, directory: MemberDirectory, reference: str) -> Member:
        """The one known member an admin means; a clear error when none or several match."""
        matches = await directory.find(reference)
        if not matches:
            raise UsageError(f"I don't know '{reference}'. Add them first: "
                             f"`/align team add {reference} rep`")
        same_platform = [m for m in matches if m.platform == self.caller_ref.platform]
        matches = same_platform or matches
        if len(matches) > 1:
            names = ", ".join(f"{m.name} ({m.email or m.platform_user_id})" for m in matches)
            raise UsageError(f"'{reference}' matches several people: {names}. Use an email.")
        return matches[0]
