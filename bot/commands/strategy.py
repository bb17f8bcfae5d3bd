"""`/align strategy ...`: show the strategy everyone is aligning to, and own it in chat: propose a
change (from the file, an import, a rollback), review it, confirm or cancel it, read its history.

Every change goes through `bot.commands.strategy_proposals`: nothing becomes current without an
admin's Confirm.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.commands.context import CommandContext
from bot.commands.errors import PermissionDenied, UsageError
from bot.commands.registry import Args, CommandSpec
from bot.commands.strategy_proposals import (
    CANCEL_ACTION,
    Confirmed,
    ProposalError,
    Proposals,
)
from bot.events import Attachment, Fact, FactList, FormField, Message, QuestionForm, Text
from bot.people.members import MemberDirectory
from bot.storage.models import Member, StrategyVersion
from bot.strategy import store
from bot.strategy.changes import changes
from bot.strategy.draft import PROMPT_NAME as DRAFT_PROMPT
from bot.strategy.draft import draft, todos
from bot.strategy.edits import (
    CORE_FIELDS,
    FIELDS,
    SEGMENT_FIELDS,
    TASK_FIELDS,
    Edit,
    EditError,
    Part,
    apply,
    form_values,
)
from bot.strategy.loader import StrategyFileError, load_strategy, parse_strategy
from bot.strategy.news import tell_managers
from bot.strategy.schema import Strategy

SELL_BY_WARNING_DAYS = 30
MAX_HISTORY = 15  # versions `strategy history` lists, newest first
EDIT_OPTIONS = (*CORE_FIELDS, *SEGMENT_FIELDS, *(f for f in TASK_FIELDS if f not in SEGMENT_FIELDS),
                "reason")
HISTORY_CHANGES = 3  # changes named per version there; `strategy diff` has them all


def sell_by_note(strategy: Strategy, today: date) -> str | None:
    """A warning when the strategy's review date is near or past: strategies expire silently."""
    days = (strategy.strategy.review_by - today).days
    if days < 0:
        return (f"⚠ This strategy's sell-by date ({strategy.strategy.review_by}) passed {-days} days"
                " ago. Review it with your leadership team and update the file.")
    if days <= SELL_BY_WARNING_DAYS:
        return f"⚠ This strategy is due for review in {days} days ({strategy.strategy.review_by})."
    return None


def strategy_message(strategy: Strategy, today: date) -> Message:
    core = strategy.strategy
    in_scope = [s.name for s in strategy.segments if s.in_scope]
    out_scope = [s.name for s in strategy.segments if not s.in_scope]
    tasks = [f"{t.name}{' (critical)' if t.critical else ''}" for t in strategy.sales_tasks]
    facts = (
        Fact("Objectives", "; ".join(o.text for o in core.objectives)),
        Fact("Advantage", core.advantage),
        Fact("We play in", ", ".join(in_scope)),
        Fact("We do not play in", ", ".join(out_scope) or "-"),
        Fact("Sales tasks", "; ".join(tasks)),
        Fact("Review by", str(core.review_by)),
    )
    blocks: list[Text | FactList] = [Text(core.name, style="heading"), Text(core.statement),
                                     FactList(facts)]
    note = sell_by_note(strategy, today)
    if note:
        blocks.append(Text(note))
    text = "\n".join([core.name, core.statement, *(f"{f.label}: {f.value}" for f in facts),
                      *([note] if note else [])])
    return Message(text=text, blocks=tuple(blocks))


async def strategy_show(cc: CommandContext, args: Args) -> list[Message]:
    return [strategy_message(cc.ctx.strategy, cc.ctx.clock.now().date())]


def _admin(cc: CommandContext, name: str) -> Member:
    caller = cc.require_member()
    if not cc.is_admin:
        raise PermissionDenied(f"`/align strategy {name}` is for admins.")
    return caller


def _proposals(cc: CommandContext) -> Proposals:
    return Proposals(cc.ctx, cc.evaluator)


def _reason(args: Args) -> str | None:
    reason = " ".join(args.options.get("reason", "").split())
    return reason[:500] or None


async def _row(cc: CommandContext, word: str) -> StrategyVersion:
    """A version by its number (`3`, `v3`) or `current`."""
    say = cc.ctx.prompts.say
    if word.lower() == "current":
        pointer = await store.current_pointer(cc.ctx.db)
        number = pointer[0] if pointer else 0
    else:
        digits = word.lower().removeprefix("v")
        if not digits.isdigit() or len(digits) > 9:
            raise UsageError(say("strategy_unknown_version", number=word))
        number = int(digits)
    row = await store.get_row(cc.ctx.db, number)
    if row is None:
        raise UsageError(say("strategy_unknown_version", number=word))
    return row


async def propose(cc: CommandContext, strategy: Strategy, source: str,
                  reason: str | None) -> list[Message]:
    """Store `strategy` as a proposal by the caller and show them its preview."""
    caller = cc.require_member()
    if strategy.version == cc.ctx.strategy.version:
        return [Message.plain(cc.ctx.prompts.say("strategy_changes_none"))]
    proposals = _proposals(cc)
    row = await proposals.propose(strategy, source, caller, reason)
    return [await proposals.preview(row, caller)]


async def strategy_reload(cc: CommandContext, args: Args) -> list[Message]:
    """The file as a proposal (never swapped in): a file admins edit on the server still works."""
    _admin(cc, "reload")
    path = cc.ctx.settings.strategy_file
    return await _propose_file(cc, path, _reason(args) or f"{path} changed")


async def _propose_file(cc: CommandContext, path: Path, reason: str) -> list[Message]:
    say = cc.ctx.prompts.say
    try:
        strategy = load_strategy(path)
    except StrategyFileError as exc:
        return [Message.plain(say("strategy_file_broken", problems=str(exc)))]
    pointer = await store.current_pointer(cc.ctx.db)
    if pointer is not None and strategy.version == pointer[1]:
        return [Message.plain(say("strategy_file_unchanged", path=path, number=pointer[0]))]
    known = [r for r in await store.list_versions(cc.ctx.db) if r.version == strategy.version
             and r.status != store.PROPOSED]
    if known:
        return [Message.plain(say("strategy_file_known", path=path, number=known[-1].id,
                                  status=known[-1].status))]
    return await propose(cc, strategy, str(path), reason)


async def strategy_import(cc: CommandContext, args: Args) -> list[Message]:
    """A whole new version from a YAML file on this machine: the console's file upload (in
    Slack and Teams, admins send the file to the bot instead; a path there would read the
    server's disk)."""
    _admin(cc, "import")
    if cc.caller_ref.platform != "console":
        raise UsageError(cc.ctx.prompts.say("strategy_import_console_only"))
    path = Path(args.positional[0])
    return await _propose_file(cc, path, _reason(args) or f"imported from {path.name}")


async def strategy_proposals(cc: CommandContext, args: Args) -> list[Message]:
    _admin(cc, "proposals")
    say = cc.ctx.prompts.say
    rows = await store.open_proposals(cc.ctx.db)
    if not rows:
        pointer = await store.current_pointer(cc.ctx.db)
        return [Message.plain(say("strategy_no_proposals", number=pointer[0] if pointer else "-"))]
    lines = [f"v{r.id}: {r.name} - {r.source}, {r.loaded_at.date()}"
             f" (`/align strategy proposal {r.id}`)" for r in rows]
    title = say("strategy_proposals_title")
    return [Message(text="\n".join([title, *lines]),
                    blocks=(Text(title, style="heading"), Text("\n".join(lines))))]


async def strategy_proposal(cc: CommandContext, args: Args) -> list[Message]:
    """An open proposal's preview again, with a fresh confirmation for the caller."""
    caller = _admin(cc, "proposal")
    row = await _row(cc, args.positional[0])
    if row.status != store.PROPOSED:
        raise UsageError(cc.ctx.prompts.say("strategy_not_open", number=row.id, status=row.status))
    return [await _proposals(cc).preview(row, caller)]


async def strategy_confirm(cc: CommandContext, args: Args) -> list[Message]:
    caller = _admin(cc, "confirm")
    row = await _row(cc, args.positional[0])
    try:
        done = await _proposals(cc).confirm(caller, number=row.id, reason=_reason(args))
    except ProposalError as exc:
        raise UsageError(str(exc)) from None
    return await _confirmed(cc, done)


async def strategy_cancel(cc: CommandContext, args: Args) -> list[Message]:
    caller = _admin(cc, "cancel")
    row = await _row(cc, args.positional[0])
    try:
        number = await _proposals(cc).cancel(caller, number=row.id)
    except ProposalError as exc:
        raise UsageError(str(exc)) from None
    return [Message.plain(cc.ctx.prompts.say("strategy_cancelled", number=number))]


async def on_button(cc: CommandContext, action_id: str, token: str) -> list[Message]:
    """A preview's Confirm or Cancel: only the admin it was shown to, once, before it expires."""
    caller = _admin(cc, "confirm")
    proposals = _proposals(cc)
    try:
        if action_id == CANCEL_ACTION:
            number = await proposals.cancel(caller, token=token)
            return [Message.plain(cc.ctx.prompts.say("strategy_cancelled", number=number))]
        done = await proposals.confirm(caller, token=token)
    except ProposalError as exc:
        return [Message.plain(str(exc))]
    return await _confirmed(cc, done)


async def _confirmed(cc: CommandContext, done: Confirmed) -> list[Message]:
    """The admin's reply; managers are told what changed in the background."""
    say = cc.ctx.prompts.say
    if cc.outbox is not None and not done.changes.empty:
        cc.ctx.spawn(tell_managers(cc.ctx, cc.outbox, done.row, done.changes),
                     f"strategy-news-{done.row.id}")
    return [Message.plain(say("strategy_confirmed", number=done.row.id,
                              name=done.after.strategy.name))]


async def strategy_history(cc: CommandContext, args: Args) -> list[Message]:
    """Who changed the strategy, when, what and why - newest first."""
    _admin(cc, "history")
    say = cc.ctx.prompts.say
    rows = list(reversed(await store.list_versions(cc.ctx.db)))[:MAX_HISTORY]
    async with cc.ctx.db.session() as session:
        names = {m.id: m.name for m in await MemberDirectory(session).all()}
    lines = []
    for row in rows:
        lines.append(say(
            "strategy_history_line", number=row.id, status=row.status, name=row.name,
            when=(row.confirmed_at or row.loaded_at).strftime("%Y-%m-%d %H:%M UTC"),
            author=names.get(row.author_id, row.source) if row.author_id else row.source,
            what=await _what(cc, row), reason=row.reason or say("strategy_history_empty_reason")))
    title = say("strategy_history_title")
    return [Message(text="\n".join([title, *lines]),
                    blocks=(Text(title, style="heading"), *(Text(line) for line in lines)))]


async def _what(cc: CommandContext, row: StrategyVersion) -> str:
    """The version's changes against the one it was proposed on, briefly."""
    before = await store.load_version(cc.ctx.db, row.parent_version) if row.parent_version else None
    if before is None:
        return cc.ctx.prompts.say("strategy_history_first")
    found = changes(before, store.strategy_of(row)).lines
    if not found:
        return cc.ctx.prompts.say("strategy_history_same")
    shown = "; ".join(found[:HISTORY_CHANGES])
    return shown + (f" (+{len(found) - HISTORY_CHANGES} more)" if len(found) > HISTORY_CHANGES else "")


async def strategy_diff(cc: CommandContext, args: Args) -> list[Message]:
    """Every change from version a to version b."""
    _admin(cc, "diff")
    first, second = await _row(cc, args.positional[0]), await _row(cc, args.positional[1])
    found = changes(store.strategy_of(first), store.strategy_of(second))
    title = cc.ctx.prompts.say("strategy_diff_title", a=first.id, b=second.id)
    body = "\n".join(f"• {line}" for line in found.lines) or cc.ctx.prompts.say(
        "strategy_changes_none")
    return [Message(text=f"{title}\n{body}", blocks=(Text(title, style="heading"), Text(body)))]


async def strategy_rollback(cc: CommandContext, args: Args) -> list[Message]:
    """Propose an old version again: confirmed, it is a new version equal to the old one."""
    _admin(cc, "rollback")
    row = await _row(cc, args.positional[0])
    if row.status == store.PROPOSED:
        raise UsageError(cc.ctx.prompts.say("strategy_rollback_proposed", number=row.id))
    reason = _reason(args) or cc.ctx.prompts.say("strategy_rollback_reason", number=row.id)
    return await propose(cc, store.strategy_of(row), f"rollback to version {row.id}", reason)


FORM_PREFIX = "strategy-"  # form ids: strategy-edit:<action>:<part>[:<id>], strategy-draft:...
EDIT_PREFIX = "strategy-edit:"
FORM_TEXT_LIMIT = 3000


def _edit_of(args: Args, action: str) -> Edit:
    """`edit` (the core), `edit segment <id>`, `add task <id>`, ...; field=value options."""
    values = {k: v for k, v in args.options.items() if k != "reason"}
    if not args.positional:
        if action != "change":
            raise UsageError(f"Say what to {action}: `/align strategy {action} segment <id>` or"
                             f" `/align strategy {action} task <id>`.")
        return Edit("core", values)
    kind = args.positional[0].lower()
    if kind not in ("segment", "task") or len(args.positional) != 2:
        raise UsageError("Usage: `/align strategy edit [segment <id>|task <id>] [field=value ...]`"
                         " - e.g. `/align strategy edit task map_buying_committee critical=yes`")
    part: Part = "segment" if kind == "segment" else "task"
    return Edit(part, values, args.positional[1].lower(), action)  # type: ignore[arg-type]


def _form(cc: CommandContext, edit: Edit) -> QuestionForm:
    """The form for an edit, filled with the current values (Slack modal, Teams card, console
    prompts); its id says what it edits, so whichever process gets the submission can apply it."""
    say = cc.ctx.prompts.say
    current = form_values(cc.ctx.strategy, edit.part, edit.item_id)
    title = say(f"strategy_form_{edit.action}_{edit.part}", id=edit.item_id)
    fields = [FormField(name, say(f"strategy_field_{name}"), hint=say(f"strategy_hint_{name}"),
                        initial=current.get(name, "")[:FORM_TEXT_LIMIT],
                        multiline=name in ("statement", "advantage", "description", "objectives",
                                           "examples", "counter_examples"),
                        max_length=FORM_TEXT_LIMIT)
              for name in FIELDS[edit.part]]
    fields.append(FormField("reason", say("strategy_field_reason"), hint=say("strategy_hint_reason"),
                            multiline=False, max_length=500))
    form_id = f"{EDIT_PREFIX}{edit.action}:{edit.part}" + (f":{edit.item_id}" if edit.item_id else "")
    return QuestionForm(form_id, title[:150], tuple(fields), submit_label=say("strategy_form_submit"),
                        prompted=True)


async def strategy_edit(cc: CommandContext, args: Args) -> list[Message]:
    """`/align strategy edit ...`: with fields given, a proposal at once; without, the form."""
    return await _edit(cc, args, "change")


async def strategy_add(cc: CommandContext, args: Args) -> list[Message]:
    return await _edit(cc, args, "add")


async def strategy_remove(cc: CommandContext, args: Args) -> list[Message]:
    return await _edit(cc, args, "remove")


async def _edit(cc: CommandContext, args: Args, action: str) -> list[Message]:
    _admin(cc, "edit" if action == "change" else action)
    edit = _edit_of(args, action)
    if edit.action == "change" and edit.part != "core" and edit.item_id not in (
            cc.ctx.strategy.segment_ids if edit.part == "segment" else cc.ctx.strategy.task_ids):
        raise UsageError(cc.ctx.prompts.say("strategy_no_item", part=edit.part, id=edit.item_id))
    if edit.values or edit.action == "remove":
        return await _propose_edit(cc, edit, _reason(args))
    form = _form(cc, edit)
    return [Message(text=form.title, blocks=(Text(cc.ctx.prompts.say("strategy_form_intro")), form))]


async def _propose_edit(cc: CommandContext, edit: Edit, reason: str | None) -> list[Message]:
    try:
        strategy = apply(cc.ctx.strategy, edit)
    except EditError as exc:
        raise UsageError(cc.ctx.prompts.say("strategy_edit_refused", problems=str(exc))) from None
    what = edit.part if edit.part == "core" else f"{edit.part} {edit.item_id}"
    return await propose(cc, strategy, f"chat: {edit.action} {what}", reason)


def form_edit(form_id: str) -> Edit | None:
    """The edit a form id stands for; None when it is not one of ours."""
    if not form_id.startswith(EDIT_PREFIX):
        return None
    action, _, rest = form_id.removeprefix(EDIT_PREFIX).partition(":")
    part, _, item_id = rest.partition(":")
    if action not in ("change", "add") or part not in FIELDS:
        return None
    return Edit(part, {}, item_id, action)  # type: ignore[arg-type]


async def form_for(cc: CommandContext, form_id: str) -> QuestionForm | None:
    """The form again (a Slack modal opens it on demand), for admins only."""
    if form_id == DRAFT_FORM and cc.is_admin:
        return next(b for b in (await strategy_draft(cc, Args((), {})))[0].blocks
                    if isinstance(b, QuestionForm))
    edit = form_edit(form_id)
    if edit is None or not cc.is_admin:
        return None
    return _form(cc, edit)


async def on_form(cc: CommandContext, form_id: str, values: dict[str, str]) -> list[Message]:
    """A submitted edit form: the fields that changed become a proposal."""
    _admin(cc, "edit")
    if form_id == DRAFT_FORM:
        return await on_draft(cc, values.get("document", ""))
    edit = form_edit(form_id)
    if edit is None:
        raise UsageError(cc.ctx.prompts.say("strategy_form_gone"))
    current = form_values(cc.ctx.strategy, edit.part, edit.item_id)
    changed = {k: v for k, v in values.items() if k in FIELDS[edit.part]
               and " ".join(v.split()) != " ".join(current.get(k, "").split())}
    if not changed and edit.action == "change":
        return [Message.plain(cc.ctx.prompts.say("strategy_changes_none"))]
    reason = " ".join(values.get("reason", "").split())[:500] or None
    return await _propose_edit(cc, Edit(edit.part, changed, edit.item_id, edit.action), reason)


UPLOAD_SUFFIXES = (".yaml", ".yml")
MAX_UPLOAD_CHARS = 200_000  # a strategy file is a few KB; adapters fetch no more than this


def is_strategy_upload(name: str) -> bool:
    """Whether a file sent to the bot is one it reads (adapters download only those)."""
    return name.lower().endswith(UPLOAD_SUFFIXES)


async def on_upload(cc: CommandContext, files: tuple[Attachment, ...]) -> list[Message]:
    """A YAML file sent to the bot (Slack DM file share, Teams attachment): proposed as a whole
    new version, for admins; anyone else is told who can."""
    say = cc.ctx.prompts.say
    wanted = [f for f in files if is_strategy_upload(f.name)]
    if not wanted:
        return [Message.plain(say("strategy_upload_not_yaml"))]
    if not cc.is_admin:
        raise PermissionDenied(say("strategy_upload_admins"))
    replies = []
    for upload in wanted:
        try:
            strategy = parse_strategy(upload.text[:MAX_UPLOAD_CHARS], upload.name)
        except StrategyFileError as exc:
            replies.append(Message.plain(say("strategy_file_broken", problems=str(exc))))
            continue
        replies += await propose(cc, strategy, f"upload: {upload.name}", None)
    return replies


DRAFT_FORM = "strategy-draft:document"


async def strategy_draft(cc: CommandContext, args: Args) -> list[Message]:
    """A form for the document (prose, a slide's text): pasted text does not survive a command
    line's quoting, a form field keeps it whole."""
    _admin(cc, "draft")
    say = cc.ctx.prompts.say
    form = QuestionForm(DRAFT_FORM, say("strategy_draft_title"), (
        FormField("document", say("strategy_draft_field"), hint=say("strategy_draft_hint"),
                  max_length=FORM_TEXT_LIMIT),), submit_label=say("strategy_form_submit"),
        prompted=True)
    return [Message(text=form.title, blocks=(Text(say("strategy_draft_intro")), form))]


async def on_draft(cc: CommandContext, document: str) -> list[Message]:
    """The document submitted: a drafted strategy, proposed (and its TODOs listed)."""
    caller = _admin(cc, "draft")
    say = cc.ctx.prompts.say
    if not document.strip():
        raise UsageError(say("strategy_draft_empty"))
    try:
        prompt = cc.ctx.prompts.text(DRAFT_PROMPT)
        drafted = await draft(document, cc.ctx.strategy, cc.ctx.clock.now().date(),
                              cc.ctx.settings, prompt)
    except StrategyFileError as exc:
        raise UsageError(say("strategy_draft_failed", problems=str(exc))) from None
    if drafted.strategy.version == cc.ctx.strategy.version:
        return [Message.plain(say("strategy_changes_none"))]
    proposals = _proposals(cc)
    row = await proposals.propose(drafted.strategy, f"draft ({drafted.by})", caller,
                                  say("strategy_draft_reason"))
    preview = await proposals.preview(row, caller)
    missing = todos(drafted.strategy)
    if not missing:
        return [preview]
    note = say("strategy_draft_todos", count=len(missing), paths=", ".join(missing[:20]))
    return [Message(text=f"{note}\n{preview.text}", blocks=(Text(note), *preview.blocks))]


SPECS = (
    CommandSpec(("strategy", "show"), "strategy show",
                "Show the strategy: statement, objectives, segments, sales tasks, review date",
                "strategy show", strategy_show, max_args=0),
    CommandSpec(("strategy", "reload"), "strategy reload [reason=...]",
                "Propose the strategy file's content as a new version (you review, then confirm)",
                "strategy reload", strategy_reload, admin_only=True, max_args=0, options=("reason",)),
    CommandSpec(("strategy", "import"), "strategy import <path.yaml> [reason=...]",
                "Console: propose a whole new version from a YAML file (Slack, Teams: send me the"
                " file)", "strategy import new-strategy.yaml reason=\"FY28 plan\"", strategy_import,
                admin_only=True, min_args=1, max_args=1, options=("reason",)),
    CommandSpec(("strategy", "proposals"), "strategy proposals",
                "List the strategy changes waiting for an admin's confirmation",
                "strategy proposals", strategy_proposals, admin_only=True, max_args=0),
    CommandSpec(("strategy", "proposal"), "strategy proposal <version>",
                "Review a proposed change: what changes, doctor warnings, effect on recent answers",
                "strategy proposal 4", strategy_proposal, admin_only=True, min_args=1, max_args=1),
    CommandSpec(("strategy", "confirm"), "strategy confirm <version> [reason=...]",
                "Make a proposed version current for everyone", "strategy confirm 4 reason=\"new"
                " segment\"", strategy_confirm, admin_only=True, min_args=1, max_args=1,
                options=("reason",)),
    CommandSpec(("strategy", "cancel"), "strategy cancel <version>",
                "Drop a proposed version", "strategy cancel 4", strategy_cancel, admin_only=True,
                min_args=1, max_args=1),
    CommandSpec(("strategy", "history"), "strategy history",
                "Who changed the strategy, when, what and why", "strategy history",
                strategy_history, admin_only=True, max_args=0),
    CommandSpec(("strategy", "diff"), "strategy diff <version> <version>",
                "What changed between two versions (numbers from history, or current)",
                "strategy diff 2 current", strategy_diff, admin_only=True, min_args=2, max_args=2),
    CommandSpec(("strategy", "rollback"), "strategy rollback <version> [reason=...]",
                "Propose going back to an earlier version (you confirm it like any change)",
                "strategy rollback 2 reason=\"new segment did not work\"", strategy_rollback,
                admin_only=True, min_args=1, max_args=1, options=("reason",)),
    CommandSpec(("strategy", "edit"), "strategy edit [segment <id>|task <id>] [field=value ...]",
                "Change the statement, objectives, advantage and review date (a form), or one"
                " segment or sales task; you review the proposal, then confirm",
                "strategy edit task map_buying_committee critical=yes", strategy_edit,
                admin_only=True, max_args=2, options=EDIT_OPTIONS),
    CommandSpec(("strategy", "add"), "strategy add segment|task <id> [field=value ...]",
                "Add a segment or sales task (a form, or the fields typed)",
                "strategy add segment dach_insurers name=\"DACH insurers\" in_scope=yes",
                strategy_add, admin_only=True, min_args=2, max_args=2, options=EDIT_OPTIONS),
    CommandSpec(("strategy", "remove"), "strategy remove segment|task <id> [reason=...]",
                "Propose removing a segment or sales task", "strategy remove task peer_reference",
                strategy_remove, admin_only=True, min_args=2, max_args=2, options=("reason",)),
    CommandSpec(("strategy", "draft"), "strategy draft",
                "Draft a strategy in our format from your document (prose or a slide's text);"
                " you review the proposal, then confirm", "strategy draft", strategy_draft,
                admin_only=True, max_args=0),
)
