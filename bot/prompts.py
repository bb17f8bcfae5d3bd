"""Loads the texts the bot says (questions, messages, feedback) from the `prompts/` folder.

Wording belongs to people who run sales teams, not to code: they edit YAML files, and a broken
file is reported with what to fix rather than crashing at the first message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.evaluation.result import QUESTIONS, Question

# Keys of later files must not repeat earlier ones.
MESSAGE_FILES = ("messages.yaml", "leads.yaml", "strategy.yaml")


class PromptsError(Exception):
    """A prompts file is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class QuestionText:
    id: Question
    label: str
    text: str
    hint: str


@dataclass(frozen=True)
class QuestionSet:
    intro: str
    questions: tuple[QuestionText, ...]

    def index_of(self, question: Question) -> int:
        return next(i for i, q in enumerate(self.questions) if q.id == question)


def plural_form(node: Any, values: dict[str, Any]) -> Any:
    """A text written as `{one: ..., other: ...}` becomes the form for `values["count"]`, so
    the wording says "1 lead" and "3 leads", never "1 lead(s)"; any other node is returned as is."""
    if isinstance(node, dict) and "other" in node:
        return node.get("one", node["other"]) if values.get("count") == 1 else node["other"]
    return node


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PromptsError(f"{path}: file not found; check ALIGNBOT_PROMPTS_DIR") from None
    except yaml.YAMLError as exc:
        raise PromptsError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise PromptsError(f"{path}: must be a YAML mapping")
    return data


def _question_set(path: Path, audience: str, data: Any) -> QuestionSet:
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise PromptsError(f"{path}: '{audience}' needs an 'intro' and a 'questions' list")
    texts = []
    for item in data["questions"]:
        if not isinstance(item, dict) or item.get("id") not in QUESTIONS or not item.get("text"):
            raise PromptsError(f"{path}: each {audience} question needs id (one of"
                               f" {', '.join(QUESTIONS)}) and text; got {item!r}")
        texts.append(QuestionText(item["id"], str(item.get("label") or item["id"]),
                                  " ".join(str(item["text"]).split()), str(item.get("hint", ""))))
    if sorted(q.id for q in texts) != sorted(QUESTIONS):
        raise PromptsError(f"{path}: '{audience}' must ask each of {', '.join(QUESTIONS)} once")
    return QuestionSet(" ".join(str(data.get("intro", "")).split()), tuple(texts))


class Prompts:
    """All bot texts, loaded once at start-up."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        questions = _read_yaml(directory / "questions.yaml")
        self.question_sets = {
            audience: _question_set(directory / "questions.yaml", audience, questions.get(audience))
            for audience in ("rep", "manager")
        }
        self._messages: dict[str, Any] = {}
        for name in MESSAGE_FILES:
            self._messages.update({k: v if isinstance(v, dict) and "other" in v else str(v)
                                   for k, v in _read_yaml(directory / name).items()})

    def questions(self, audience: str) -> QuestionSet:
        return self.question_sets["manager" if audience == "manager" else "rep"]

    def say(self, key: str, **values: Any) -> str:
        """A message template from messages.yaml with its placeholders filled."""
        try:
            template = str(plural_form(self._messages[key], values))
        except KeyError:
            raise PromptsError(f"{self.directory / 'messages.yaml'}: missing key '{key}'") from None
        return " ".join(template.split()).format(**values)

    def text(self, name: str) -> str:
        """A whole prompt file (e.g. an LLM system prompt)."""
        path = self.directory / name
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PromptsError(f"{path}: file not found") from None
