"""Where the public specs live (../shared/specs beside the checkout; read, never copied).

A clone elsewhere (a CI workspace, /tmp) finds them through ALIGNBOT_SPECS_DIR or the workspace's
shared folder."""

from __future__ import annotations

import os
from pathlib import Path

from bot.config import REPO_ROOT

_CANDIDATES = (REPO_ROOT.parent / "shared" / "specs", Path("/work/shared/specs"))


def specs_dir() -> Path:
    if configured := os.environ.get("ALIGNBOT_SPECS_DIR"):
        return Path(configured)
    return next((path for path in _CANDIDATES if path.is_dir()), _CANDIDATES[0])


def spec(name: str) -> Path:
    return specs_dir() / name
