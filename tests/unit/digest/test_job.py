"""The scheduled digest: `/align schedule add digest "mon 08:00" to=managers` sends each manager
their own team's digest of the week up to the run, at 08:00 their time, once per occurrence,
with the chart attached; people with no reports get nothing."""

from __future__ import annotations

from datetime import timedelta

from bot.core import BotCore
from bot.events import Image
from tests.support.ports import RecordingPort
from tests.support.talk import say
from tests.unit.digest.support import build_org


def digests(port: RecordingPort) -> list[tuple[str, str]]:
    return [(s.to.user_id, s.message.text) for s in port.sent if "Alignment digest" in s.message.text]


async def test_managers_get_their_teams_digest_at_their_local_time_once(
        core: BotCore, port: RecordingPort) -> None:
    await build_org(core)
    reply = await say(core, "ada", '/align schedule add digest "mon 08:00" to=managers')
    assert "#1 digest" in reply, reply

    await core.advance(timedelta(days=7))  # START is Monday 14:00 UTC: the next Monday runs

    sent = dict(digests(port))
    assert sorted(sent) == ["kim", "mia", "pat", "sam"]  # managers only, one each
    assert "Sam's team" in sent["sam"] and "Zed" not in sent["sam"] and "Dana" in sent["sam"]
    assert "Pat's team" in sent["pat"] and "Zed" in sent["pat"] and "Dana" not in sent["pat"]
    assert "Noor" in sent["mia"] and "Dana" in sent["mia"]  # nested teams rolled up
    # the week up to the run: Mon 2 Mar 08:00 to Mon 9 Mar 08:00 New York time
    assert "Mon 02 Mar 2026 to Mon 09 Mar 2026 (America/New_York)" in sent["sam"]
    (sam,) = [s for s in port.sent if s.to.user_id == "sam"]
    assert any(isinstance(b, Image) and b.data.startswith(b"\x89PNG") for b in sam.message.blocks)
    assert sam.message.key is not None and sam.message.key.startswith("j1:")

    await core.advance(timedelta(hours=2))  # later ticks do not send the same occurrence again
    assert len(digests(port)) == 4


async def test_reps_in_a_digest_schedule_get_nothing(core: BotCore, port: RecordingPort) -> None:
    await build_org(core)
    assert "#1" in await say(core, "ada", '/align schedule add digest "mon 08:00" to=reps')
    await core.advance(timedelta(days=7))
    assert digests(port) == []


async def test_a_scheduled_digest_runs_at_each_managers_own_zone(core: BotCore, port: RecordingPort) -> None:
    await build_org(core)
    assert "Europe/Berlin" in await say(core, "ada", "/align me tz Europe/Berlin member=Pat")
    await say(core, "ada", '/align schedule add digest "mon 08:00" to=managers')
    await core.advance(timedelta(days=7))
    keys = {s.to.user_id: s.message.key for s in port.sent if "Alignment digest" in s.message.text}
    # the key carries the occurrence: 08:00 Berlin is 07:00 UTC, 08:00 New York is 12:00 UTC (EDT)
    assert keys["pat"] is not None and keys["pat"].endswith("20260309T070000Z")
    assert keys["sam"] is not None and keys["sam"].endswith("20260309T120000Z")
    assert set(keys) == {"kim", "mia", "pat", "sam"}


async def test_a_failed_digest_is_retried_and_sent_once(core: BotCore, port: RecordingPort) -> None:
    await build_org(core)
    await say(core, "ada", '/align schedule add digest "mon 08:00" to=managers')
    port.fail_for["sam"] = False  # a transient failure (not permanent)
    await core.advance(timedelta(days=6, hours=22))  # Monday 12:00 UTC = 08:00 New York
    assert sorted(user for user, _ in digests(port)) == ["kim", "mia", "pat"]
    del port.fail_for["sam"]
    await core.advance(timedelta(minutes=30))  # the next tick repeats Sam's occurrence
    await core.advance(timedelta(hours=3))
    assert sorted(user for user, _ in digests(port)) == ["kim", "mia", "pat", "sam"]
