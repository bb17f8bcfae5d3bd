"""Turns an Evaluation into the short message a person gets right after answering: what mapped,
what did not, critical gaps, out-of-scope warnings and one coaching suggestion grounded in the
strategy. Wording lives in prompts/feedback.yaml."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.evaluation.result import Evaluation, ScopeResult, StatementResult, TasksResult
from bot.events import Message, Text
from bot.prompts import PromptsError
from bot.strategy.schema import Strategy
from bot.text import shorten


class FeedbackTexts:
    """prompts/feedback.yaml, with placeholders filled on demand."""

    def __init__(self, path: Path) -> None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PromptsError(f"{path}: cannot be read ({exc})") from None
        if not isinstance(data, dict):
            raise PromptsError(f"{path}: must be a YAML mapping")
        self.data: dict[str, Any] = data
        self.path = path

    def say(self, section: str, key: str | None = None, **values: object) -> str:
        node: Any = self.data.get(section)
        if key is not None:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, str):
            raise PromptsError(f"{self.path}: missing text {section}.{key}")
        return node.format(**values)


def _list(items: Iterable[str]) -> str:
    return ", ".join(items)


def _quoted(texts: Iterable[str]) -> str:
    return _list(f'"{shorten(t, 60)}"' for t in texts)


class FeedbackWriter:
    """Builds feedback messages for one strategy's vocabulary."""

    def __init__(self, texts: FeedbackTexts) -> None:
        self.t = texts

    def message(self, evaluation: Evaluation, strategy: Strategy) -> Message:
        lines = self.lines(evaluation, strategy)
        title = self.t.say("title", evaluation.question)
        return Message(text="\n".join([title, *lines]),
                       blocks=(Text(title, style="heading"), *(Text(line) for line in lines)))

    def lines(self, evaluation: Evaluation, strategy: Strategy) -> list[str]:
        lines: list[str] = []
        coaching: str | None = None
        if evaluation.question == "tasks" and evaluation.tasks is not None:
            lines, coaching = self._tasks(evaluation.tasks, strategy)
            if evaluation.scope is not None:
                warning, advice = self._out_of_scope(evaluation.scope, strategy)
                lines += warning
                coaching = coaching or advice
        elif evaluation.question == "scope" and evaluation.scope is not None:
            lines, coaching = self._scope(evaluation.scope, strategy)
        elif evaluation.question == "strategy" and evaluation.statement is not None:
            lines, coaching = self._statement(evaluation.statement)
        lines.append(coaching or self.t.say("coaching", "well_done"))
        if evaluation.fallback_reason:
            lines.append(self.t.say("fallback_note", reason=evaluation.fallback_reason))
        return lines

    def _tasks(self, tasks: TasksResult, strategy: Strategy) -> tuple[list[str], str | None]:
        lines: list[str] = []
        if tasks.matches:
            by_task: dict[str, list[str]] = {}
            for match in tasks.matches:
                by_task.setdefault(match.task_id, []).append(match.evidence.text)
            lines.append(self.t.say("tasks", "mapped", items=_list(
                f"{strategy.task(tid).name} ({_quoted(ev[:1])})" for tid, ev in by_task.items())))
        if tasks.unmapped:
            lines.append(self.t.say("tasks", "unmapped", items=_quoted(e.text for e in tasks.unmapped)))
        if tasks.negated:
            lines.append(self.t.say("tasks", "negated", items=_quoted(e.text for e in tasks.negated)))
        if not tasks.matches and not tasks.unmapped:
            lines.append(self.t.say("tasks", "nothing", example=strategy.sales_tasks[0].examples[0]))
        missing = [strategy.task(tid) for tid in tasks.critical_missing]
        if missing:
            lines.append(self.t.say("tasks", "critical_missing", items=_list(t.name for t in missing)))
            task = missing[0]
            return lines, self.t.say("coaching", "critical_missing", task=task.name,
                                     description=task.description, example=task.examples[0])
        if tasks.unmapped:
            return lines, self.t.say("coaching", "off_strategy", activity=shorten(
                tasks.unmapped[0].text, 60), segments=_in_scope_names(strategy))
        return lines, None

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
                lines.append(self.t.say(
                    "scope", "process", segment=names[process.segment_id],
                    named=_list(process.stages_mentioned + process.roles_mentioned),
                    missing=_list(process.roles_missing) or "-"))
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
                          why=segment.description or "not in our scope",
                          segments=_in_scope_names(strategy))

    def _statement(self, statement: StatementResult) -> tuple[list[str], str | None]:
        limit, words = statement.word_limit, statement.word_count
        lines = [self.t.say("strategy", "length_ok", words=words, limit=limit) if statement.within_limit
                 else self.t.say("strategy", "length_over", words=words, limit=limit,
                                 over=words - limit)]
        covered = [self.t.say("components", c.component) for c in statement.components if c.covered]
        missing = [self.t.say("components", c.component) for c in statement.components if not c.covered]
        if covered:
            lines.append(self.t.say("strategy", "covered", items=_list(covered)))
        if missing:
            lines.append(self.t.say("strategy", "missing", items=_list(missing)))
            return lines, self.t.say("coaching", "statement_missing", component=missing[0])
        if not statement.within_limit:
            return lines, self.t.say("coaching", "statement_long", limit=limit)
        return lines, None


def _in_scope_names(strategy: Strategy) -> str:
    return _list(s.name for s in strategy.segments if s.in_scope)
