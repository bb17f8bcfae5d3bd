"""A lean fake Slack Web API for the fan-out benchmark, run in a process of its own so that its
CPU is not counted against the bot's.

    python bench/fake_slack.py --port-file /tmp/port [--workspace-limit 300 --window 1]

It answers what a check-in fan-out calls (chat.postMessage, conversations.open,
conversations.history, auth.test) and counts, per DM channel, the posts carrying each outbox key
in their metadata, so the benchmark can check that every member got exactly one check-in.

With `--workspace-limit N --window W` it enforces Slack's chat.postMessage limits the way the
documentation describes them: about one message per second per channel (`--per-channel`,
seconds between posts to one channel) and a workspace-wide limit, here a token bucket of N
messages refilled at N per W seconds (bursts up to N allowed). Over a limit it answers HTTP 429
`{"ok": false, "error": "ratelimited"}` with `Retry-After` in whole seconds (at least 1), as
Slack does. GET /stats reports the counts; POST /reset clears them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import socket
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp import web

Json = dict[str, Any]


class Bucket:
    """N tokens, refilled continuously at N per `window` seconds."""

    def __init__(self, capacity: float, window: float) -> None:
        self.capacity, self.rate = capacity, capacity / window
        self.tokens, self.at = capacity, time.monotonic()

    def take(self) -> float:
        """0 if a token was taken; else the seconds until one is available."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FakeSlack:
    def __init__(self, workspace_limit: int | None, window: float, per_channel: float | None) -> None:
        self.workspace_limit, self.window, self.per_channel = workspace_limit, window, per_channel
        self.reset()

    def reset(self) -> None:
        self.bucket = Bucket(self.workspace_limit, self.window) if self.workspace_limit else None
        self.last_post: dict[str, float] = {}
        self.keys: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.history: dict[str, list[Json]] = defaultdict(list)
        self.accepted = self.rejected = self.opened = self.history_calls = 0
        self.times: list[float] = []  # when each post was accepted
        self.refused: list[float] = []  # when each 429 was answered
        self.first = self.last = 0.0
        self.ts = itertools.count(1)

    # --- methods ------------------------------------------------------------------------

    def limited(self, channel: str) -> float:
        """Seconds to wait if this post is over a limit, else 0 (and the post is counted)."""
        now = time.monotonic()
        if self.per_channel and now - self.last_post.get(channel, -math.inf) < self.per_channel:
            return self.per_channel - (now - self.last_post[channel])
        if self.bucket is not None and (wait := self.bucket.take()) > 0:
            return wait
        self.last_post[channel] = now
        return 0.0

    def post(self, args: Json) -> web.Response:
        channel = str(args["channel"])
        channel = "D" + channel[1:] if channel[:1] in ("U", "W") else channel
        if (wait := self.limited(channel)) > 0:
            self.rejected += 1
            self.refused.append(time.monotonic())
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(max(1, math.ceil(wait)))})
        now = time.monotonic()
        self.first = self.first or now
        self.last = now
        self.accepted += 1
        self.times.append(now)
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        key = ((metadata or {}).get("event_payload") or {}).get("key")
        ts = f"{1_772_460_000 + next(self.ts)}.000100"
        message = {"type": "message", "user": "U0BOT0001", "bot_id": "B0BOT0001", "ts": ts,
                   "text": args.get("text", ""), "blocks": args.get("blocks") or []}
        if key:
            self.keys[channel][key] += 1
            message["metadata"] = metadata
            self.history[channel].append({"ts": ts, "metadata": metadata})
        return web.json_response({"ok": True, "channel": channel, "ts": ts, "message": message})

    def stats(self) -> Json:
        counts = [n for per_key in self.keys.values() for n in per_key.values()]
        return {"accepted": self.accepted, "rejected": self.rejected, "opened": self.opened,
                "history_calls": self.history_calls, "channels": len(self.keys),
                "keys": len(counts), "duplicates": sum(n - 1 for n in counts if n > 1),
                "first": self.first, "last": self.last,
                "allowed_rate": self.workspace_limit / self.window if self.workspace_limit else None,
                "burst": self.workspace_limit, "idle": self.idle()}

    def idle(self) -> list[list[float]]:
        """Gaps of over 50 ms between accepted posts: (start after the first post, length)."""
        return [[round(a - self.first, 3), round(b - a, 3)]
                for a, b in zip(self.times, self.times[1:], strict=False) if b - a > 0.05]

    # --- HTTP -----------------------------------------------------------------------------

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: Json = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        if method == "chat.postMessage":
            return self.post(args)
        if method == "conversations.open":
            self.opened += 1
            return web.json_response({"ok": True, "channel": {"id": "D" + str(args["users"])[1:]}})
        if method == "conversations.history":
            self.history_calls += 1
            newest_first = list(reversed(self.history[str(args["channel"])]))
            return web.json_response({"ok": True, "messages": newest_first, "has_more": False})
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": "T0TEAM001", "user_id": "U0BOT0001",
                                      "bot_id": "B0BOT0001", "team": "Acme", "user": "alignbot",
                                      "url": "https://acme.slack.com/"})
        return web.json_response({"ok": False, "error": "unknown_method"})

    async def get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    async def post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port-file", type=Path, required=True, help="where to write the bound port")
    parser.add_argument("--workspace-limit", type=int, default=None,
                        help="chat.postMessage messages per window for the workspace (default: none)")
    parser.add_argument("--window", type=float, default=60.0, help="the workspace limit's window (s)")
    parser.add_argument("--per-channel", type=float, default=None,
                        help="seconds between two posts to one channel (Slack: about 1)")
    args = parser.parse_args()
    fake = FakeSlack(args.workspace_limit, args.window, args.per_channel)
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_route("*", "/api/{method}", fake.api)
    app.router.add_get("/stats", fake.get_stats)
    app.router.add_post("/reset", fake.post_reset)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    args.port_file.write_text(str(sock.getsockname()[1]))
    web.run_app(app, sock=sock, access_log=None, print=None)

if __name__ == "__main__":
    main()
