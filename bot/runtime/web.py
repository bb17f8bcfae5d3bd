"""The bot's own HTTP endpoints (health, readiness, metrics, the leads webhook) for when no
platform adapter serves HTTP: the console, Slack's Socket Mode, and the scheduler role. Adapters
that do serve HTTP (Slack in HTTP mode, Teams) mount the same routes with `mount_core_routes`, so
every deployment has one port with everything on it.

Every request handled on such an app gets a request id (the caller's `X-Request-Id`, else a new
one), echoed in the response and carried by every log line written while handling it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import SecretStr

from bot.context import BotContext
from bot.leads.webhook import LeadWebhook
from bot.ops import logs
from bot.ops.health import Readiness
from bot.ops.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-Id"
WEBHOOK_PREFIX = "/webhooks/"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def mount_core_routes(app: web.Application, ctx: BotContext) -> None:
    """Platform-neutral routes: POST /webhooks/leads and its events, plus /readyz and /metrics."""
    LeadWebhook(ctx).add_to(app)
    mount_ops_routes(app, ctx)


def mount_ops_routes(app: web.Application, ctx: BotContext) -> None:
    """GET /readyz and GET /metrics, and request ids and webhook counts for the whole app."""
    readiness = Readiness(ctx)

    async def ready(request: web.Request) -> web.Response:
        report = await readiness.report()
        if not report.ready:
            log.warning("not ready: %s", ", ".join(report.failed))
        return web.json_response(report.body(), status=200 if report.ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        if not _bearer_ok(request, ctx.settings.metrics_token):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"},
                                text="GET /metrics needs Authorization: Bearer <ALIGNBOT_METRICS_TOKEN>")
        response = web.Response(body=ctx.metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    app.router.add_get("/readyz", ready)
    app.router.add_get("/metrics", metrics)
    app.middlewares.append(_request_context(ctx))


def _bearer_ok(request: web.Request, token: SecretStr | None) -> bool:
    """No token configured: open. Else the request must carry it (compared in constant time)."""
    if token is None:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token.get_secret_value()}".encode())


def _request_context(ctx: BotContext) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        rid = request.headers.get(REQUEST_ID_HEADER, "").strip()[:64] or logs.new_request_id()
        status = 500
        with logs.bound(request=rid):
            try:
                response = await handler(request)
                status = response.status
            except web.HTTPException as exc:
                status = exc.status
                exc.headers[REQUEST_ID_HEADER] = rid
                raise
            finally:
                if request.path.startswith(WEBHOOK_PREFIX):
                    ctx.metrics.webhook_requests.labels(str(status)).inc()
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = rid
        return response

    return middleware


# Connections the kernel queues before the event loop accepts them. aiohttp's default (128) is
# less than one burst of Slack deliveries (200 reps answering at once): the excess SYNs are
# dropped and the sender retries after 1 s, then 3 s - past Slack's 3 s ack deadline.
LISTEN_BACKLOG = 1024


class HttpSite:
    """One aiohttp app listening on a host and port: the start/stop/port plumbing every HTTP
    endpoint of the bot shares (the bot's own server, Slack's HTTP mode, Teams)."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None

    async def start(self, app: web.Application, host: str, port: int) -> None:
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port, backlog=LISTEN_BACKLOG).start()

    @property
    def port(self) -> int:
        """The port actually listened on (useful with port 0)."""
        assert self._runner is not None, "not started"
        return int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class WebServer:
    """A small aiohttp server with /healthz, /readyz, /metrics and (with `intake`) the leads
    webhook; the scheduler role serves it without intake."""

    def __init__(self, ctx: BotContext, host: str = "0.0.0.0", port: int = 3000,
                 intake: bool = True) -> None:
        self.ctx, self.host, self.port, self.intake = ctx, host, port, intake
        self._site = HttpSite()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", _health)
        if self.intake:
            mount_core_routes(app, self.ctx)
        else:
            mount_ops_routes(app, self.ctx)
        return app

    async def start(self) -> None:
        await self._site.start(self.app(), self.host, self.port)
        log.info("HTTP endpoints (%s/healthz, /readyz, /metrics) on http://%s:%s",
                 "leads webhook, " if self.intake else "", self.host, self.bound_port)

    @property
    def bound_port(self) -> int:
        return self._site.port

    async def stop(self) -> None:
        await self._site.stop()
