"""The chart is a real PNG of chat size (1200x675 px) that Pillow can decode, for a team with
history and for one with none."""

from __future__ import annotations

import io

from PIL import Image as PILImage
from sqlmodel import select

from bot.core import BotCore
from bot.digest.chart import render_chart
from bot.digest.service import DigestService
from bot.events import Image, MemberRef
from bot.storage.models import Member
from tests.support.talk import setup_team
from tests.unit.digest.support import Built, build_org
from tests.unit.digest.test_figures import figures_for

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_png(data: bytes) -> PILImage.Image:
    assert data.startswith(PNG_SIGNATURE)
    PILImage.open(io.BytesIO(data)).verify()  # a truncated or corrupt file raises here
    image = PILImage.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (1200, 675)
    assert 10_000 < len(data) < 400_000  # something drawn, small enough for chat
    return image


async def test_the_digest_carries_a_valid_chart(core: BotCore) -> None:
    await build_org(core)
    (message,) = await core.command(MemberRef("test", "sam"), "digest")
    (image,) = [b for b in message.blocks if isinstance(b, Image)]
    png = check_png(image.data)
    colours = png.convert("RGB").getcolors(maxcolors=1_000_000) or []
    assert len(colours) > 50  # lines, bars and text, not a blank canvas
    assert image.filename == "digest-2026-03-02.png" and "Sam's team" in image.alt


async def test_a_team_without_answers_still_gets_a_readable_chart(core: BotCore) -> None:
    await setup_team(core)  # Ada, Sam, Dana and Lee; nobody has answered anything
    _, figures = await figures_for(core, await members(core), "Sam")
    assert all(v is None for _, values in figures.series for v in values.values())
    check_png(render_chart(figures, DigestService(core.ctx).texts))


async def members(core: BotCore) -> Built:
    built = Built()
    async with core.ctx.db.session() as session:
        for member in (await session.exec(select(Member))).all():
            built.members[member.name] = member
    return built
