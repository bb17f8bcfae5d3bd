"""The suite's own environment: whatever the caller exported or keeps in `.env`, tests see only
the settings they set themselves.

A developer with `ALIGNBOT_STRATEGY_FILE`, a Slack token or an OpenAI key exported (or in the
checkout's `.env`) must get the same results as CI. So before any test module is imported, the
bot's and platforms' variables leave `os.environ` - except the documented test-database ones -
and `ALIGNBOT_ENV_FILE` is set empty so no `Settings()` (in this process or in the bot processes
the end-to-end tests start) reads a dotenv file. Proxy variables go too: every test talks to
servers on 127.0.0.1, and a proxy would send that traffic elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

from bot.config import ENV_FILE_VARIABLE

SETTING_PREFIXES = ("ALIGNBOT_", "SLACK_", "MICROSOFT_", "OPENAI_")
KEPT = frozenset({"ALIGNBOT_TEST_POSTGRES_URL", "ALIGNBOT_REQUIRE_POSTGRES",
                  "ALIGNBOT_TEST_FANOUT_RUNS"})  # the last: how often a stress test repeats
PROXIES = ("http_proxy", "https_proxy", "all_proxy", "ws_proxy", "wss_proxy")


def hermetic(environ: MutableMapping[str, str]) -> list[str]:
    """Make `environ` the suite's own; the names removed, for the record."""
    removed = sorted(name for name in environ
                     if (name.upper().startswith(SETTING_PREFIXES) and name.upper() not in KEPT)
                     or name.lower() in PROXIES)
    for name in removed:
        del environ[name]
    environ[ENV_FILE_VARIABLE] = ""
    environ["NO_PROXY"] = environ["no_proxy"] = "127.0.0.1,localhost,::1"
    return removed


def make_this_process_hermetic() -> list[str]:
    return hermetic(os.environ)
