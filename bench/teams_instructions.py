"""Instructions per Teams chat answer (its ack, unit of work and reply), counted by callgrind:
the figure machine load does not change (issue 24). Not in `make bench`; needs valgrind.

Run inside valgrind (without it, it prints the bot's process CPU per answer instead):
  PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=OUT \
      .venv/bin/python bench/teams_instructions.py --reps 40
then divide OUT's `totals` by the reps.

The fake Bot Connector / OpenID / login and the load generator run in spawned processes (not
traced). The bot runs here: warm-up round (question 1 answered by every rep), then callgrind is
switched on for the measured round (question 2), the acks and all the work they start, and off.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.callgrind_round import measured_round, start_sender, under_valgrind  # noqa: E402


async def main(reps: int) -> None:
    from bench import ack_latency as b

    _fake_proc, fake_conn, fake = b._serve_in_child(b.fake_teams_process, {"reps": reps})
    bursts = start_sender()
    os.environ["REQUESTS_CA_BUNDLE"] = fake["ca_file"]
    from adapters.teams.app import MESSAGES_PATH, BotAuthConfig, TeamsAdapter
    from adapters.teams.convert import contact_info
    from adapters.teams.port import address_of
    from bot.events import MemberRef
    from tests.support.bot_framework_auth import APP_ID, ISSUER

    work = Path(tempfile.mkdtemp(prefix="h2-instr-"))
    core = await b._started_core({"db": f"sqlite:///{work / 'teams.db'}", "log": str(work / "bot.log")})
    auth = BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD=b.TEAMS_PASSWORD,
                         TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=ISSUER,
                         TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=fake["openid"],
                         TO_CHANNEL_FROM_BOT_LOGIN_URL=fake["authority"])
    adapter = TeamsAdapter(core, auth, host="127.0.0.1", http_port=0)
    await adapter.start()
    service = fake["service_url"]
    people = [(b.TEAMS_ADMIN, "Ada Admin", "ada@acme.example")] + [
        (b.teams_rep(i), f"Rep {i}", f"rep{i}@acme.example") for i in range(reps)]
    for user_id, name, email in people:
        reference = b.teams_reference(service, user_id, name)
        await adapter.contacts.remember(
            contact_info({"id": user_id, "name": name, "email": email, "aadObjectId": f"aad-{user_id}"},
                         b.TEAMS_TZ), address=address_of(reference), personal=True,
            conversation_id=reference.conversation.id)
    admin = MemberRef("teams", b.TEAMS_ADMIN)
    await core.command(admin, f"team add {b.TEAMS_ADMIN} admin", platform_admin=True)
    for i in range(reps):
        await core.command(admin, f"team add {b.teams_rep(i)} rep")
    await core.command(admin, "ask now reps")
    await core.command(admin, "ask now reps confirm")
    await core.ctx.drain()
    await b._prepare_judging(core)
    b._settle_heap(core)
    url = f"http://127.0.0.1:{adapter.bound_port}{MESSAGES_PATH}"

    async def send(requests: list[Any]) -> list[int]:
        return await bursts(url, requests)

    def answers(round_: int, question: str, tag: str) -> list[Any]:
        return [b.teams_request(b.teams_activity(
            service, b.teams_rep(i), f"Rep {i}", f"f:{tag}-{i}",
            text=f"{b.ANSWERS[question]} (rep {i}, round {round_})", textFormat="plain"), fake["token"])
            for i in range(reps)]

    warm = [b.teams_request(b.teams_activity(service, b.TEAMS_ADMIN, "Ada Admin", f"f:warm-{i}", text="help"),
                            fake["token"]) for i in range(3)]
    assert set(await send(warm)) == {200}
    await core.ctx.drain()
    questions = list(b.ANSWERS)
    assert set(await send(answers(1, questions[0], "w"))) == {200}
    await core.ctx.drain()
    measured = answers(2, questions[1], "m")
    await measured_round(send, core.ctx.drain, measured, callgrind=under_valgrind())
    await bursts(url, None)
    fake_conn.send("stop")
    await adapter.stop()
    await core.ctx.db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=40)
    asyncio.run(main(parser.parse_args().reps))
