"""Logging in to Salesforce with `simple-salesforce`: the username-password (SOAP) login or the
OAuth 2.0 JWT bearer flow, at the login host the settings name.

simple-salesforce builds its login addresses from a domain (`https://<domain>.salesforce.com`:
`login` for production, `test` for a sandbox, `<name>.my` for a My Domain), which is what
SALESFORCE_DOMAIN sets. Some set-ups need the login requests to go somewhere else entirely (a
corporate proxy, a test server): ALIGNBOT_SALESFORCE_LOGIN_URL sends every request for that
domain's address to the given URL instead, for both flows, while the library still builds the
requests itself (the SOAP envelope, the signed JWT assertion whose audience stays
`https://<domain>.salesforce.com`, as Salesforce expects).
"""

from __future__ import annotations

import jwt
import requests
from pydantic import SecretStr
from requests.adapters import HTTPAdapter
from simple_salesforce.exceptions import SalesforceAuthenticationFailed
from simple_salesforce.login import SalesforceLogin

from bot.config import Settings
from bot.leads.crm import CrmError


class _LoginHost(HTTPAdapter):
    """A transport that sends requests for `prefix` to `target` (the same path and query)."""

    def __init__(self, prefix: str, target: str) -> None:
        super().__init__()
        self.prefix, self.target = prefix, target.rstrip("/")

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: float | tuple[float | None, float | None] | None = None,
             verify: bool | str = True, cert: str | tuple[str, str] | None = None,
             proxies: dict[str, str] | None = None) -> requests.Response:
        url = request.url or ""
        if url.startswith(self.prefix):
            request.url = self.target + url[len(self.prefix):]
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                            proxies=proxies)


def login_address(settings: Settings) -> str:
    """Where simple-salesforce sends its login requests for this domain."""
    return f"https://{settings.salesforce_domain}.salesforce.com"


def route_logins(settings: Settings, http: requests.Session) -> None:
    """Send `http`'s login requests to ALIGNBOT_SALESFORCE_LOGIN_URL when it is set."""
    if settings.salesforce_login_url:
        http.mount(login_address(settings), _LoginHost(login_address(settings),
                                                       settings.salesforce_login_url))


def login(settings: Settings, http: requests.Session) -> tuple[str, str]:
    """A session id and the instance host, by the JWT bearer flow when a consumer key and a
    private key are set, else by username, password and security token."""
    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value else None

    try:
        if settings.salesforce_consumer_key and settings.salesforce_private_key_file:
            return SalesforceLogin(
                username=settings.salesforce_username,
                consumer_key=settings.salesforce_consumer_key,
                privatekey_file=str(settings.salesforce_private_key_file),
                domain=settings.salesforce_domain, session=http)
        return SalesforceLogin(
            username=settings.salesforce_username,
            password=secret(settings.salesforce_password),
            security_token=secret(settings.salesforce_security_token) or "",
            domain=settings.salesforce_domain, sf_version=settings.salesforce_api_version,
            session=http)
    except SalesforceAuthenticationFailed as exc:
        raise CrmError(f"Salesforce login failed: {exc}"[:300], transient=False) from None
    except OSError as exc:  # the private key file cannot be read
        if isinstance(exc, requests.RequestException):
            raise CrmError(f"Salesforce login: cannot reach Salesforce: {type(exc).__name__}",
                           transient=True) from None
        raise CrmError(f"Salesforce login: cannot read SALESFORCE_PRIVATE_KEY_FILE: "
                       f"{exc.strerror or exc}", transient=False) from None
    except (ValueError, jwt.PyJWTError) as exc:  # not a PEM private key
        raise CrmError(f"Salesforce login: SALESFORCE_PRIVATE_KEY_FILE is not a usable private"
                       f" key: {exc}"[:300], transient=False) from None
