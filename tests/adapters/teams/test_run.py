"""`alignbot run` with Teams settings, as a user starts it: a real process serving /healthz and
/api/messages (refusing an unsigned activity), stopped cleanly by Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.config import REPO_ROOT

APP_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, data: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_alignbot_run_serves_teams(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "ALIGNBOT_"))}
    env.update(MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="not-a-real-secret",
               ALIGNBOT_HTTP_PORT=str(port), ALIGNBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
               ALIGNBOT_STRATEGY_FILE=str(REPO_ROOT / "examples" / "strategy.yaml"),
               ALIGNBOT_LOG_LEVEL="INFO")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:  # wait for start-up (migrations, strategy), bounded
            try:
                assert get(f"{base}/healthz") == 200
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None and time.monotonic() < deadline, "the bot did not start"
                time.sleep(0.2)
        activity = b'{"type": "message", "text": "help", "serviceUrl": "https://smba.example/",' \
                   b' "channelId": "msteams", "from": {"id": "29:x"}, "conversation": {"id": "a:1"}}'
        assert get(f"{base}/api/messages", activity) == 401
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Teams adapter listening" in output and "/api/messages" in output
    assert "rejected a request without a valid Bot Framework token" in output
