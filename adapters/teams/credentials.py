"""The bot's own Bot Framework credentials, made once and kept.

botbuilder's credential factory makes new credentials for every outbound call (each proactive
turn builds a connector client), and each new credentials object starts with an empty msal token
cache: every send would then request a fresh access token from the Microsoft login endpoint - a
blocking HTTPS round trip, on the event loop, before each message. Keeping the credentials per
(app id, scope, login endpoint) lets msal reuse the token until five minutes before it expires.
"""

from __future__ import annotations

from typing import Any

from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import ServiceClientCredentialsFactory
from msrest.authentication import Authentication


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
            self._made[key] = await self._inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority)
        return self._made[key]
