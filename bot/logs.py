"""Logging set-up: text or JSON lines, the level from settings, and the ids of what is being
handled (platform request, check-in) on every line logged while handling it.

The ids live in context variables, so they follow the work into the tasks it spawns
(`BotContext.spawn` copies the context) without being passed around. What is never logged at INFO:
answer text and secrets (tokens, signing secrets, webhook secrets) - log ids and counts instead.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("alignbot_request_id", default=None)
checkin_id: ContextVar[int | None] = ContextVar("alignbot_checkin_id", default=None)
NOISY = ("alembic", "aiosqlite", "httpx", "openai", "apscheduler", "aiohttp.access")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(ids)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


@contextmanager
def bound(*, request: str | None = None, checkin: int | None = None) -> Iterator[None]:
    """Log lines inside carry these ids (only those given; others keep their current value)."""
    request_token = request_id.set(request[:64]) if request is not None else None
    checkin_token = checkin_id.set(checkin) if checkin is not None else None
    try:
        yield
    finally:
        if checkin_token is not None:
            checkin_id.reset(checkin_token)
        if request_token is not None:
            request_id.reset(request_token)


class ContextIds(logging.Filter):
    """Puts `request_id` and `checkin_id` on every record (None when unknown), and `ids`, their
    short text form for the text format."""

    def filter(self, record: logging.LogRecord) -> bool:
        request, checkin = request_id.get(), checkin_id.get()
        parts = [f"request={request}" if request else "",
                 f"checkin={checkin}" if checkin is not None else ""]
        shown = " ".join(p for p in parts if p)
        record.__dict__.update(request_id=request, checkin_id=checkin,
                               ids=f" [{shown}]" if shown else "")
        return True


class _JsonLines(JsonFormatter):
    """JSON with the context ids; the text-only `ids` attribute is left out."""

    def __init__(self) -> None:
        super().__init__(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger",
                                                     "asctime": "time"})

    def add_fields(self, log_record: dict[str, object], record: logging.LogRecord,
                   message_dict: dict[str, object]) -> None:
        super().add_fields(log_record, record, message_dict)
        log_record.pop("ids", None)
        if log_record.get("request_id") is None:
            log_record.pop("request_id", None)
        if log_record.get("checkin_id") is None:
            log_record.pop("checkin_id", None)


def formatter(fmt: Literal["text", "json"]) -> logging.Formatter:
    return _JsonLines() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str, fmt: Literal["text", "json"] = "text") -> None:
    """One stderr handler on the root logger with the chosen format; libraries that chatter at
    INFO are held to WARNING unless DEBUG is asked for."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_alignbot", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))
    handler.addFilter(ContextIds())
    handler._alignbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
