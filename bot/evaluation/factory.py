"""Chooses the evaluator from settings: the offline rules by default, the LLM (with the rules as
its fallback) when configured. The LLM's module (and the openai client it imports, most of a
second) is loaded only when the LLM is chosen, so a deployment or CLI call without one starts
without it."""

from __future__ import annotations

from typing import Literal

from bot.config import Settings
from bot.evaluation.base import Evaluator
from bot.evaluation.rules import RulesEvaluator

EvaluatorChoice = Literal["auto", "rules", "llm"]
NO_KEY_NEEDED = "not-needed"  # local OpenAI-compatible servers (vLLM, Ollama) take any key


class EvaluatorConfigError(ValueError):
    """The LLM evaluator was asked for but cannot be reached with these settings."""


def build_evaluator(settings: Settings, choice: EvaluatorChoice | None = None) -> Evaluator:
    """`choice` overrides ALIGNBOT_EVALUATOR (the CLI's --evaluator)."""
    choice = choice or settings.evaluator
    rules = RulesEvaluator()
    wants_llm = choice == "llm" or (choice == "auto" and settings.openai_api_key is not None)
    if not wants_llm:
        return rules
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if key is None and settings.openai_base_url is None:
        raise EvaluatorConfigError(
            "The LLM evaluator needs OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server"
            " that takes no key); set one, or use ALIGNBOT_EVALUATOR=rules.")
    from bot.evaluation.llm import PROMPT_NAME, LLMEvaluator, load_prompt  # openai: 0.8 s to import

    return LLMEvaluator(rules, api_key=key or NO_KEY_NEEDED, base_url=settings.openai_base_url,
                        model=settings.openai_model, timeout=settings.openai_timeout,
                        max_retries=settings.openai_max_retries,
                        concurrency=settings.openai_concurrency,
                        deadline=settings.openai_budget,
                        prompt=load_prompt(PROMPT_NAME, settings.prompts_dir))
