"""Evaluators that judge how answers map to the strategy (rules by default, LLM when set up)."""
