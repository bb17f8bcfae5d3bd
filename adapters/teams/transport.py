"""The Bot Connector's HTTP calls on one kept-alive aiohttp session, on the event loop.

msrest sends every call of botbuilder's connector client through `requests` in a worker thread
(`run_in_executor`): per reply that is a thread hand-off each way plus requests' and urllib3's
own request building - about 1 ms of CPU, more than half of a send. `KeptSessionSender` takes
the place of that sender in the kept clients (see credentials.py): the same request msrest built
(method, URL, headers, JSON body) goes out on one aiohttp session the process keeps, and the
answer comes back as msrest's own aiohttp response, so botbuilder deserializes it and raises its
`ErrorResponseException` for a non-2xx status exactly as before.

What connector.py relies on is kept: no retries below ours (aiohttp retries nothing), each call
bounded by the client's `connection.timeout` (which connector.py sets per turn), and a failure
without an HTTP answer raised as msrest's `ClientRequestError` whose `inner_exception` is the
cause - a `TimeoutError` when no answer came in time (the call may have been carried out), a
connection error otherwise. `AuthorizationPolicy` puts the credentials' bearer token on each
call, as msrest's requests-based policy did through `signed_session`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from msrest.exceptions import ClientRequestError
from msrest.pipeline import Request, Response
from msrest.pipeline.async_abc import AsyncHTTPPolicy, AsyncHTTPSender, AsyncPipeline
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http.aiohttp import AioHttpClientResponse
from yarl import URL

log = logging.getLogger(__name__)


class Sessions:
    """The process's one HTTP session for Bot Connector calls: made on first use (inside the
    running loop), closed at shutdown. A proxy named by HTTPS_PROXY / HTTP_PROXY (and not
    excluded by NO_PROXY) is used as requests used it, looked up once per origin: aiohttp's own
    `trust_env` would look it up, and for a .netrc, in a worker thread on every call."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[tuple[str, str, int | None], tuple[URL | None, aiohttp.BasicAuth | None]] = {}

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def proxy_for(self, url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
        """The proxy (and its credentials) for calls to `url`'s origin, from the environment."""
        target = URL(url)
        origin = (target.scheme, target.host or "", target.port)
        if origin not in self._proxies:
            try:
                self._proxies[origin] = get_env_proxy_for_url(target)
            except LookupError:  # no proxy for it
                self._proxies[origin] = (None, None)
        return self._proxies[origin]

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class _Headers:
    """What `signed_session` touches of a requests session: its headers."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


class AuthorizationPolicy(AsyncHTTPPolicy[Any, Any]):
    """The credentials' `Authorization` header on every call, as botframework's `signed_session`
    decides it (none for an anonymous app id: authentication off)."""

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request[Any], **kwargs: Any) -> Response[Any, Any]:
        holder = _Headers()
        self._credentials.signed_session(holder)
        if "Authorization" in holder.headers:
            request.http_request.headers["Authorization"] = holder.headers["Authorization"]
        assert self.next is not None  # the pipeline links every policy to the next step
        return await self.next.send(request, **kwargs)


class KeptSessionSender(AsyncHTTPSender[Any, Any]):
    """msrest's last pipeline step: the request on the kept session, bounded by `config`'s
    connection timeout at the time of the call."""

    def __init__(self, config: Any, sessions: Sessions) -> None:
        self._config = config
        self._sessions = sessions

    async def __aenter__(self) -> KeptSessionSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None  # the session is the process's, closed with it

    async def send(self, request: Request[Any], **config: Any) -> Response[Any, Any]:
        http = request.http_request
        if http.files:  # multipart: no Bot Connector call the bot makes sends files
            raise ClientRequestError("multipart bodies are not supported by this sender")
        timeout = float(getattr(self._config.connection, "timeout", 100) or 100)
        try:
            proxy, proxy_auth = self._sessions.proxy_for(http.url)
            async with asyncio.timeout(timeout):
                raw = await self._sessions.get().request(
                    http.method, http.url, headers=http.headers, data=http.data, proxy=proxy,
                    proxy_auth=proxy_auth)
                response = AioHttpClientResponse(http, raw)
                await response.load_body()
        except (aiohttp.ClientError, TimeoutError) as exc:  # as msrest's requests sender raises
            detail = f"timed out after {timeout:g} s" if isinstance(exc, TimeoutError) else \
                f"{type(exc).__name__}: {exc}"
            raise ClientRequestError(f"Error occurred in request, {detail}", exc) from exc
        return Response(request, response)


def use_kept_session(client: Any, sessions: Sessions) -> None:
    """Send `client`'s calls (a botframework connector client) through `sessions`: its pipeline
    rebuilt with msrest's own policies, the credentials as `AuthorizationPolicy`, and
    `KeptSessionSender` in place of the requests thread."""
    service = getattr(client, "_client", None)
    config = getattr(client, "config", None)
    pipeline = getattr(config, "pipeline", None)
    if service is None or config is None or not isinstance(pipeline, AsyncPipeline):
        return  # not msrest's async client: left as it is
    policies: list[Any] = [config.user_agent_policy]
    if config.credentials is not None:
        policies.append(AuthorizationPolicy(config.credentials))
    policies += [RawDeserializer(), config.http_logger_policy]
    config.pipeline = AsyncPipeline(policies, KeptSessionSender(config, sessions))


__all__ = ["AuthorizationPolicy", "KeptSessionSender", "Sessions", "use_kept_session"]
