"""A database error names the statement but never its parameters: those are what people typed
(answers, notes, names), and a driver error's text reaches the logs with its traceback."""

from __future__ import annotations

import logging
import traceback
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from bot.ops.logs import ContextIds, RedactingFormatter, Redactor, formatter
from bot.storage.database import Database
from bot.storage.models import InboundEvent

TYPED = "my-private-answer-about-ledgerly"


async def test_a_database_error_does_not_carry_what_was_typed_into_the_log(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    now = datetime(2026, 3, 2, tzinfo=UTC)
    try:
        async with db.session() as session:
            session.add(InboundEvent(platform="test", event_id=TYPED, received_at=now))
        with pytest.raises(DBAPIError) as caught:
            async with db.session() as session:
                session.add(InboundEvent(platform="test", event_id=TYPED, received_at=now))
    finally:
        await db.dispose()
    error = caught.value
    assert "[parameters" not in "".join(traceback.format_exception(error))  # the engine hides them
    for fmt in ("text", "json"):
        record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "background task failed",
                                   None, (type(error), error, error.__traceback__))
        ContextIds().filter(record)
        line = RedactingFormatter(formatter(fmt), Redactor()).format(record)
        assert "inbound_events" in line  # the statement is still named, for whoever debugs it
        assert TYPED not in line, line
