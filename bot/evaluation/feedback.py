"""Turns an Evaluation into the short message a person gets right after answering: what mapped,
what did not, critical gaps, out-of-scope warnings and one coaching suggestion grounded in the
strategy. Wording lives in prompts/feedback.yaml."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.evaluation.contradictions import (
    asked_for,
    concedes,
    names_price,
    pricing_targets,
    statement_faults,
    with_concessions,
)
from bot.evaluation.language import NAMES
from bot.evaluation.result import (
    Against,
    Evaluation,
    Evidence,
    ScopeResult,
    SegmentMention,
    StatementResult,
    TaskMatch,
    TasksResult,
)
from bot.evaluation.substance import assess
from bot.evaluation.text import (
    PACKS,
    WORD,
    buyer_subject,
    content_stems,
    cue_state,
    declines,
    held_up_by_others,
    is_remark,
    is_vague,
    negation_at,
    post_state,
    reading,
    reports_loss,
    reports_win,
    tokenize,
    wordset,
)
from bot.events import Message, Text
from bot.prompts import PromptsError
from bot.strategy.schema import SalesTask, Strategy
from bot.text import shorten


class FeedbackTexts:
    """prompts/feedback.yaml, with placeholders filled on demand. A view `for_audience`
    ("manager") says a text's `<key>_manager` variant where the file has one: a manager asked
    which tasks they are coaching or driving is coached on their team, not told to "make time"
    for a task like a rep."""

    audience: str = "rep"

    def __init__(self, path: Path) -> None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PromptsError(f"{path}: cannot be read ({exc})") from None
        if not isinstance(data, dict):
            raise PromptsError(f"{path}: must be a YAML mapping")
        self.data: dict[str, Any] = data
        self.path = path

    def for_audience(self, audience: str) -> FeedbackTexts:
        """These texts as said to `audience` (a check-in's: "rep" or "manager")."""
        view = copy.copy(self)
        view.audience = audience
        return view

    def rhythm(self, text: str) -> str | None:
        """The first of `manager_rhythm`'s phrases `text` names, as typed there ("Pipeline-Review",
        "1:1s"), or None: a manager's team rhythm, not effort outside the strategy."""
        pattern = self._rhythm_pattern()
        found = pattern.search(text) if pattern is not None else None
        return found.group(0) if found else None

    def _rhythm_pattern(self) -> re.Pattern[str] | None:
        return self._phrases("manager_rhythm")

    def unreachable(self, text: str, roles: Iterable[str] = ()) -> bool:
        """Whether `text` says the person who holds a task up could not be reached ("no reply
        from the CFO", "Seniorpartner nicht erreicht"): `could_not_reach`'s phrases, or one of
        `could_not_get`'s followed by one of `roles` ("couldn't get their CISO", not "couldn't
        get the budget signed off")."""
        reach = self._phrases("could_not_reach")
        if reach is not None and reach.search(text):
            return True
        get = self._phrases("could_not_get")
        for found in get.finditer(text) if get is not None else ():
            after = " ".join(text[found.end():].split()[:4])
            if any(_names(after, role) for role in roles):
                return True
        return False

    def _phrases(self, key: str) -> re.Pattern[str] | None:
        """The list `key` of phrases as one pattern (lower case; a hyphen and a space the same;
        an apostrophe typed either way), None when the file has none."""
        cache: dict[str, re.Pattern[str] | None] = self.__dict__.setdefault("_patterns", {})
        if key not in cache:
            phrases = self.data.get(key) or []
            if not isinstance(phrases, list):
                raise PromptsError(f"{self.path}: {key} must be a list of phrases")
            alternatives = sorted({r"[-\s]+".join(re.escape(w).replace("'", "['’]?")
                                                   for w in re.split(r"[-\s]+", str(p).strip()))
                                   for p in phrases if str(p).strip()}, key=len, reverse=True)
            cache[key] = (re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])",
                                     re.I) if alternatives else None)
        return cache[key]

    def say(self, section: str, key: str | None = None, **values: object) -> str:
        node: Any = self.data.get(section)
        if key is not None and isinstance(node, dict):
            variant = node.get(f"{key}_{self.audience}")
            node = variant if isinstance(variant, str) else node.get(key)
        elif key is not None:
            node = None
        if not isinstance(node, str):
            raise PromptsError(f"{self.path}: missing text {section}.{key}")
        return node.format(**values)


def _list(items: Iterable[str]) -> str:
    return ", ".join(items)


def _names(text: str, role: str) -> bool:
    """Whether `text` names `role` ("their CISO", "die IT-Leitung meldet sich nicht")."""
    return re.search(r"(?<![^\W_])" + re.escape(role) + r"(?![^\W_])", text, re.I) is not None


def _quoted(texts: Iterable[str]) -> str:
    return _list(f'"{shorten(_closed(t), 60)}"' for t in texts)


def _closed(text: str) -> str:
    """A quote cut at a clause's end keeps its bracket closed: "demo for Caltrans (state DOT)",
    not "demo for Caltrans (state DOT"."""
    return text + ")" * max(0, text.count("(") - text.count(")"))


@dataclass(frozen=True)
class TaskHistory:
    """When this person last did each task (from their earlier answers), and since when the
    bot has known them: coaching picks the critical task they have gone longest without."""

    now: datetime
    last_done: dict[str, datetime] = field(default_factory=dict)
    since: datetime | None = None

    def longest_without(self, task_ids: list[str]) -> tuple[str, int | None]:
        """The task (of `task_ids`) not done for longest, and for how many days (None: never,
        as far back as the bot knows)."""
        never = [t for t in task_ids if t not in self.last_done]
        if never:
            return never[0], None
        task = min(task_ids, key=lambda t: self.last_done[t])
        return task, max(0, (self.now - self.last_done[task]).days)

    def longest_first(self, task_ids: list[str]) -> list[str]:
        """`task_ids` in the order the coaching would pick them: never done first (in the given
        order), then the one done longest ago."""
        return sorted(task_ids, key=lambda t: (t in self.last_done,
                                               self.last_done.get(t, self.now)))


MAX_MISSING = 2
"""Critical tasks named as missing in one feedback: a list of five reads as a template."""


def team_rhythm(texts: FeedbackTexts, unmapped: Sequence[Evidence],
                answer: str | None = None) -> list[Evidence]:
    """The activities of `unmapped` that name the team's rhythm (`FeedbackTexts.rhythm`), with
    what an "and" joins to it ("deal reviews with Fin and Ola on their committee plans")."""
    found: list[Evidence] = []
    for item in sorted(unmapped, key=lambda e: e.start):
        joined = bool(found) and answer is not None and _JOINED.fullmatch(
            answer[found[-1].end:item.start]) is not None
        if joined and answer is not None:  # one item again, quoted whole
            start = found[-1].start
            found[-1] = Evidence(text=answer[start:item.end], start=start, end=item.end)
        elif texts.rhythm(item.text):
            found.append(item)
    return found


def off_strategy(texts: FeedbackTexts, unmapped: Sequence[Evidence], audience: str | None,
                 answer: str | None = None) -> list[Evidence]:
    """The activities of `unmapped` that are effort outside the strategy as the feedback says
    it: all of them, but for a manager's team rhythm (pipeline reviews, 1:1s, forecast calls),
    which is where they coach. The digest and the export count the same (old stored answers
    too: read from their text and evaluation, nothing stored)."""
    if audience != "manager":
        return list(unmapped)
    rhythm = team_rhythm(texts, unmapped, answer)
    return [u for u in unmapped if not any(r.start <= u.start < r.end for r in rhythm)]


@functools.cache
def default_texts() -> FeedbackTexts:
    """The shipped prompts/feedback.yaml, for code that has no settings at hand (the stored
    answers' derived digest columns)."""
    from bot.config import REPO_ROOT
    return FeedbackTexts(REPO_ROOT / "prompts" / "feedback.yaml")


class FeedbackWriter:
    """Builds feedback messages for one strategy's vocabulary."""

    def __init__(self, texts: FeedbackTexts) -> None:
        self.t = texts

    def message(self, evaluation: Evaluation, strategy: Strategy,
                history: TaskHistory | None = None, current: Strategy | None = None,
                labels: tuple[str, str] | None = None, audience: str | None = None,
                answer: str | None = None) -> Message:
        """`labels`: how people name `strategy`'s version and the current one (their numbers,
        `bot.strategy.store.version_label`); without them, the content hashes. `audience`: the
        check-in's ("manager" gets the manager wording where prompts/feedback.yaml has one; None:
        the texts' own). `answer`: the text judged, where the caller has it (see `lines`)."""
        lines = self.lines(evaluation, strategy, history, audience, answer)
        if current is not None and current.version != strategy.version:
            version, now = labels or (strategy.version, current.version)
            lines.append(self.t.say("older_version", version=version, current=now))
        title = self.t.say("title", evaluation.question)
        return Message(text="\n".join([title, *lines]),
                       blocks=(Text(title, style="heading"), *(Text(line) for line in lines)))

    def lines(self, evaluation: Evaluation, strategy: Strategy,
              history: TaskHistory | None = None, audience: str | None = None,
              answer: str | None = None) -> list[str]:
        """The feedback's lines, the coaching last. `answer`, the text judged, lets a concession
        the reader quoted as the buyer's ask be told from the one the rep gave after it
        (`with_concessions`); without it, such an ask is told as nothing against us."""
        if audience is not None and audience != self.t.audience:
            return FeedbackWriter(self.t.for_audience(audience)).lines(evaluation, strategy, history,
                                                                       answer=answer)
        if not evaluation.language_supported and evaluation.strategy_language:
            return [self.t.say("language_not_matched",
                               language=_language_name(evaluation.language),
                               strategy_language=_language_name(evaluation.strategy_language))]
        if not evaluation.language_supported:
            return [self.t.say("language_not_read", language=_language_name(evaluation.language),
                               languages=_list(p.name for p in PACKS.values()))]
        lines: list[str] = []
        coaching: str | None = None
        if evaluation.question == "tasks" and evaluation.tasks is not None:
            tasks = with_concessions(evaluation.tasks, strategy, answer)  # a waived fee: no task
            with reading(evaluation.language or "en"):  # the quotes are in the answer's language
                tasks = _without_losses(tasks)
                lines, coaching = self._tasks(tasks, strategy, history, _deal_segments(evaluation),
                                              answer, _for_deals_elsewhere(evaluation, strategy,
                                                                           answer),
                                              [m.evidence for m in evaluation.scope.segments]
                                              if evaluation.scope else [],
                                              evaluation.scope.segments if evaluation.scope else [])
            if evaluation.scope is not None:
                warning, advice = self._out_of_scope(evaluation.scope, strategy)
                # a deal where we don't play matters more than tasks not mentioned: above them
                missing = self._missing_line(tasks, strategy, history)
                at = len(lines) - 1 if missing and lines and lines[-1] == missing[0] else len(lines)
                lines[at:at] = warning
                # working against a task or objective comes first; out of scope next
                against = coaching if tasks.against else None
                coaching = against or advice or coaching
        elif evaluation.question == "scope" and evaluation.scope is not None:
            lines, coaching = self._scope(evaluation.scope, strategy)
            if not evaluation.scope.segments:
                coaching = self.t.say("coaching", "no_segment", segments=_in_scope_names(strategy))
        elif evaluation.question == "strategy" and evaluation.statement is not None:
            lines, coaching = self._statement(evaluation.statement, evaluation, strategy)
        if coaching is None and not _shows_work(evaluation):
            coaching = self.t.say("coaching", "need_detail",
                                  example=strategy.sales_tasks[0].examples[0])
        lines.append(coaching or self.t.say("coaching", "well_done"))
        if evaluation.fallback_reason:
            lines.append(self.t.say("fallback_note", reason=evaluation.fallback_reason))
        return lines

    def _tasks(self, tasks: TasksResult, strategy: Strategy, history: TaskHistory | None = None,
               deal_segments: Iterable[str] = (), answer: str | None = None,
               elsewhere: frozenset[tuple[int, int]] = frozenset(),
               deal_evidence: Iterable[Evidence] = (),
               mentions: Sequence[SegmentMention] = (),
               ) -> tuple[list[str], str | None]:
        """`elsewhere`: the spans of tasks done for a deal in a segment we do not play in
        ("Sent SOC 2 report to Citi"), shown apart from the ✅: work, but not work to praise.
        `mentions`: the segments the answer names (a win there is not congratulated). A
        manager's team rhythm ("pipeline review with the team, 1:1s") is noted as where they
        coach, never listed as effort outside the strategy."""
        rhythm = self._rhythm(tasks, answer)
        if rhythm:  # the rest is read without it: "1:1s with Dana" is no deal of Dana's
            tasks = tasks.model_copy(update={"unmapped": off_strategy(
                self.t, tasks.unmapped, self.t.audience, answer)})
        if rhythm and not tasks.matches and not tasks.against and not any(
                _is_effort(u.text) for u in tasks.unmapped):
            noted = [self._rhythm_line(rhythm), *self._missing_line(tasks, strategy, history)]
            missing = tasks.critical_missing or [t.id for t in strategy.sales_tasks if t.critical]
            return noted, (self._missing_coaching(missing, strategy, history, rhythm) if missing
                           else self.t.say("coaching", "need_detail",
                                           example=strategy.sales_tasks[0].examples[0]))
        if not tasks.matches and not tasks.against and not any(_is_effort(u.text) for u in tasks.unmapped):
            if tasks.away:  # "Nothing this week, on PTO": an answer, not a gap to nag about
                return [], self.t.say("coaching", "away", quote=_quoted([tasks.away[0].text]))
            # "Closed Brightpay 🎉", "lost Paylane to Vanta": a result, asked what made it
            for key, found in (("won", _win(tasks, answer, strategy, mentions)),
                               ("lost", _result(tasks.unmapped, answer, _lost))):
                if found is not None:
                    return [], self.t.say("coaching", key, quote=_quoted([found]),
                                          example=strategy.sales_tasks[0].examples[0])
            # "demo with Lendwise (fintech) on Tuesday": said what and for whom, just none of
            # our tasks - never asked "what did you do, for whom"; tied to a critical task
            work = _concrete(answer, deal_evidence)
            if work is not None:
                task = strategy.task(self._critical_for(tasks, strategy, history))
                return [], self.t.say("coaching", "unplaced_plan" if _is_plan(_typed(work))
                                      else "unplaced", quote=_quoted([work]), task=task.name,
                                      example=task.examples[0])
            # "calls", "idk", an emoji, "they're keen": ask for detail rather than list what is missing
            example = strategy.sales_tasks[0].examples[0]
            return [], self.t.say("coaching", "need_detail", example=example)
        lines: list[str] = []
        away = {(m.evidence.start, m.evidence.end) for m in tasks.matches} & elsewhere
        effort = [e for e in tasks.unmapped if _is_effort(e.text)]
        # effort for a deal where we don't play is that deal's work, shown with the tasks done
        # there: "demo for JPMorgan" is no "effort outside the strategy" beside "Out of scope"
        there = [e for e in effort if (e.start, e.end) in elsewhere]
        effort = [e for e in effort if e not in there]
        for state, key in (("done", "mapped"), ("elsewhere", "out_of_scope_work"),
                           ("planned", "planned"), ("not_done", "not_done")):
            # a plan is acknowledged even for a task also done this week: "success criteria
            # agreed" is done, and the POC "from Monday" is still the plan the bot asks about
            these = [m for m in tasks.matches if _shown_as(m, away) == state]
            ids = list(dict.fromkeys(m.task_id for m in these))
            # each task's first quote that is not the buyer's ask: "habe abgelehnt", not
            # the "Kunde wollte 15% Rabatt" that came before it
            quotes: dict[str, str] = {}
            for m in sorted(these, key=lambda m: asked_for(m.evidence.text)):
                quotes.setdefault(m.task_id, m.evidence.text)
            items = [f"{strategy.task(tid).name} ({_quoted([quotes[tid]])})" if quotes[tid].strip()
                     else strategy.task(tid).name for tid in ids]  # no quote: a person said so
            if state == "elsewhere":
                items += [_quoted([e.text]) for e in there]
            if items:
                lines.append(self.t.say("tasks", key, items=_list(items)))
        if tasks.against:
            by_quote: dict[str, list[str]] = {}
            for item in _worded_against(tasks.against, strategy):
                by_quote.setdefault(item.evidence.text, []).append(f'"{item.name}"')
            lines.append(self.t.say("tasks", "against", items=_list(
                self.t.say("tasks", "against_item", quote=_quoted([quote]),
                           names=" and ".join(names)) for quote, names in by_quote.items())))
        if rhythm:
            lines.append(self._rhythm_line(rhythm))
        # off-strategy effort is what says something: never fragments, mash, emoji or one word
        if effort:
            lines.append(self.t.say("tasks", "unmapped", items=_quoted(e.text for e in effort)))
        if not tasks.matches and not effort and not there and not tasks.against:
            lines.append(self.t.say("tasks", "nothing", example=strategy.sales_tasks[0].examples[0]))
        won = _win(tasks, answer, strategy, mentions)
        if won is not None:  # "... they came back and signed 💪": said first, whatever follows
            lines.insert(0, self.t.say("tasks", "won", quote=_quoted([won])))
        if tasks.against:
            return lines, self._against_coaching(tasks, strategy)
        stalled = tasks.ids_in("not_done")
        if stalled:
            lines += self._missing_line(tasks, strategy, history)
            quote = next(m.evidence.text for m in tasks.matches
                         if m.task_id == stalled[0] and m.state == "not_done")
            return lines, self._stalled_coaching(strategy.task(stalled[0]), strategy, quote,
                                                 deal_segments, _with_rest(answer, quote),
                                                 _sentence_of(answer, quote))
        planned = tasks.ids_in("planned")
        if planned:  # acknowledged, with when the bot asks about it, before anything missing
            lines += self._missing_line(tasks, strategy, history)
            return lines, self.t.say("coaching", "planned", task=strategy.task(planned[0]).name)
        mentioned = {m.task_id for m in tasks.matches}
        missing = [tid for tid in tasks.critical_missing if tid not in mentioned]
        if missing:
            lines += self._missing_line(tasks, strategy, history)
            return lines, self._missing_coaching(missing, strategy, history, rhythm)
        if effort:
            return lines, self.t.say("coaching", "off_strategy", activity=shorten(
                effort[0].text, 60), segments=_in_scope_names(strategy))
        return lines, None

    def _unreachable_coaching(self, task: SalesTask, strategy: Strategy, said: str,
                              deal_segments: Iterable[str] = ()) -> str:
        """A task that waits on someone the rep could not reach ("couldn't get their CISO",
        "Seniorpartner nicht erreicht"): not "put a time on it" but another way in - the other
        roles of the segment's buying process (those the task is about first) or the champion -
        and the stage that comes once they are reached. The segment: the deal's own when the
        answer names it, else the first of ours whose buying process has the role named."""
        named = set(deal_segments)
        candidates = [s for s in strategy.segments if s.in_scope and s.buying_process is not None
                      and (not task.segments or s.id in task.segments)]
        segments = sorted(candidates, key=lambda s: (
            s.id not in named, not any(_names(said, r) for r in s.buying_process.roles)))  # type: ignore[union-attr]
        if not segments:
            return self.t.say("coaching", "unreachable", task=task.name,
                              who=self.t.say("coaching", "unreachable_someone"),
                              route=self.t.say("coaching", "unreachable_generic"))
        segment = segments[0]
        process = segment.buying_process
        assert process is not None
        who_role = next((r for r in process.roles if _names(said, r)), None)
        words = content_stems(f"{task.name} {task.description}")
        others = [r for r in process.roles if r != who_role]
        others = sorted(others, key=lambda r: not (content_stems(r) & words))[:2]  # stable
        overlap = {st: len(content_stems(st) & (words | content_stems(said))) for st in process.stages}
        stage = max(process.stages, key=overlap.__getitem__) if any(overlap.values()) else None
        following = process.stages[process.stages.index(stage) + 1:] if stage else []
        who = (self.t.say("coaching", "unreachable_role", role=who_role) if who_role
               else self.t.say("coaching", "unreachable_someone"))
        route = self.t.say("coaching", "unreachable_next" if following else "unreachable_route",
                           others=" or ".join(others), segment=segment.name,
                           stage=following[0] if following else "")
        return self.t.say("coaching", "unreachable", task=task.name, who=who, route=route)

    @staticmethod
    def _critical_for(tasks: TasksResult, strategy: Strategy, history: TaskHistory | None) -> str:
        """The critical task to tie work to: the one this person has gone longest without (the
        first not mentioned, without a history); the first task when none is critical."""
        missing = tasks.critical_missing or [t.id for t in strategy.sales_tasks if t.critical]
        if not missing:
            return strategy.sales_tasks[0].id
        return history.longest_without(missing)[0] if history and history.since else missing[0]

    def _rhythm(self, tasks: TasksResult, answer: str | None = None) -> list[Evidence]:
        """What a manager's answer names as the team's rhythm (`team_rhythm`); none in anyone
        else's."""
        if self.t.audience != "manager":
            return []
        return team_rhythm(self.t, tasks.unmapped, answer)

    def _rhythm_line(self, rhythm: list[Evidence]) -> str:
        return self.t.say("tasks", "rhythm", items=_quoted(e.text for e in rhythm))

    def _missing_coaching(self, missing: list[str], strategy: Strategy,
                          history: TaskHistory | None, rhythm: Sequence[Evidence] = ()) -> str:
        """One critical task, chosen for this person: the one they have gone longest without
        (with how long), not the first one in the file. A manager who named their team's
        rhythm is told to put it on that rhythm's agenda ("your pipeline review")."""
        meeting = next((found for e in rhythm if (found := self.t.rhythm(e.text))), None)
        if history is None or history.since is None:
            task = strategy.task(missing[0])
            if meeting:
                return self.t.say("coaching", "rhythm_missing", task=task.name, rhythm=meeting,
                                  description=task.description, example=task.examples[0])
            return self.t.say("coaching", "critical_missing", task=task.name,
                              description=task.description, example=task.examples[0])
        task_id, days = history.longest_without(missing)
        task = strategy.task(task_id)
        since = (history.now - history.since).days
        how_long = (self.t.say("coaching", "not_since", days=days) if days is not None
                    else self.t.say("coaching", "never_since", days=max(since, 1)))
        if meeting:
            return self.t.say("coaching", "rhythm_longest", task=task.name, how_long=how_long,
                              rhythm=meeting, description=task.description,
                              example=task.examples[0])
        return self.t.say("coaching", "critical_longest", task=task.name, how_long=how_long,
                          description=task.description, example=task.examples[0])

    def _missing_line(self, tasks: TasksResult, strategy: Strategy,
                      history: TaskHistory | None = None) -> list[str]:
        """At most two critical tasks not mentioned at all (planned or stalled ones are
        mentioned), so the line stays readable: with the person's history, the ones they have
        gone longest without, as the coaching picks them - not the first in the file, which
        they may have done last week."""
        mentioned = {m.task_id for m in tasks.matches}
        ids = [tid for tid in tasks.critical_missing if tid not in mentioned]
        if history is not None and history.since is not None:
            ids = history.longest_first(ids)
        missing = [strategy.task(tid).name for tid in ids]
        if not missing:
            return []
        if len(missing) > MAX_MISSING:
            return [self.t.say("tasks", "critical_missing_more", items=_list(missing[:MAX_MISSING]),
                               more=len(missing) - MAX_MISSING)]
        return [self.t.say("tasks", "critical_missing", items=_list(missing))]

    def _against_coaching(self, tasks: TasksResult, strategy: Strategy) -> str:
        """Working against the strategy matters more than anything missing: quote our own words."""
        first = coached_against(tasks.against, strategy)
        quote = shorten(first.evidence.text, 60)
        if first.kind == "task":
            task = strategy.task(first.target)
            return self.t.say("coaching", "against_task", quote=quote, task=task.name,
                              description=task.description, example=task.examples[0])
        # a concession is told to go to the manager first; a deal shaped against another
        # objective ("sold the tee sheet on its own", "quoted per-GB") is told what it asks for
        key = ("against_objective" if (first.kind, first.target) in _pricing(strategy)
               or concedes(first.evidence.text) else "against_objective_shape")
        return self.t.say("coaching", key, quote=quote, objective=first.name)

    def _stalled_coaching(self, task: SalesTask, strategy: Strategy, quote: str,
                          deal_segments: Iterable[str] = (), said: str | None = None,
                          sentence: str | None = None) -> str:
        """A task the buyer's side holds up ("couldn't reach the CISO, still stuck"): who can
        unblock it and which stage of the buying process comes next, where a stage is about this
        task - in the buying process of the deal's own segment when the answer names it (a
        corporate legal team's security review waits on its CISO and leads to a business case,
        not to a law firm's partners' meeting). One the seller has not got to yet ("haven't
        called them yet") needs a time, not the buyer's org chart. Price still open ("pricing
        ⛔ - they want 20% off") is held, not unblocked: the task's own words on how we hold it."""
        if any(kind == "task" and target == task.id for kind, target, _ in pricing_targets(strategy)):
            return self.t.say("coaching", "hold_price", task=task.name, description=task.description)
        every_role = [r for seg in strategy.segments if seg.in_scope and seg.buying_process
                      for r in seg.buying_process.roles]
        if self.t.unreachable(sentence or said or quote, every_role):
            return self._unreachable_coaching(task, strategy, sentence or said or quote,
                                              deal_segments)
        if not held_up_by_others(said or quote):
            key = "not_yet_critical" if task.critical else "not_yet"
            return self.t.say("coaching", key, task=task.name)
        named = set(deal_segments)
        segments = sorted((s for s in strategy.segments if s.in_scope and s.buying_process is not None
                           and (not task.segments or s.id in task.segments)),
                          key=lambda s: s.id not in named)  # stable: else the strategy's order
        process = segments[0].buying_process if segments else None
        if process is None:
            return self.t.say("coaching", "stalled", task=task.name,
                              next_step=self.t.say("coaching", "stalled_generic"))
        words = content_stems(f"{task.name} {task.description} {quote}")
        # the stage that says most of it: a security review is "security and privacy review",
        # not the "legal hold process review" before it that shares one word
        overlap = {st: len(content_stems(st) & words) for st in process.stages}
        stage = max(process.stages, key=overlap.__getitem__) if any(overlap.values()) else None
        roles = [r for r in process.roles if content_stems(r) & words] or process.roles[:2]
        following = process.stages[process.stages.index(stage) + 1:] if stage else []
        next_step = (self.t.say("coaching", "stalled_next", roles=_list(roles[:2]), stage=following[0])
                     if following else
                     self.t.say("coaching", "stalled_roles", roles=_list(roles[:2])))
        return self.t.say("coaching", "stalled", task=task.name, next_step=next_step)

    def _scope(self, scope: ScopeResult, strategy: Strategy) -> tuple[list[str], str | None]:
        lines: list[str] = []
        names = {s.id: s.name for s in strategy.segments}
        played = [m for m in scope.segments if m.stated_as_played]
        in_scope = list(dict.fromkeys(names[m.segment_id] for m in played if m.in_scope))
        working_out = list(dict.fromkeys(m.segment_id for m in played if not m.in_scope))
        named_out = list(dict.fromkeys(
            names[m.segment_id] for m in scope.segments if not m.stated_as_played and not m.in_scope))
        if not scope.segments:
            lines.append(self.t.say("scope", "nothing", items=_in_scope_names(strategy)))
        if in_scope:
            lines.append(self.t.say("scope", "in_scope", items=_list(in_scope)))
        if working_out:
            lines.append(self.t.say("scope", "out_of_scope_working",
                                    items=_list(names[s] for s in working_out)))
        if named_out:
            lines.append(self.t.say("scope", "out_of_scope_named", items=_list(named_out)))
        mentioned = {m.segment_id for m in scope.segments}
        missing = [s.name for s in strategy.segments if s.in_scope and s.id not in mentioned]
        if scope.segments and missing:
            lines.append(self.t.say("scope", "missing_in_scope", items=_list(missing)))
        for process in scope.processes:
            if process.stages_mentioned or process.roles_mentioned:
                named = _list(process.stages_mentioned + process.roles_mentioned)
                lines.append(self.t.say(
                    "scope", "process", segment=names[process.segment_id], named=named,
                    missing=_list(process.roles_missing)) if process.roles_missing else self.t.say(
                    "scope", "process_complete", segment=names[process.segment_id], named=named))
        if working_out:
            return lines, self._out_of_scope_coaching(working_out[0], strategy)
        described = [p for p in scope.processes if p.stages_mentioned or p.roles_mentioned]
        gaps = [p for p in described if p.roles_missing]
        if gaps:
            return lines, self.t.say("coaching", "process", segment=names[gaps[0].segment_id],
                                     role=gaps[0].roles_missing[0])
        if in_scope and not described and scope.processes:
            segment = strategy.segment(scope.processes[0].segment_id)
            defined = segment.buying_process
            return lines, self.t.say("coaching", "process_unknown", segment=segment.name,
                                     roles=_list(defined.roles[:3]) if defined else "-")
        if scope.segments and missing:  # not "Nice - maps cleanly" under "You did not mention"
            return lines, self.t.say("coaching", "scope_missing", segments=_list(missing))
        return lines, None

    def _out_of_scope(self, scope: ScopeResult, strategy: Strategy) -> tuple[list[str], str | None]:
        """Work on deals in segments we do not play in, named in a tasks answer."""
        working_out = list(dict.fromkeys(
            m.segment_id for m in scope.segments if m.stated_as_played and not m.in_scope))
        if not working_out:
            return [], None
        names = _list(strategy.segment(s).name for s in working_out)
        return ([self.t.say("scope", "out_of_scope_working", items=names)],
                self._out_of_scope_coaching(working_out[0], strategy))

    def _out_of_scope_coaching(self, segment_id: str, strategy: Strategy) -> str:
        segment = strategy.segment(segment_id)
        return self.t.say("coaching", "out_of_scope", segment=segment.name,
                          why=(segment.description or "").strip().rstrip(".")
                          or self.t.say("coaching", "out_of_scope_why"),
                          segments=_in_scope_names(strategy))

    def _statement(self, statement: StatementResult, evaluation: Evaluation,
                   strategy: Strategy) -> tuple[list[str], str | None]:
        limit, words = statement.word_limit, statement.word_count
        faults = statement_faults(evaluation, strategy)
        wrong_scope = [strategy.segment(sid).name for sid in faults.wrong_scope]
        wrong_advantage = faults.wrong_advantage
        says_something = bool(wrong_scope or wrong_advantage or any(c.covered for c in statement.components))
        wrong = {"scope": bool(wrong_scope), "advantage": wrong_advantage}
        covered = [self.t.say("components", c.component) for c in statement.components
                   if c.covered and not wrong.get(c.component)]
        # Short is only worth a ✅ when it says something of ours: never for "", "idk" or an
        # emoji, nor for "the cheapest tool for big banks", which is short and all wrong.
        lines = ([self.t.say("strategy", "length_ok", words=words, limit=limit)] if statement.within_limit
                 and covered else [] if statement.within_limit
                 else [self.t.say("strategy", "length_over", words=words, limit=limit, over=words - limit)])
        missing = [self.t.say("components", c.component) for c in statement.components
                   if not c.covered and not wrong.get(c.component)]
        if covered:
            lines.append(self.t.say("strategy", "covered", items=_list(covered)))
        if wrong_scope or wrong_advantage:
            named = _list(dict.fromkeys(wrong_scope))
            items = [self.t.say("wrong", "scope", named=named)] if wrong_scope else []
            items += [self.t.say("wrong", "advantage")] if wrong_advantage else []
            lines.append(self.t.say("strategy", "wrong", items=_list(items)))
            if missing:
                lines.append(self.t.say("strategy", "missing", items=_list(missing)))
            if wrong_scope and wrong_advantage:  # both parts are wrong: say both, quote ours
                return lines, self.t.say("coaching", "statement_wrong_both", named=named,
                                         ours=_in_scope_names(strategy),
                                         advantage=_gist(strategy.strategy.advantage))
            if wrong_scope:
                return lines, self.t.say("coaching", "statement_wrong_scope", named=named,
                                         ours=_in_scope_names(strategy))
            return lines, self.t.say("coaching", "statement_wrong_advantage",
                                     advantage=_gist(strategy.strategy.advantage))
        if missing:
            lines.append(self.t.say("strategy", "missing", items=_list(missing)))
            if not says_something:  # "idk", an emoji, "we sell software": not "add objectives"
                return lines, self.t.say("coaching", "statement_none")
            return lines, self.t.say("coaching", "statement_missing", component=missing[0])
        if not statement.within_limit:
            return lines, self.t.say("coaching", "statement_long", limit=limit)
        return lines, None


def _shows_work(evaluation: Evaluation) -> bool:
    """Whether there is anything to praise: a task done, a segment named, a statement that
    covers something. "idk", an emoji or a bare "calls" is never praised."""
    if evaluation.tasks is not None:
        return bool(evaluation.tasks.task_ids)
    if evaluation.question == "scope":
        return bool(evaluation.scope and evaluation.scope.segments)
    if evaluation.statement is not None:
        return any(c.covered for c in evaluation.statement.components)
    return False


def coaching_about(evaluation: Evaluation, strategy: Strategy,
                   history: TaskHistory | None = None,
                   answer: str | None = None) -> dict[str, str] | None:
    """What the coaching line is about, for integrations (`alignbot evaluate --json`): the same
    order of importance the writer follows - working against the strategy, an out-of-scope deal,
    a stalled task, a planned one, the critical task missing longest, then the scope or the
    statement."""
    if not evaluation.language_supported:
        return {"kind": "language", "id": evaluation.language or "",
                **({"state": "not_matched"} if evaluation.strategy_language else {})}
    tasks, scope, statement = evaluation.tasks, evaluation.scope, evaluation.statement
    out_of_scope = [m.segment_id for m in (scope.segments if scope else [])
                    if m.stated_as_played and not m.in_scope]
    if tasks is not None:
        tasks = with_concessions(tasks, strategy, answer)
        with reading(evaluation.language or "en"):
            tasks = _without_losses(tasks)
            effort = [u for u in tasks.unmapped if _is_effort(u.text)]
            result = ("win" if _win(tasks, answer, strategy, scope.segments if scope else [])
                      is not None else
                      "loss" if _result(tasks.unmapped, answer, _lost) is not None else None)
            work = _concrete(answer, [m.evidence for m in scope.segments] if scope else [])
            plan = work is not None and _is_plan(_typed(work))
        if tasks.against:
            first = coached_against(tasks.against, strategy)
            return {"kind": first.kind, "id": first.target, "state": "against"}
        if out_of_scope:  # as the writer: a deal where we don't play, whatever else was said
            return {"kind": "segment", "id": out_of_scope[0], "state": "out_of_scope"}
        if not tasks.matches and not effort:
            if not tasks.away and result is None and work is not None:
                return {"kind": "task", "id": FeedbackWriter._critical_for(tasks, strategy, history),
                        "state": "unplaced_plan" if plan else "unplaced"}
            return {"kind": "away" if tasks.away else result or "detail", "id": ""}
        stalled = tasks.ids_in("not_done")
        if stalled:
            return {"kind": "task", "id": stalled[0], "state": "not_done"}
        planned = tasks.ids_in("planned")
        if planned:
            return {"kind": "task", "id": planned[0], "state": "planned"}
        mentioned = {m.task_id for m in tasks.matches}
        missing = [t for t in tasks.critical_missing if t not in mentioned]
        if missing:
            chosen = (history.longest_without(missing)[0] if history and history.since
                      else missing[0])
            return {"kind": "task", "id": chosen, "state": "missing"}
        return {"kind": "activity", "id": ""} if effort else None
    if evaluation.question == "scope":
        if not scope or not scope.segments:
            return {"kind": "segments", "id": ""}
        if out_of_scope:
            return {"kind": "segment", "id": out_of_scope[0], "state": "out_of_scope"}
        return _scope_coaching_about(scope, strategy)
    if statement is not None:
        if out_of_scope:
            return {"kind": "statement", "id": "scope", "state": "wrong"}
        if statement_faults(evaluation, strategy).wrong_advantage:
            return {"kind": "statement", "id": "advantage", "state": "wrong"}
        missing_parts = [c.component for c in statement.components if not c.covered]
        if missing_parts:
            return {"kind": "statement", "id": missing_parts[0], "state": "missing"}
    return None


def _scope_coaching_about(scope: ScopeResult, strategy: Strategy) -> dict[str, str] | None:
    """After an out-of-scope segment, in `FeedbackWriter._scope`'s order: a role missing from a
    buying process described, a process not described at all, then our segments left out."""
    described = [p for p in scope.processes if p.stages_mentioned or p.roles_mentioned]
    gaps = [p for p in described if p.roles_missing]
    if gaps:
        return {"kind": "process", "id": gaps[0].segment_id, "state": "role_missing"}
    played_in = any(m.stated_as_played and m.in_scope for m in scope.segments)
    if played_in and not described and scope.processes:
        return {"kind": "process", "id": scope.processes[0].segment_id, "state": "unknown"}
    mentioned = {m.segment_id for m in scope.segments}
    missing = [s.id for s in strategy.segments if s.in_scope and s.id not in mentioned]
    return {"kind": "segment", "id": missing[0], "state": "missing"} if missing else None


def coached_against(against: list[Against], strategy: Strategy) -> Against:
    """The one thing worked against that the coaching is about. A concession is coached against
    what the strategy says about price: "threw in six months of free hosting" breaks the margin
    objective, even where a proof-of-concept task's "not a free trial" also matched it. Otherwise
    a task (it has an example to follow) before an objective."""
    pricing = _pricing(strategy)
    given = [a for a in against if (a.kind, a.target) in pricing and concedes(a.evidence.text)]
    # a discount is coached against what says price in its own words ("keine Rabattschlachten"),
    # not a four-week trial whose counter-example is a free one ("30 % Rabatt gegeben" is no
    # "opposite of" starting the trial)
    worded = [a for a in given if names_price(_target_text(a, strategy))]
    pool = worded or given or against
    return next((a for a in pool if a.kind == "task"), pool[0])


def _worded_against(against: list[Against], strategy: Strategy) -> list[Against]:
    """`against` as the ⛔ line names it: a concession goes against what says price in its own
    words ("Rohertragsmarge ... keine Rabattschlachten"), not also against a task that is about
    price only through a free trial among its counter-examples, where one does."""
    pricing = _pricing(strategy)

    def unworded(a: Against) -> bool:
        return ((a.kind, a.target) in pricing and bool(concedes(a.evidence.text))
                and not names_price(_target_text(a, strategy)))

    worded = {a.evidence.text for a in against if (a.kind, a.target) in pricing
              and concedes(a.evidence.text) and not unworded(a)}
    return [a for a in against if not (unworded(a) and a.evidence.text in worded)]


def _target_text(item: Against, strategy: Strategy) -> str:
    """The words of what `item` works against: a task's name and description, or the
    objective's text (as the verdict names it)."""
    if item.kind == "task":
        task = strategy.task(item.target)
        return f"{task.name} {task.description}"
    return item.name


def _pricing(strategy: Strategy) -> set[tuple[str, str]]:
    """(kind, id) of what the strategy says about price (`pricing_targets`: also an objective
    whose counter-examples are concessions though its text names no margin or discount, such as
    "Hold hardware at list - no free terminals")."""
    return {(kind, target) for kind, target, _ in pricing_targets(strategy)}


def _is_effort(text: str) -> bool:
    """An activity worth naming as off-strategy effort: more than one word, something a person
    wrote (not mash or emoji), at least one real word ("got Dr" is sentence debris), and not a
    remark about the buyer or the deal ("they're keen"; `is_remark`, in the language being
    read), nor work without a what or a whom ("did some calls", "the usual": `is_vague`), which
    is asked for detail instead; nor the rest of a prospect turned away ("Disqualified a
    startup, told them we're not a fit": `declines`), nor what the buyer did or wants ("they
    wanted it that way", "the client asked for a trial": `buyer_subject`) - the rep's effort is
    what the rep did; nor a deal won or lost ("signed Harbor CU", "closed lost Paylane":
    `reports_win`, `reports_loss`), a result. The rules evaluator lists neither; an LLM may
    quote one."""
    words = re.findall(r"[^\W\d_]{4,}", text)
    typed = [t.word for t in tokenize(text) if t.kind == WORD]
    return (len(text.split()) > 1 and bool(words) and assess(text).substantive
            and not _dependent(typed)
            and not is_remark(typed) and not is_vague(typed)
            and not declines(typed) and not buyer_subject(typed) and not _won(text)
            and not _lost(text))


_DEPENDENT_STARTS = tuple(tuple(phrase.split()) for phrase in (
    "so that", "because", "in order to", "to get them", "to get it", "so they", "so we",
    "damit", "weil", "sodass", "dass", "para que", "porque", "pour que", "parce que", "afin",
    "zodat", "omdat"))
"""What starts a clause that only says why the one before it was done ("..., damit die Praxis
noch dieses Quartal unterschreibt", "..., so that they sign this quarter"): in English, German,
Spanish, French and Dutch."""
_QUESTION_WORDS = wordset("""who what which when where why how whom whose wer wann warum
    welche welcher quién quien cuándo cuando cómo qué qui quand comment pourquoi wie wanneer hoe
    waarom""")
QUESTION_FRAGMENT_WORDS = 4
"""At most this many words after a question word: "who can block", "wer unterschreibt" - what
a review asked, not work done."""


def _dependent(typed: Sequence[str]) -> bool:
    """The clause only says why the work before it was done, or what someone asked: the
    sentence's debris, never an activity of its own."""
    if any(tuple(typed[:len(start)]) == start for start in _DEPENDENT_STARTS):
        return True
    return bool(typed) and typed[0] in _QUESTION_WORDS and len(typed) <= QUESTION_FRAGMENT_WORDS


_PIECES = re.compile(r"[,;.!?\n]|\s[-–—]\s")
_ITEM_END = re.compile(r"[;.!?\n]")
"""Where an item of an answer ends, for whose deal its work was: a semicolon separates items as a
full stop does ("1:1s with my reps; gave a startup 30% off" - the 1:1s were for no startup)."""
_JOINED = re.compile(r"\s*(?:and|und|y|e|et|en|&|\+)\s*", re.I)
"""What lies between two parts of one item the reader split ("deal reviews with Fin | and |
Ola on their committee plans")."""


def _for_deals_elsewhere(evaluation: Evaluation, strategy: Strategy,
                         answer: str | None) -> frozenset[tuple[int, int]]:
    """The evidence spans of tasks done in a sentence that names a segment we do not play in as
    where the work was, and none we play in ("Sent SOC 2 report to Citi, they want a demo"):
    the work was for that deal. Never a task about turning prospects away. Read in the
    answer's language (`reading`)."""
    mentions = evaluation.scope.segments if evaluation.scope else []
    tasks = evaluation.tasks
    if answer is None or tasks is None or not any(
            m.stated_as_played and not m.in_scope for m in mentions):
        return frozenset()
    ends = [m.end() for m in _ITEM_END.finditer(answer)]

    def sentence(position: int) -> int:
        return sum(1 for end in ends if end <= position)

    pieces = [m.end() for m in _PIECES.finditer(answer)]

    def piece(position: int) -> int:
        return sum(1 for end in pieces if end <= position)

    def for_out_of_scope(position: int) -> bool:
        """In the task's own clause, when that names a segment ("security questionnaire for a
        state agency, POC with Acme fintech"); else in its sentence ("Citi - sent our SOC 2")."""
        for where in (piece, sentence):
            named = [m for m in mentions if m.stated_as_played
                     and where(m.evidence.start) == where(position)]
            if named:
                return not any(m.in_scope for m in named)
        return False

    turning_away = {t.id for t in strategy.sales_tasks if declines(_typed(t.name))}
    done = [m.evidence for m in tasks.matches if m.state == "done" and m.evidence.text.strip()
            and m.task_id not in turning_away]
    # effort the reader mapped to no task is that deal's work too: "demo for JPMorgan" is no
    # effort outside the strategy next to "Out of scope: Global tier-1 banks", it is the deal
    return frozenset((e.start, e.end) for e in [*done, *tasks.unmapped]
                     if for_out_of_scope(e.start))


def _shown_as(match: TaskMatch, elsewhere: set[tuple[int, int]]) -> str:
    """The line a task match is shown on: its state's, or "elsewhere" for one done for a deal
    where we do not play."""
    if match.state == "done" and (match.evidence.start, match.evidence.end) in elsewhere:
        return "elsewhere"
    return match.state


def _concrete(answer: str | None, segments: Iterable[Evidence] = ()) -> str | None:
    """The answer's first clause that names work (`_is_effort`) for someone - a name ("demo for
    Caltrans next week": a rare word, see `bot.evaluation.words`) or a segment the reader found
    there ("a fintech") - and is not a result, a refusal or something not done; None when there
    is none ("back next week" names no one). Read in the answer's language."""
    from bot.evaluation.words import is_rare  # wordfreq: imported on first use

    at, named = 0, [e.start for e in segments]
    for piece in _PIECES.split(answer or ""):
        start = (answer or "").find(piece, at)
        at = start + len(piece)
        typed = _typed(piece)
        cue = negation_at(typed)
        whom = any(start <= n < at for n in named) or any(
            len(w) > 3 and is_rare(w) for w in re.findall(r"[^\W\d_]+", piece))
        if whom and _is_effort(piece.strip()) and (cue is None or cue_state(typed, cue) == "planned"):
            return piece.strip()
    return None


def _is_plan(typed: Sequence[str]) -> bool:
    """"demo for Acme next week", "will visit Harbourline", "booked for Tuesday": still to come."""
    cue = negation_at(typed)
    if cue is not None:
        return cue_state(typed, cue) == "planned"
    return post_state(typed) == "planned"


def _typed(text: str) -> list[str]:
    return [t.word for t in tokenize(text) if t.kind == WORD]


def _won(text: str) -> bool:
    return reports_win(_typed(text))


def _lost(text: str) -> bool:
    """`reports_loss`, with names told by their capital as typed ("lost Paylane", not "lost
    renewals")."""
    toks = [t for t in tokenize(text) if t.kind == WORD]
    return reports_loss([t.word for t in toks], [text[t.start:t.start + 1].isupper() for t in toks])


def _result(unmapped: Iterable[Evidence], answer: str | None,
            reports: Callable[[str], bool]) -> str | None:
    """The first clause that `reports` a deal's result (`_won`: "Closed Brightpay 🎉"; `_lost`:
    "lost Paylane to Vanta"), from what the reader left unmapped, else from the
    answer's text (a win alone is read as a remark, listed nowhere); None when there is none.
    Read in the answer's language (`reading`)."""
    texts = [e.text for e in unmapped] + (_PIECES.split(answer) if answer else [])
    return next((text.strip() for text in texts if reports(text)), None)


def _win(tasks: TasksResult, answer: str | None, strategy: Strategy,
         mentions: Sequence[SegmentMention] = ()) -> str | None:
    """The deal won to congratulate (`_result` with `_won`), or None - also when the win is
    none to praise: bought against the strategy (its sentence holds work against it: "Closed a
    deal with a startup after giving them 30% off", "waived the setup fee ... to get them
    signed"), for a deal where we don't play (its sentence names such a segment as worked), or
    one of our own tasks' steps ("drei Kriterien unterschrieben" is the trial's criteria signed,
    as the strategy's example says, not a customer). Read in the answer's language."""
    won = _result(tasks.unmapped, answer, _won)
    if won is None:
        return None
    at = answer.find(won) if answer else -1
    if at >= 0 and answer is not None:
        start = max((m.end() for m in _SENTENCE_END.finditer(answer, 0, at)), default=0)
        end_at = _SENTENCE_END.search(answer, at + len(won))
        end = end_at.start() if end_at else len(answer)

        def inside(e: Evidence) -> bool:
            return start <= e.start < end or e.start <= at < e.end

        if any(inside(a.evidence) for a in tasks.against) or any(
                inside(m.evidence) for m in mentions if m.stated_as_played and not m.in_scope):
            return None
    elif tasks.against:
        return None
    said = content_stems(won)
    steps = [content_stems(example) for task in strategy.sales_tasks for example in task.examples]
    if said and any(said <= step for step in steps):
        return None
    return won


def _without_losses(tasks: TasksResult) -> TasksResult:
    """A deal lost is no task done: "lost Paylane to Vanta on price" is not "Defend price with
    value" ticked. Such a match is left unmapped: a result, never listed as effort (`_is_effort`),
    and asked about when the answer says nothing else."""
    lost = [m for m in tasks.matches if m.state == "done" and _lost(m.evidence.text)]
    if not lost:
        return tasks
    return tasks.model_copy(update={"matches": [m for m in tasks.matches if m not in lost],
                                    "unmapped": [*tasks.unmapped, *(m.evidence for m in lost)]})


def _gist(text: str) -> str:
    """A strategy text's first part, up to its first sentence end, semicolon or dash: the
    coaching line quotes our advantage to someone who got it wrong, and a 60-word paragraph
    is not read in a chat ("... per-GB bills - so a firm's own lit support team can run ...")."""
    head = re.split(r"(?<=[.!?])\s|;\s|\s[-–—]\s", " ".join(text.split()), maxsplit=1)[0]
    return head.rstrip(" .,:;") + "."


def _deal_segments(evaluation: Evaluation) -> list[str]:
    """Segments of ours the answer names as where its deals are, in the order named."""
    scope = evaluation.scope.segments if evaluation.scope else []
    return list(dict.fromkeys(m.segment_id for m in scope if m.in_scope and m.stated_as_played))


def _language_name(code: str | None) -> str:
    if code is not None and code in PACKS:
        return PACKS[code].name
    return NAMES.get(code or "", code or "this language")


def _in_scope_names(strategy: Strategy) -> str:
    return _list(s.name for s in strategy.segments if s.in_scope)


_SENTENCE_END = re.compile(r"[.!?\n]")


def _sentence_of(answer: str | None, quote: str) -> str:
    """The sentence the quote is in, all of it: who could not be reached is often said before
    the stalled task ("couldn't get the CISO on the phone, security review still stuck")."""
    at = answer.find(quote) if answer else -1
    if answer is None or at < 0:
        return quote
    starts = [m.end() for m in _SENTENCE_END.finditer(answer[:at])]
    return answer[starts[-1] if starts else 0:at] + _with_rest(answer, quote)


def _with_rest(answer: str | None, quote: str) -> str:
    """The quote and the rest of its sentence: who holds the work up is often said after a comma
    ("No he podido hablar con el dueño, sigue sin contestar")."""
    at = answer.find(quote) if answer else -1
    if answer is None or at < 0:
        return quote
    rest = answer[at + len(quote):]
    end = _SENTENCE_END.search(rest)
    return quote + (rest[:end.start()] if end else rest)
