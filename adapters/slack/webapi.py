"""A Web API call with a JSON body, sent straight on the client's HTTP session.

`AsyncWebClient.api_call` does a lot per call that is the same every time: it joins the URL,
builds the headers (user agent, token), copies its arguments into request arguments, checks the
method against its deprecation list, wraps the request and every response for its retry
handlers, and builds a response object to validate. In a check-in fan-out that machinery cost
about as much CPU as the HTTP request itself. `JsonCalls` keeps the URL and headers per client
and method, sends the body as bytes, and does only the parts that matter:

- the same session: the client's kept-alive one, or a new one per call (closed after it) when the
  client has none, as slack_sdk does;
- the same retries: the client's own `retry_handlers` (adapters/slack/ratelimit.py's shared
  429 gate honouring Retry-After, 502/503 with backoff, slack_sdk's connection-error retry), asked
  the same way, with slack_sdk's request, response and state objects, whenever the answer is not
  a 200 or the call raised. A 200 is never retried by any of them, so it skips them;
- the same outcome: the answer's JSON when it is a 200 with `ok`, else `SlackApiError` with a
  response that has the status, headers and data, as `api_call` raises it.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.web.internal_utils import _get_url, get_user_agent

Json = dict[str, Any]
MAX_ATTEMPTS = 100  # slack_sdk's own safety bound on one call's retries


@dataclass
class _Target:
    """What every call of one client sends the same: its headers, and a URL per method."""

    token: str | None
    base_url: str
    headers: dict[str, str]
    urls: dict[str, str] = field(default_factory=dict)

    def url(self, method: str) -> str:
        if (url := self.urls.get(method)) is None:
            url = self.urls[method] = _get_url(self.base_url, method)
        return url


class JsonCalls:
    """POSTs of a JSON body to Web API methods, per client (see the module docstring)."""

    def __init__(self) -> None:
        self._targets: weakref.WeakKeyDictionary[AsyncWebClient, _Target] = \
            weakref.WeakKeyDictionary()

    def _target(self, client: AsyncWebClient) -> _Target:
        target = self._targets.get(client)
        if target is None or target.token != client.token or target.base_url != client.base_url:
            headers = {"User-Agent": get_user_agent()}  # merged as slack_sdk's _get_headers does
            if client.token:
                headers["Authorization"] = f"Bearer {client.token}"
            headers.update(client.headers)
            headers["Content-Type"] = "application/json;charset=utf-8"
            target = self._targets[client] = _Target(client.token, client.base_url, headers)
        return target

    async def call(self, client: AsyncWebClient, method: str, body: Json) -> Json:
        """`method` with `body` (the client's default parameters added, as api_call does)."""
        for name, value in client.default_params.items():
            body.setdefault(name, value)
        target = self._target(client)
        url, data = target.url(method), json.dumps(body).encode()
        options: Json = {"headers": target.headers, "data": data}
        if client.ssl is not None:
            options["ssl"] = client.ssl
        if client.proxy:
            options["proxy"] = client.proxy
        session = client.session
        if session is not None and not session.closed:
            return await _attempts(client, session, url, options)
        async with aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=client.timeout)) as own:
            return await _attempts(client, own, url, options)


async def _attempts(client: AsyncWebClient, session: aiohttp.ClientSession, url: str,
                    options: Json) -> Json:
    """Send until the answer is final or no retry handler takes it; as slack_sdk's loop does."""
    state: RetryState | None = None
    request: HttpRequest | None = None
    for _ in range(MAX_ATTEMPTS):
        response: HttpResponse | None = None
        try:
            async with session.post(url, **options) as res:
                status, headers = res.status, res.headers
                data = _json(await res.read(), res.content_type)
            if status == 200 and data.get("ok", False):
                return data
            response = HttpResponse(status_code=status, headers=dict(headers), body=data)
            failure: Exception | None = None
        except Exception as exc:  # every failure is the handlers' to judge, then raised
            failure = exc
        if state is None or request is None:
            state = RetryState()
            request = HttpRequest(method="POST", url=url, headers=options["headers"],
                                  data=options["data"])
        state.next_attempt_requested = False
        for handler in client.retry_handlers:
            if await handler.can_retry_async(state=state, request=request, response=response,
                                             error=failure):
                await handler.prepare_for_next_attempt_async(state=state, request=request,
                                                             response=response, error=failure)
                break
        if not state.next_attempt_requested:
            if failure is not None:
                raise failure
            assert response is not None
            raise _api_error(client, url, response)
    raise RuntimeError(f"{url}: gave up after {MAX_ATTEMPTS} attempts")


def _json(raw: bytes, content_type: str) -> Json:
    """The answer's JSON object; {} when it is not one (a proxy's error page, a cut body): the
    call then fails as a `SlackApiError` with the status, like any other failed answer."""
    if not content_type.endswith("json"):
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _api_error(client: AsyncWebClient, url: str, response: HttpResponse) -> SlackApiError:
    """As `AsyncSlackResponse.validate` raises it (status, headers and data on `response`)."""
    answer = AsyncSlackResponse(client=client, http_verb="POST", api_url=url, req_args={},
                                data=response.body or {}, headers=response.headers,
                                status_code=response.status_code)
    message = f"The request to the Slack API failed. (url: {url}, status: {response.status_code})"
    return SlackApiError(message=message, response=answer)  # type: ignore[no-untyped-call]


__all__ = ["JsonCalls"]
