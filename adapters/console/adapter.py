"""A REPL where you speak as any member: `/as <name>`, answers, `/align ...` commands,
`/advance <duration>` to move the bot's clock, `/quit`.

It drives the same BotCore and database as Slack and Teams; only rendering and input differ.
When stdin is not a terminal it reads lines as a script and echoes them, so a transcript can be
replayed and tested: `alignbot console < session.txt`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from adapters.console.render import (
    DETAILS_ACTION,
    PickError,
    parse_picks,
    render,
    render_choices,
    render_details,
)
from bot.core import BotCore
from bot.events import (
    ActionInvoked,
    Buttons,
    ChoiceForm,
    Details,
    FormRefused,
    Image,
    MemberProfile,
    MemberRef,
    Message,
    MessageRef,
    QuestionForm,
    UserMessage,
)
from bot.leads.csv_import import LeadFileError, import_csv
from bot.people.members import MemberDirectory, valid_timezone
from bot.storage.database import DatabaseUnavailable
from bot.strategy.durations import Duration, DurationError

log = logging.getLogger(__name__)
PLATFORM = "console"
HELP = """Console commands:
  /as <name>            speak as this member (e.g. /as Dana)
  /align <command>      a bot command (try /align help)
  /advance <duration>   move the bot's clock forward and run what falls due (e.g. 4h, 3d)
  /click <action> [v]   press a button shown as [label: /click ...]
  /click <form>         show a form such as "Not right?" with numbered choices, [x] = chosen
  /click <form> tasks=1,3 segments=-
                        save it: numbers or ids per field, - (or nothing) for none
  /import-leads <csv>   import leads (as `alignbot leads import` does)
  /time                 show the bot's clock
  /quit                 leave
Anything else is a message to the bot from the current member."""


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def user_id_for(name: str) -> str:
    return " ".join(name.split()).lower()


class ConsoleAdapter:
    """ChatPort that prints, plus the read-eval loop that feeds the core."""

    platform = PLATFORM
    supports_forms = False

    def __init__(self, core: BotCore, out: TextIO | None = None, echo: bool = False,
                 logs_at: str | None = None) -> None:
        self.core = core
        self.out = out or sys.stdout
        self.echo = echo
        self.logs_at = logs_at  # where log lines go, named once at the start
        self.speaker: str | None = None
        self._names: dict[str, str] = {}
        self._ids = count(1)
        self._sent: dict[tuple[str, str], MessageRef] = {}
        self._buttons: dict[tuple[str, str, str], MessageRef] = {}  # (user, action, value) -> msg
        self._details: dict[tuple[str, str], Details] = {}  # (user, n) -> what /click details n shows
        self._last_details: dict[str, str] = {}  # user -> n of the latest, for a bare /click details
        self._forms: dict[tuple[str, str], ChoiceForm] = {}  # (user, form id) -> the last one shown
        self._filling: dict[str, _Filling] = {}  # user -> the form being asked field by field

    # --- ChatPort -----------------------------------------------------------------------

    async def send(self, to: MemberRef, message: Message, *,
                   thread: MessageRef | None = None) -> MessageRef:
        self._print(to.user_id, self._show(to.user_id, message), when=await self._their_time(to))
        ref = MessageRef(PLATFORM, to.user_id, str(next(self._ids)))
        if message.key:
            self._sent[(to.user_id, message.key)] = ref
        self._remember_buttons(to.user_id, message, ref)
        return ref

    def _remember_buttons(self, user_id: str, message: Message, ref: MessageRef) -> None:
        """So `/click` can say which message a button was on (the bot may update it in place)."""
        for block in message.blocks:
            if isinstance(block, Buttons):
                for button in block.buttons:
                    self._buttons[(user_id, button.action_id, button.value)] = ref

    async def find_sent(self, to: MemberRef, key: str) -> MessageRef | None:
        return self._sent.get((to.user_id, key))

    async def update(self, ref: MessageRef, message: Message) -> None:
        self._print(ref.channel, "(updated) " + render(message))

    async def lookup(self, reference: str) -> MemberProfile | None:
        """A console person is their name; an email (`/align team add dana@example.com rep`)
        names "Dana" and carries that email, as a Slack or Teams profile would - so CRM owners
        and webhook leads that name people by email can be tried here."""
        name = " ".join(reference.strip().lstrip("@").split())
        if not name:
            return None
        email = None
        if _EMAIL.fullmatch(name):
            email, name = name, " ".join(re.split(r"[._-]+", name.split("@")[0])).title()
        self._names[user_id_for(name)] = name
        return MemberProfile(ref=MemberRef(PLATFORM, user_id_for(name)), name=name, email=email)

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self.core.attach(self)

    async def stop(self) -> None:
        await self.core.ctx.drain()

    # --- the loop -----------------------------------------------------------------------

    async def run(self, lines: AsyncIterator[str]) -> None:
        await self.start()
        logs = f" Logs are {self.logs_at}." if self.logs_at else ""
        self.out.write(f"sales-align-bot console. Type /as <your name> to begin, /help for help.{logs}\n")
        async for raw in lines:
            line = raw.rstrip("\n")
            if self.echo and line.strip() and not line.lstrip().startswith("#"):
                self.out.write(f"{self.speaker or '?'}> {line}\n")
            if not await self.handle_line(line):
                break
        await self.stop()

    async def handle_line(self, line: str) -> bool:
        """Process one typed line; False when the user asked to quit."""
        text = line.strip()
        if not text or text.startswith("#"):
            return True
        try:
            return await self._line(text)
        except DatabaseUnavailable as exc:  # e.g. /advance or /import-leads; answers are refused in the core
            log.warning("console line not processed: %s", exc)
            self.out.write(self.core.ctx.prompts.say("unavailable_command") + "\n")
            return True

    async def _line(self, text: str) -> bool:
        word, _, rest = text.partition(" ")
        if self.speaker in self._filling and word.lower() not in ("/quit", "/exit"):
            await self._fill(self.speaker, text)
            await self.core.ctx.drain()
            return True
        match word.lower():
            case "/quit" | "/exit":
                return False
            case "/help":
                self.out.write(HELP + "\n")
            case "/as":
                self._become(rest)
            case "/advance":
                await self._advance(rest)
            case "/time":
                self.out.write(f"Bot clock: {self.core.ctx.clock.now():%a %Y-%m-%d %H:%M} UTC\n")
            case "/click":
                await self._click(rest)
            case "/import-leads":
                await self._import_leads(rest)
            case _:
                await self._say(text)
        await self.core.ctx.drain()
        return True

    def _become(self, name: str) -> None:
        name = " ".join(name.split())
        if not name:
            self.out.write("Usage: /as <name>, e.g. /as Dana\n")
            return
        self.speaker = user_id_for(name)
        self._names[self.speaker] = name
        self.out.write(f"You are now {name}.\n")

    async def _say(self, text: str) -> None:
        if self.speaker is None:
            self.out.write("Say who you are first: /as <your name>\n")
            return
        replies = await self.core.handle(UserMessage(MemberRef(PLATFORM, self.speaker), text))
        self._replies(self.speaker, replies)

    def _replies(self, user_id: str, replies: list[Message]) -> None:
        """Print the replies; a form the core wants asked (`prompted`) is asked field by field."""
        for reply in replies:
            self._print(user_id, self._show(user_id, reply))
            form = next((b for b in reply.blocks if isinstance(b, QuestionForm) and b.prompted), None)
            if form is not None and form.fields:
                self._filling[user_id] = _Filling(form)
                self._ask(user_id)

    def _ask(self, user_id: str) -> None:
        filling = self._filling[user_id]
        asked = filling.form.fields[len(filling.values)]
        now = asked.initial.replace("\n", " | ") if asked.initial else "-"
        self._print(user_id, f"{asked.label}\nnow: {now}\n(type the new value - lists separated"
                             " by | or commas as the label says; . keeps it; /cancel stops)")

    async def _fill(self, user_id: str, text: str) -> None:
        """One answer to the form being asked; after the last field it is submitted."""
        filling = self._filling[user_id]
        if text.lower() == "/cancel":
            del self._filling[user_id]
            self._print(user_id, "Stopped; nothing was proposed.")
            return
        asked = filling.form.fields[len(filling.values)]
        filling.values[asked.field_id] = asked.initial if text == "." else text
        if len(filling.values) < len(filling.form.fields):
            self._ask(user_id)
            return
        del self._filling[user_id]
        event = ActionInvoked(MemberRef(PLATFORM, user_id), filling.form.form_id,
                              values=dict(filling.values))
        self._replies(user_id, await self.core.handle(event))

    async def _click(self, rest: str) -> None:
        if self.speaker is None:
            self.out.write("Say who you are first: /as <your name>\n")
            return
        action, _, value = rest.strip().partition(" ")
        if not action:
            self.out.write("Usage: /click <action> [value]\n")
            return
        if action == DETAILS_ACTION:  # unfolded here, like Teams' ShowCard: no round trip
            number = value.strip() or self._last_details.get(self.speaker, "")  # the latest
            kept = self._details.get((self.speaker, number))
            self.out.write((render_details(kept) if kept else "Those details are no longer"
                            " available; ask for the message again.") + "\n")
            return
        form = await self._choice_form(self.speaker, action)
        if isinstance(form, FormRefused):  # not theirs, gone, closed: the core says which
            self.out.write(f"{form.text}\n")
            return
        if form is not None:
            await self._choose(self.speaker, form, value)
            return
        on = self._buttons.get((self.speaker, action, value.strip()))
        await self._act(ActionInvoked(MemberRef(PLATFORM, self.speaker), action, value.strip(), message=on))

    async def _act(self, event: ActionInvoked) -> None:
        self._replies(event.member.user_id, await self.core.handle(event))

    async def _choice_form(self, user_id: str, action: str) -> ChoiceForm | FormRefused | None:
        """The ChoiceForm `action` names: the one last shown to this person (its numbers are the
        ones they saw), else the core's as it stands now (e.g. after a restart); why not when
        the core refuses it now (not theirs, gone, an answer edited since, ...). None for a plain
        button or a check-in's form (the console asks its questions in chat)."""
        kept = self._forms.get((user_id, action))
        try:
            found = await self.core.form(MemberRef(PLATFORM, user_id), action)
        except DatabaseUnavailable:  # the form as shown, or a plain button, answered as before
            return kept
        if isinstance(found, ChoiceForm):
            return self._forms.setdefault((user_id, action), found)
        return found if isinstance(found, FormRefused) else kept

    async def _choose(self, user_id: str, form: ChoiceForm, picks: str) -> None:
        """`/click <form>` alone shows it; with `field=...` it is submitted."""
        if not picks.strip():
            self.out.write(render_choices(form) + "\n")
            return
        try:
            values = parse_picks(form, picks)
        except PickError as exc:
            self.out.write(f"{exc}\n")
            return
        await self._act(ActionInvoked(MemberRef(PLATFORM, user_id), form.form_id, values=values))

    async def _import_leads(self, path: str) -> None:
        """What `alignbot leads import` does, from inside a console session."""
        if not path.strip():
            self.out.write("Usage: /import-leads examples/leads.csv\n")
            return
        try:
            report = await import_csv(self.core.ctx, Path(path.strip()))
        except LeadFileError as exc:
            self.out.write(f"{exc}\n")
            return
        self.out.write(f"Imported {Path(path.strip()).name}: {report.summary()}\n")

    async def _advance(self, text: str) -> None:
        try:
            step = Duration.parse(text).as_timedelta()
        except DurationError as exc:
            self.out.write(f"{exc}. Usage: /advance 4h\n")
            return
        await self.core.advance(step)
        self.out.write(f"Bot clock is now {self.core.ctx.clock.now():%a %Y-%m-%d %H:%M} UTC.\n")

    def _show(self, user_id: str, message: Message) -> str:
        """The message as text; images (digest charts) are written to ALIGNBOT_CHARTS_DIR and
        shown as their path, since a terminal cannot show a picture."""
        saved: dict[int, Path] = {}
        for index, block in enumerate(message.blocks):
            if isinstance(block, Image):
                folder = self.core.ctx.settings.charts_dir
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{user_id.replace(' ', '-')}-{block.filename}"
                path.write_bytes(block.data)
                saved[index] = path
        details: dict[int, str] = {}
        for index, block in enumerate(message.blocks):
            if isinstance(block, ChoiceForm):  # what `/click <form id>` shows and submits
                self._forms[(user_id, block.form_id)] = block
            if isinstance(block, Details):
                number = str(next(self._ids))
                self._details[(user_id, number)] = block
                self._last_details[user_id] = number
                details[index] = number
        return render(message, saved, details)

    async def _their_time(self, to: MemberRef) -> str:
        """The recipient's local time, so /advance shows who was asked when, in their zone."""
        async with self.core.ctx.db.session() as session:
            member = await MemberDirectory(session).by_ref(to)
        zone = ZoneInfo(valid_timezone(member.timezone if member else None) or "UTC")
        return f"{self.core.ctx.clock.now().astimezone(zone):%a %d %b %H:%M} {zone.key}"

    def _print(self, user_id: str, text: str, when: str | None = None) -> None:
        name = self._names.get(user_id, user_id)
        body = re.sub(r"\n", "\n    ", text)
        stamp = f" @ {when}" if when else ""
        self.out.write(f"[bot → {name}{stamp}] {body}\n")


@dataclass
class _Filling:
    """A form asked in the terminal: the answers so far, in field order."""

    form: QuestionForm
    values: dict[str, str] = field(default_factory=dict)


async def stdin_lines() -> AsyncIterator[str]:
    """Lines from stdin without blocking the event loop (background work keeps running)."""
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = await asyncio.to_thread(input, "> " if interactive else "")
        except EOFError:
            return
        yield line


__all__ = ["ConsoleAdapter", "stdin_lines"]
