"""The bot's own HTTP endpoints (health, the leads webhook) for when no platform adapter serves
HTTP: the console and Slack's Socket Mode. Adapters that do serve HTTP (Slack in HTTP mode,
Teams) mount the same routes with `mount_core_routes`, so every deployment has one port with
everything on it.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.context import BotContext
from bot.leads.webhook import LeadWebhook

log = logging.getLogger(__name__)


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def mount_core_routes(app: web.Application, ctx: BotContext) -> None:
    """Platform-neutral routes: POST /webhooks/leads and its events."""
    LeadWebhook(ctx).add_to(app)


class WebServer:
    """A small aiohttp server with /healthz and the core routes."""

    def __init__(self, ctx: BotContext, host: str = "0.0.0.0", port: int = 3000) -> None:
        self.ctx, self.host, self.port = ctx, host, port
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", _health)
        mount_core_routes(app, self.ctx)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("HTTP endpoints (leads webhook, /healthz) on http://%s:%s", self.host,
                 self.bound_port)

    @property
    def bound_port(self) -> int:
        assert self._runner is not None, "not started"
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
