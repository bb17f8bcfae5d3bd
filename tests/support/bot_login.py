"""A local Microsoft identity platform login endpoint over HTTPS on 127.0.0.1, for tests that run
botbuilder's real credential code: msal's client-credentials flow getting the access token the
Bot Connector calls carry.

    with fake_bot_login(APP_ID, SECRET) as login:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", login.ca_file)   # msal trusts the test CA
        auth = BotAuthConfig(APP_ID=APP_ID, APP_PASSWORD=SECRET,
                             TO_CHANNEL_FROM_BOT_LOGIN_URL=login.authority)

msal insists on an https authority and, for a host it does not know, asks Microsoft's instance
discovery service whether the authority exists - a call to the internet. An authority whose
tenant is `adfs` is one msal takes on the developer's word, so `authority` ends in `/adfs`:
msal then reads `/adfs/.well-known/openid-configuration` here and POSTs the client credentials
to the token endpoint it names, as it would at login.microsoftonline.com. The certificate comes
from a throwaway CA made by trustme.

It runs in its own thread: botbuilder fetches tokens with blocking `requests` calls, during a
send even on the event loop's thread, so a server on that loop would never answer.

A wrong app id or secret gets a 401 `invalid_client` (as Microsoft answers); `fail(status)` makes
the next token requests fail with that status; `tokens` counts the tokens issued.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import parse_qsl

import trustme

TENANT = "adfs"
SCOPE = "https://api.botframework.com/.default"
TOKEN_PREFIX = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJib3RmcmFtZXdvcmsifQ."  # JWT-shaped, as Azure AD's are
Json = dict[str, Any]


@dataclass
class FakeBotLogin:
    app_id: str
    secret: str
    base_url: str = ""
    ca_file: str = ""
    tokens: int = 0
    expires_in: int = 3599  # msal reuses a token until 5 minutes before it expires
    requests: list[dict[str, str]] = field(default_factory=list)  # token requests, secret removed
    _failures: deque[int] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def authority(self) -> str:
        return f"{self.base_url}/{TENANT}"

    def fail(self, status: int, times: int = 1) -> None:
        """The next `times` token requests are answered with HTTP `status`."""
        with self._lock:
            self._failures.extend([status] * times)

    def openid(self) -> Json:
        return {"issuer": self.authority, "authorization_endpoint": f"{self.authority}/oauth2/authorize",
                "token_endpoint": f"{self.authority}/oauth2/token"}

    def token(self, form: dict[str, str]) -> tuple[int, Json]:
        secret = form.pop("client_secret", None)
        with self._lock:
            self.requests.append(form)
            if self._failures:
                status = self._failures.popleft()
                return status, _error("temporarily_unavailable" if status >= 500 else "invalid_client")
            if (form.get("grant_type") != "client_credentials" or form.get("client_id") != self.app_id
                    or secret != self.secret):
                return 401, _error("invalid_client")
            if form.get("scope") != SCOPE:
                return 400, _error("invalid_scope")
            self.tokens += 1
            return 200, {"token_type": "Bearer", "expires_in": self.expires_in,
                         "ext_expires_in": self.expires_in,
                         "access_token": self.issued(self.tokens)}

    @staticmethod
    def issued(number: int) -> str:
        """The `number`th access token handed out (1-based)."""
        return f"{TOKEN_PREFIX}test-access-token-{number}"


def _error(code: str) -> Json:
    description = {"invalid_client": "AADSTS7000215: Invalid client secret provided.",
                   "invalid_scope": "AADSTS70011: The provided scope is not valid."}.get(
        code, "AADSTS90033: A transient error has occurred.")
    return {"error": code, "error_description": description}


def _handler(login: FakeBotLogin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as msal's requests session expects

        def do_GET(self) -> None:
            if self.path == f"/{TENANT}/.well-known/openid-configuration":
                self._answer(200, login.openid())
            else:
                self._answer(404, {"error": "not_found"})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            if self.path != f"/{TENANT}/oauth2/token":
                self._answer(404, {"error": "not_found"})
                return
            self._answer(*login.token(dict(parse_qsl(raw))))

        def _answer(self, status: int, body: Json) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_bot_login(app_id: str, secret: str) -> Iterator[FakeBotLogin]:
    """The login endpoint on a free port, served over TLS with a certificate for 127.0.0.1."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    login = FakeBotLogin(app_id, secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(login))
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    login.base_url = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-bot-login",
                              daemon=True)
    thread.start()
    with TemporaryDirectory() as folder:
        login.ca_file = str(Path(folder) / "ca.pem")
        ca.cert_pem.write_to_path(login.ca_file)
        try:
            yield login
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
