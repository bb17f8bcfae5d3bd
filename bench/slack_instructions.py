"""Instructions per Slack DM answer (its ack, bolt's or the adapter's dispatch, the unit of work,
the replies and the invitation's update), counted by callgrind: the figure machine load does not
change (issue 24), as `teams_instructions.py` counts a Teams chat answer. Needs valgrind.

Run inside valgrind:
  PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=OUT \
      .venv/bin/python bench/slack_instructions.py --reps 40 --callgrind
then divide OUT's `totals` by the reps. Without `--callgrind` it prints the bot's process CPU per
answer only.

The fake Slack Web API and the load generator run in spawned processes (not traced). The bot runs
here as `alignbot run` builds it for one workspace over HTTP (kept-alive session, signatures
checked): a warm-up (a slash command, so bolt has authorized, and question 1 answered by every
rep), then callgrind is switched on for the measured round (question 2 in each rep's DM), the
acks and all the work they start, and off.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.callgrind_round import measured_round, start_sender  # noqa: E402


async def main(reps: int, callgrind: bool) -> None:
    from bench import ack_latency as b
    from tests.support.slack_api import dm_event, slash_command

    _api_proc, api_conn, api_ready = b._serve_in_child(b.fake_slack_process, {"reps": reps})
    bursts = start_sender()
    from adapters.slack.app import EVENTS_PATH, SlackAdapter
    from adapters.slack.port import build_client, web_session
    from bot.events import MemberRef

    work = Path(tempfile.mkdtemp(prefix="slack-instr-"))
    core = await b._started_core({"db": f"sqlite:///{work / 'slack.db'}", "log": str(work / "bot.log")})
    http = web_session()
    client = build_client("xoxb-test-token", base_url=api_ready["base_url"], session=http)
    adapter = SlackAdapter(core, client, signing_secret=b.SECRET, host="127.0.0.1", http_port=0, session=http)
    await adapter.start()
    admin = MemberRef("slack", b.ADMIN)
    await core.command(admin, f"team add <@{b.ADMIN}> admin", platform_admin=True)
    for i in range(reps):
        await core.command(admin, f"team add <@{b.rep_id(i)}> rep")
    await core.command(admin, "ask now reps")
    await core.command(admin, "ask now reps confirm")
    await core.ctx.drain()
    await b._prepare_judging(core)
    b._settle_heap(core)
    url = f"http://127.0.0.1:{adapter.bound_port}{EVENTS_PATH}"
    users = [b.rep_id(i) for i in range(reps)]
    invitations = await b.Control(api_ready["control"])("invitations", users=users)

    async def send(requests: list[Any]) -> list[int]:
        return await bursts(url, requests)

    def answers(round_: int, question: str) -> list[Any]:
        return [b.slack_request("/slack/events", json.dumps(dm_event(
            u, f"{b.ANSWERS[question]} (rep {u}, round {round_})", f"Ev{round_}{u}",
            invitations[u]["channel"], ts=f"17724610{round_:02d}.{i:06d}")), "application/json")
            for i, u in enumerate(users)]

    respond = api_ready["base_url"].removesuffix("api/") + "respond/warm-up"
    warm = [b.slack_request("/slack/events", urlencode(slash_command(b.ADMIN, "help", respond)),
                            "application/x-www-form-urlencoded")] * 3
    assert set(await send(warm)) == {200}
    await core.ctx.drain()
    questions = list(b.ANSWERS)
    assert set(await send(answers(1, questions[0]))) == {200}
    await core.ctx.drain()
    measured = answers(2, questions[1])
    await measured_round(send, core.ctx.drain, measured, callgrind=callgrind)
    await bursts(url, None)
    api_conn.send("stop")
    await adapter.stop()
    await http.close()
    await core.ctx.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--callgrind", action="store_true", help="switch callgrind on for the measured round")
    options = parser.parse_args()
    asyncio.run(main(options.reps, options.callgrind))
