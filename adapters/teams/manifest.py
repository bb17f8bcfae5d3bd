"""The Teams app package: manifest.json (schema 1.16) and its two icons, zipped for sideloading.

Pure and offline: the manifest comes from settings (the bot's Microsoft App ID at least) and the
command registry (the command menu lists commands that work typed without `/align`); the icons
are drawn here and encoded as PNG with zlib, so packaging needs no image library.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.commands.registry import CommandSpec

MANIFEST_SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.16/MicrosoftTeams.schema.json"
ACCENT = (0x1F, 0x5F, 0xBF)
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# The command menu, in this order (Teams shows at most 10 per scope).
MENU = ("help", "me", "answers", "team list", "team add", "ask now", "schedule list", "schedule add",
        "strategy show", "holiday list")
Json = dict[str, Any]
Pixel = tuple[int, int, int, int]


class ManifestError(ValueError):
    """The settings cannot make a valid package (missing or malformed app id, bad URL)."""


@dataclass(frozen=True)
class PackageSettings:
    app_id: str
    version: str = "1.0.0"
    developer: str = "sales-align-bot"
    website: str = "https://github.com/sales-align-bot/sales-align-bot"
    privacy: str | None = None
    terms: str | None = None


def _https(url: str, what: str) -> str:
    if not url.startswith("https://"):
        raise ManifestError(f"{what} must be an https:// URL (got '{url}')")
    return url


def commands(specs: list[CommandSpec]) -> list[Json]:
    by_name = {s.name: s for s in specs}
    return [{"title": name[:32], "description": _describe(by_name[name])[:128]}
            for name in MENU if name in by_name]


def _describe(spec: CommandSpec) -> str:
    summary = spec.summary.split(" (")[0].split(";")[0]
    if spec.example == spec.name or len(summary) + len(spec.example) >= 120:
        return summary
    return f"{summary}. e.g. {spec.example}"


def manifest(settings: PackageSettings, specs: list[CommandSpec]) -> Json:
    if not GUID.match(settings.app_id or ""):
        raise ManifestError(f"MICROSOFT_APP_ID must be the bot's Microsoft App ID, a GUID like "
                            f"00000000-0000-0000-0000-000000000000 (got '{settings.app_id}')")
    website = _https(settings.website, "ALIGNBOT_TEAMS_WEBSITE_URL")
    scopes = ["personal", "team", "groupChat"]
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": "1.16",
        "version": settings.version,
        "id": settings.app_id,
        "developer": {
            "name": settings.developer[:32],
            "websiteUrl": website,
            "privacyUrl": _https(settings.privacy or website, "ALIGNBOT_TEAMS_PRIVACY_URL"),
            "termsOfUseUrl": _https(settings.terms or website, "ALIGNBOT_TEAMS_TERMS_URL"),
        },
        "name": {"short": "alignbot", "full": "sales-align-bot: strategy alignment check-ins"},
        "description": {
            "short": "Keeps your sales team aligned with its strategy.",
            "full": ("Asks reps and managers short alignment check-ins on a schedule, gives instant"
                     " feedback on how their work maps to the strategy's sales tasks and segments,"
                     " nudges lead follow-ups and sends managers team digests. Type 'help' to start."),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [{
            "botId": settings.app_id,
            "scopes": scopes,
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": scopes, "commands": commands(specs)}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


# --- icons ---------------------------------------------------------------------------------


def png(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An 8-bit RGBA PNG of `pixel(x, y)` (filter 0 per row, zlib-compressed IDAT)."""
    rows = b"".join(b"\x00" + b"".join(struct.pack("4B", *pixel(x, y)) for x in range(width))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))


def _inside_triangle(x: float, y: float, a: tuple[float, float], b: tuple[float, float],
                     c: tuple[float, float]) -> bool:
    def side(p: tuple[float, float], q: tuple[float, float]) -> float:
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])
    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def _compass(size: int, x: int, y: int) -> bool:
    """A ring with a needle pointing up-right: the "seller's compass"."""
    c = size / 2
    px, py = x + 0.5 - c, y + 0.5 - c
    distance = (px * px + py * py) ** 0.5
    ring = 0.34 * size <= distance <= 0.44 * size
    tip, tail = (0.26 * size, -0.26 * size), (-0.26 * size, 0.26 * size)
    wing = 0.08 * size
    needle = _inside_triangle(px, py, tip, (wing, wing), (-wing, -wing)) or _inside_triangle(
        px, py, tail, (wing, wing), (-wing, -wing))
    return ring or needle


def color_icon(size: int = 192) -> bytes:
    """Full colour: the accent colour with the white compass."""
    white, accent = (255, 255, 255, 255), (*ACCENT, 255)
    return png(size, size, lambda x, y: white if _compass(size, x, y) else accent)


def outline_icon(size: int = 32) -> bytes:
    """Transparent background, white compass (what Teams asks of outline icons)."""
    return png(size, size, lambda x, y: (255, 255, 255, 255) if _compass(size, x, y) else (0, 0, 0, 0))


def write_package(path: Path, settings: PackageSettings, specs: list[CommandSpec]) -> Json:
    """Write the zip (manifest.json, color.png, outline.png at its root); returns the manifest."""
    data = manifest(settings, specs)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, indent=2))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return data


__all__ = ["ManifestError", "PackageSettings", "color_icon", "manifest", "outline_icon", "png",
           "write_package"]
