"""The bot's own Bot Framework credentials and clients, made once and kept.

botbuilder's credential factory makes new credentials for every outbound call (each proactive
turn builds a connector client), and each new credentials object starts with an empty msal token
cache: every send would then request a fresh access token from the Microsoft login endpoint - a
blocking HTTPS round trip, on the event loop, before each message. Keeping the credentials per
(app id, scope, login endpoint) lets msal reuse the token until five minutes before it expires.

botbuilder's CloudAdapter also builds two clients for every turn, inbound or proactive: a connector
client and a user-token client. Each takes about 3 ms of CPU, nearly all of it msrest computing
the same retry policy again - so 200 activities arriving together waited over a second for their
acks on client construction alone. `KeptAuthentication` keeps what does not change from turn to
turn: the user-token client (it depends only on the app id; the bot does no user sign-in), and
the connector client of inbound turns (per app id, service URL and audience; the bot never calls
out through an inbound turn - replies go through proactive turns, see connector.py), and the
connector client of proactive turns, kept apart from the inbound ones: connector.py sets the
same timeout and retry hook on it at every turn, so one client per app id, service URL and
audience serves every send (msrest no longer rebuilds its 999-entry retry list per message).

The Bot Framework channel signs a token and reuses it on every request for its lifetime (about an
hour); botbuilder checks it again each time (five JWT parses, the signing key rebuilt from its
JWK, the signature: 0.2 ms, a third of an ack). `KeptAuthentication` keeps the outcome of a
successful check for that exact `Authorization` header together with the activity's channel and
service URL (the only parts of an activity the check reads), until the token's own `exp` - sooner
than botbuilder, which accepts a token for five minutes past it (and one without `exp`: both are
refused here). A different or altered header, a
different channel or service URL, a refused token or an expired one goes through botbuilder's
full check as before.

Two more costs of every proactive send are kept out of the way (`ActivityBodies` in wire.py, `KeptToken`):
msrest checks and serializes the activity's Adaptive Card - a plain JSON object - key by key
through its model machinery (about a third of a send's CPU), and botbuilder asks msal for the
access token before every call (a cache search, two correlation ids from `os.urandom`). The card
is now put into the serialized activity as it is, and a token msal would hand out for the next
minute anyway is reused for that minute. The
proactive clients' calls go out on one kept aiohttp session on the event loop instead of through
requests in a worker thread (transport.py), and their answers are read by the kept deserializer
(`KeptDeserializer`, wire.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.integration.aiohttp import (
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ConnectorFactory,
    ServiceClientCredentialsFactory,
)
from msrest import Deserializer, Serializer
from msrest.authentication import Authentication

from adapters.teams.signing_keys import use_checked_keys
from adapters.teams.transport import Sessions, use_kept_session
from adapters.teams.wire import ActivityBodies, KeptDeserializer

MAX_KEPT_CONNECTORS = 64  # service URLs are Microsoft's (checked against the token): a handful
MAX_KEPT_TOKENS = 1024  # valid tokens at once: one per channel region and key, renewed hourly
# How long the bot's own access token is reused without asking msal (see `KeptToken`).
TOKEN_KEPT_SECONDS = 60.0
MSAL_MARGIN_SECONDS = 300  # msal hands out a cached token only while it has more than this left


class KeptToken:
    """A credentials object's `get_access_token` that reuses a token for `TOKEN_KEPT_SECONDS`
    when msal itself would: only a token msal's cache holds with more than five minutes left
    after that time is kept, so within it msal would have answered with the same token (its
    own refresh of an ageing token comes at most that much later). A short-lived token, or
    credentials without an msal app and its token cache (`app.token_cache`), are asked for
    every time, as before. `force_refresh` always asks."""

    def __init__(self, credentials: Any, *, now: Callable[[], float] = time.monotonic) -> None:
        self._credentials = credentials
        self._fetch: Callable[..., str] = credentials.get_access_token
        self._now = now
        self._token: str | None = None
        self._until = 0.0

    def __call__(self, force_refresh: bool = False) -> str:
        if not force_refresh and self._token is not None and self._now() < self._until:
            return self._token
        token = self._fetch(force_refresh) if force_refresh else self._fetch()
        self._token, self._until = token, self._now() + self._reusable(token)
        return token

    def _reusable(self, token: str) -> float:
        """Seconds `token` may be reused: `TOKEN_KEPT_SECONDS` when msal's token cache holds it
        with enough time left, else 0."""
        cache = getattr(getattr(self._credentials, "app", None), "token_cache", None)
        if cache is None or not hasattr(cache, "search"):
            return 0.0
        now = time.time()
        for entry in cache.search(cache.CredentialType.ACCESS_TOKEN):
            if entry.get("secret") == token:
                left = float(entry.get("expires_on") or 0) - now
                return TOKEN_KEPT_SECONDS if left > MSAL_MARGIN_SECONDS + TOKEN_KEPT_SECONDS else 0.0
        return 0.0


class KeptCredentials(ServiceClientCredentialsFactory):  # type: ignore[misc]  # untyped base
    """botbuilder's configuration-driven factory, with the credentials it makes kept."""

    def __init__(self, configuration: Any) -> None:
        self._inner = ConfigurationServiceClientCredentialFactory(configuration)
        self._made: dict[tuple[str, str, str, bool], Authentication] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self._inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self._inner.is_authentication_disabled())

    async def create_credentials(self, app_id: str, oauth_scope: str, login_endpoint: str,
                                 validate_authority: bool) -> Authentication:
        key = (app_id or "", oauth_scope or "", login_endpoint or "", bool(validate_authority))
        if key not in self._made:
            made = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority)
            if callable(getattr(made, "get_access_token", None)):  # msrest calls it per request
                made.get_access_token = KeptToken(made)
            self._made[key] = made
        return self._made[key]


def app_id_of(claims: ClaimsIdentity) -> str:
    """The bot's app id as botbuilder reads it from a request's claims: the audience of a
    channel's token, else the appid claim (the emulator)."""
    value = claims.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if value is None:
        value = claims.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return str(value or "")


class KeptConnectors(ConnectorFactory):  # type: ignore[misc]  # untyped base
    """An inbound turn's connector factory that hands out the client made for the same app id,
    service URL and audience before."""

    def __init__(self, inner: ConnectorFactory, app_id: str, kept: dict[tuple[str, str, str], Any],
                 *, sessions: Sessions | None = None) -> None:
        self._inner = inner
        self._app_id = app_id
        self._kept = kept
        # proactive turns' clients: activities serialized by `ActivityBodies`, sent on the kept
        # session (transport.py)
        self._sessions = sessions

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (self._app_id, service_url or "", audience or "")
        client = self._kept.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            conversations = getattr(client, "conversations", None)
            if self._sessions is not None:
                if conversations is not None and isinstance(getattr(conversations, "_serialize", None),
                                                            Serializer):
                    conversations._serialize = ActivityBodies(conversations._serialize)
                if conversations is not None and isinstance(getattr(conversations, "_deserialize", None),
                                                            Deserializer):  # its answers (wire.py)
                    conversations._deserialize = KeptDeserializer(conversations._deserialize.dependencies)
                use_kept_session(client, self._sessions)
            if len(self._kept) >= MAX_KEPT_CONNECTORS:
                self._kept.clear()
            self._kept[key] = client
        return client


@dataclass(frozen=True)
class Checked:
    """What botbuilder concluded from a valid token, and until when it may be reused."""

    claims_identity: ClaimsIdentity
    audience: str | None
    caller_id: str | None
    connector_factory: ConnectorFactory | None
    expires: float  # the token's exp (seconds since the epoch)

    def result(self) -> AuthenticateRequestResult:
        result = AuthenticateRequestResult()
        result.claims_identity, result.audience = self.claims_identity, self.audience
        result.caller_id, result.connector_factory = self.caller_id, self.connector_factory
        return result


class KeptAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]  # untyped base
    """botbuilder's configuration-driven authentication with kept credentials, the clients
    every turn would otherwise build anew, and the outcome of checking a reused channel token
    (see the module docstring). `now` is the real clock tokens are checked against."""

    def __init__(self, configuration: Any, *, now: Callable[[], float] = time.time) -> None:
        super().__init__(configuration, credentials_factory=KeptCredentials(configuration))
        use_checked_keys(configuration)  # 503, not 401, when the keys cannot be read
        self._now = now
        self._connectors: dict[tuple[str, str, str], Any] = {}
        self._outbound: dict[tuple[str, str, str], Any] = {}  # proactive turns' (connector.py)
        self.sessions = Sessions()  # their HTTP session (transport.py)
        self._token_clients: dict[str, Any] = {}
        self._checked: dict[tuple[str, str, str], Checked] = {}

    def create_connector_factory(self, claims_identity: Any) -> Any:
        """A proactive turn's factory (every send, update and member lookup): it hands out the
        client made for the same app id, service URL and audience before."""
        return KeptConnectors(super().create_connector_factory(claims_identity),
                              app_id_of(claims_identity), self._outbound, sessions=self.sessions)

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        key = (auth_header or "", str(activity.channel_id or ""), str(activity.service_url or ""))
        checked = self._checked.get(key) if auth_header else None
        if checked is not None and self._now() < checked.expires:
            return checked.result()
        result = await super().authenticate_request(activity, auth_header)  # raises when refused
        self._refuse_expired(auth_header, result)
        if result.connector_factory is not None and result.claims_identity is not None:
            result.connector_factory = KeptConnectors(
                result.connector_factory, app_id_of(result.claims_identity), self._connectors)
        self._keep(key, result)
        return result

    def _refuse_expired(self, auth_header: str, result: Any) -> None:
        """botbuilder accepts a token without `exp`, and one up to five minutes past it (its
        clock tolerance): a token that was checked (a header, claims) must carry an `exp` still
        in the future. Raises PermissionError, which the caller answers with 401."""
        identity = result.claims_identity
        claims = (identity.claims or {}) if identity is not None else {}
        if not auth_header or not claims:  # authentication off: no token was checked
            return
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise PermissionError("the token has no expiry (exp)")
        if self._now() >= expires:
            raise PermissionError("the token has expired")

    def _keep(self, key: tuple[str, str, str], result: Any) -> None:
        """Keep a token's accepted check until the token expires (one without `exp` is not kept)."""
        identity = result.claims_identity
        expires = (identity.claims or {}).get("exp") if identity is not None else None
        if not key[0] or not getattr(identity, "is_authenticated", False) or not isinstance(expires, int):
            return
        if len(self._checked) >= MAX_KEPT_TOKENS:
            now = self._now()
            self._checked = {k: c for k, c in self._checked.items() if now < c.expires}
            if len(self._checked) >= MAX_KEPT_TOKENS:
                self._checked.clear()
        self._checked[key] = Checked(identity, result.audience, result.caller_id, result.connector_factory,
                                     float(expires))

    async def close(self) -> None:
        """Close the outbound calls' HTTP session (at shutdown)."""
        await self.sessions.close()

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> Any:
        app_id = app_id_of(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = await super().create_user_token_client(claims_identity)
            self._token_clients[app_id] = client
        return client
