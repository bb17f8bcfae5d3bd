"""Logging set-up: text or JSON lines, the level from settings, the ids of what is being handled
(platform request, check-in) on every line logged while handling it, and secrets masked.

The ids live in context variables, so they follow the work into the tasks it spawns
(`BotContext.spawn` copies the context) without being passed around. What is never logged at INFO:
answer text and secrets (tokens, signing secrets, webhook secrets) - log ids and counts instead.
Libraries log more at DEBUG (slack_sdk logs whole API responses, an OAuth install's new bot token
among them), so every line is masked on its way out: the configured secrets wherever they appear,
and anything shaped like a credential (Slack tokens, JWTs, Authorization values, passwords in URLs,
`access_token`-style fields).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

request_id: ContextVar[str | None] = ContextVar("alignbot_request_id", default=None)
checkin_id: ContextVar[int | None] = ContextVar("alignbot_checkin_id", default=None)
NOISY = ("alembic", "aiosqlite", "httpx", "httpx2", "openai", "apscheduler", "aiohttp.access")
MASK = "***"
_CREDENTIALS = re.compile(
    r"\bxox[a-z]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+"  # Slack bot, user, app-level tokens
    r"|\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"  # JWTs (Bot Framework, Azure AD)
    r"|(?<=[Bb]earer )[A-Za-z0-9._~+/=-]{8,}|(?<=[Bb]asic )[A-Za-z0-9+/=]{8,}"  # Authorization values
    r"|(?<=access_token.: .)[^'\"]+|(?<=refresh_token.: .)[^'\"]+|(?<=client_secret.: .)[^'\"]+"
    r"|(?<=_token=)[^&\s'\"]+|(?<=client_secret=)[^&\s'\"]+|(?<=password=)[^&\s'\"]+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@/\s]+(@)")  # user:password@host
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


# A PostgreSQL error's DETAIL line (e.g. `Key (event_id)=(what someone typed) already exists`):
# the values are people's input. (The engine keeps statement parameters out of errors itself:
# `hide_parameters`, see bot.storage.database.)
_DB_DETAIL = re.compile(r"(DETAIL:\s+).*")


class Redactor:
    """Masks known secret values and anything shaped like a credential in a log line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        known = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(s) for s in known)) if known else None

    def __call__(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(MASK, text)
        text = _DB_DETAIL.sub(rf"\g<1>{MASK}", text)  # PostgreSQL quotes the offending values
        return _URL_PASSWORD.sub(rf"\g<1>{MASK}\g<2>", _CREDENTIALS.sub(MASK, text))


class RedactingFormatter(logging.Formatter):
    """Formats with `inner` (text or JSON), then masks the whole line, traceback included."""

    def __init__(self, inner: logging.Formatter, redactor: Redactor) -> None:
        super().__init__()
        self.inner = inner
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        # Mask the message and traceback before the JSON formatter escapes their quotes (so
        # `'access_token': '...'` is still recognisable), then the finished line once more.
        clean = logging.makeLogRecord(record.__dict__)
        clean.msg, clean.args = self.redactor(record.getMessage()), None
        if record.exc_info:
            clean.exc_text = self.redactor(record.exc_text or self.inner.formatException(record.exc_info))
            clean.exc_info = None
        if record.stack_info:
            clean.stack_info = self.redactor(record.stack_info)
        return self.redactor(self.inner.format(clean))


def formatter(fmt: Literal["text", "json"]) -> logging.Formatter:
    return _JsonLines() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level: str, fmt: Literal["text", "json"] = "text", secrets: Iterable[str] = (),
              file: Path | None = None) -> None:
    """One handler on the root logger with the chosen format, masking `secrets` (the settings'
    secret values) and credential-shaped text: on stderr, or appended to `file` when the terminal
    belongs to a conversation (the console). Libraries that chatter at INFO are held to WARNING
    unless DEBUG is asked for, and Python's warnings are logged rather than printed."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_alignbot", False)]:
        root.removeHandler(old)
        old.close()
    handler = _destination(file)
    handler.setFormatter(RedactingFormatter(formatter(fmt), Redactor(secrets)))
    handler.addFilter(ContextIds())
    setattr(handler, "_alignbot", True)  # noqa: B010 - marks ours, for the next configure()
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    for noisy in NOISY:  # max(WARNING, DEBUG) would silence them at DEBUG too
        logging.getLogger(noisy).setLevel(logging.DEBUG if level == "DEBUG"
                                          else max(logging.WARNING, logging.getLevelName(level)))


def _destination(file: Path | None) -> logging.Handler:
    if file is None:
        return logging.StreamHandler()
    path = file.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return logging.FileHandler(path, encoding="utf-8", delay=True)
