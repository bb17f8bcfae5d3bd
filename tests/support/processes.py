"""Real bot processes for tests: start `alignbot run` with settings in its environment, stop or
kill it, read its log, and tell which of them made a request to a local fake server (by the TCP
port it called from, looked up in /proc: Linux only, as the test machines are)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import REPO_ROOT


def clean_environment(**settings: str) -> dict[str, str]:
    """This environment without any bot or platform settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "ALIGNBOT_"))}
    env.update(ALIGNBOT_STRATEGY_FILE=str(REPO_ROOT / "examples" / "strategy.yaml"), **settings)
    return env


@dataclass
class BotProcess:
    """`alignbot run --role ROLE` in its own OS process, logging to `log`."""

    name: str
    env: dict[str, str]
    folder: Path
    role: str = "scheduler"
    process: subprocess.Popen[bytes] | None = None
    ports: set[int] = field(default_factory=set)

    @property
    def log(self) -> Path:
        return self.folder / f"{self.name}.log"

    def start(self) -> BotProcess:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--role", self.role],
                                            cwd=self.folder, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def owns(self, port: int) -> bool:
        """Whether this process made a connection from `port` (refreshing what it has open)."""
        if port not in self.ports and self.running:
            self.ports |= socket_ports(self.pid)
        return port in self.ports

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine or the OOM killer takes it."""
        os.kill(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait(10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait (a graceful stop); the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def socket_ports(pid: int) -> set[int]:
    """Local TCP ports of the sockets process `pid` has open."""
    inodes = set()
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir() if fds.exists() else ():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
