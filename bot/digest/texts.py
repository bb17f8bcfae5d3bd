"""prompts/digest.yaml: every word of a digest, so people who run sales teams can edit it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.prompts import PromptsError, plural_form

FILE = "digest.yaml"


class DigestTexts:
    """Texts addressed by dotted path ("actions.articulation.text"), placeholders filled; a text
    with `one:`/`other:` forms is chosen by the `count` value."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PromptsError(f"{self.path}: cannot be read ({exc})") from None
        if not isinstance(data, dict):
            raise PromptsError(f"{self.path}: must be a YAML mapping")
        self.data: dict[str, Any] = data

    def say(self, path: str, **values: object) -> str:
        node: Any = self.data
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        node = plural_form(node, values)
        if not isinstance(node, str):
            raise PromptsError(f"{self.path}: missing text {path}")
        try:
            return " ".join(node.split()).format(**values)
        except (KeyError, IndexError) as exc:
            raise PromptsError(f"{self.path}: {path} uses an unknown placeholder {exc}") from None
