"""A local Microsoft identity platform login endpoint over HTTPS on 127.0.0.1, for tests that run
botbuilder's real credential code: msal's client-credentials flow getting the access token the
Bot Connector calls carry.

    async with fake_bot_login(APP_ID, SECRET) as login:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", login.ca_file)   # msal trusts the test CA
        auth = BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD=SECRET,
                             TO_CHANNEL_FROM_BOT_LOGIN_URL=login.authority)

msal insists on an https authority and, for a host it does not know, asks Microsoft's instance
discovery service whether the authority exists - a call to the internet. An authority whose
tenant is `adfs` is one msal takes on the developer's word, so `authority` ends in `/adfs`:
msal then reads `/adfs/.well-known/openid-configuration` here and POSTs the client credentials
to the token endpoint it names, as it would at login.microsoftonline.com. The certificate comes
from a throwaway CA made by trustme.

A wrong app id or secret gets a 401 `invalid_client` (as Microsoft answers); `fail(status)` makes
the next token requests fail with that status; `tokens` counts the tokens issued.
"""

from __future__ import annotations

import ssl
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

import trustme
from aiohttp import web

TENANT = "adfs"
SCOPE = "https://api.botframework.com/.default"


@dataclass
class FakeBotLogin:
    app_id: str
    secret: str
    base_url: str = ""
    ca_file: str = ""
    tokens: int = 0
    requests: list[dict[str, str]] = field(default_factory=list)  # token requests, secret removed
    _failures: deque[int] = field(default_factory=deque)

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{TENANT}"

    def fail(self, status: int, times: int = 1) -> None:
        """The next `times` token requests are answered with HTTP `status`."""
        self._failures.extend([status] * times)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"/{TENANT}/.well-known/openid-configuration", self._openid)
        app.router.add_post(f"/{TENANT}/oauth2/token", self._token)
        return app

    async def _openid(self, request: web.Request) -> web.Response:
        return web.json_response({
            "issuer": self.authority, "authorization_endpoint": f"{self.authority}/oauth2/authorize",
            "token_endpoint": f"{self.authority}/oauth2/token"})

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        given = {k: str(v) for k, v in form.items()}
        secret = given.pop("client_secret", None)
        self.requests.append(given)
        if self._failures:
            status = self._failures.popleft()
            return _error(status, "temporarily_unavailable" if status >= 500 else "invalid_client")
        if (given.get("grant_type") != "client_credentials" or given.get("client_id") != self.app_id
                or secret != self.secret):
            return _error(401, "invalid_client")
        if given.get("scope") != SCOPE:
            return _error(400, "invalid_scope")
        self.tokens += 1
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                  "access_token": f"test-access-token-{self.tokens}"})


def _error(status: int, code: str) -> web.Response:
    description = {"invalid_client": "AADSTS7000215: Invalid client secret provided.",
                   "invalid_scope": "AADSTS70011: The provided scope is not valid."}.get(
        code, "AADSTS90033: A transient error has occurred.")
    return web.json_response({"error": code, "error_description": description}, status=status)


@asynccontextmanager
async def fake_bot_login(app_id: str, secret: str) -> AsyncIterator[FakeBotLogin]:
    """The login endpoint on a free port, served over TLS with a certificate for 127.0.0.1."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    login = FakeBotLogin(app_id, secret)
    runner = web.AppRunner(login.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context).start()
    login.base_url = f"https://127.0.0.1:{runner.addresses[0][1]}"
    with TemporaryDirectory() as folder:
        login.ca_file = str(Path(folder) / "ca.pem")
        ca.cert_pem.write_to_path(login.ca_file)
        try:
            yield login
        finally:
            await runner.cleanup()
