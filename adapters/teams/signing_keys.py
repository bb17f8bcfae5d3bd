"""The Bot Framework channel's signing keys, fetched so that "cannot fetch them" is never "bad token".

botbuilder reads the keys behind its OpenID metadata documents itself (`_OpenIdMetadata`, one per
URL, kept in `JwtTokenExtractor.metadataCache`), and when that fails it fails like a forged token:
a metadata document without `jwks_uri`, or a key set that is not JSON, raises a KeyError or a
ValueError that we would answer with 401, and Bot Framework does not retry a 401 - the person's
message is lost. Worse, it marks the keys fresh before it has read them, so one bad answer from the
key server leaves it with no keys, refusing every token for an hour.

`SigningKeys` fetches the same two documents (in a thread, with a timeout: botbuilder's blocking
`requests` call would otherwise stall the event loop, without a bound), keeps the keys only once
both were read and checked, and raises `KeysUnavailable` (a `requests.RequestException`, which
the endpoint answers with 503, so the channel retries) for any failure. `use_checked_keys` puts one
in botbuilder's cache for each metadata URL the configuration names, before botbuilder makes its
own. Which key signed a token, and everything else about checking it, stays botbuilder's.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import requests
from botframework.connector.auth import AuthenticationConstants, GovernmentConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata

FETCH_TIMEOUT = 10.0  # seconds for each of the two documents


class KeysUnavailable(requests.RequestException):
    """The signing keys could not be read (the key server is down, slow, or answered nonsense)."""


class SigningKeys(_OpenIdMetadata):  # type: ignore[misc]  # untyped base
    """botbuilder's per-URL key cache, refreshed all-or-nothing (see the module docstring)."""

    async def _refresh(self) -> None:
        self.keys = await asyncio.to_thread(self._fetch)
        self.last_updated = datetime.now()  # only now: a failure leaves the next request to retry

    def _fetch(self) -> list[dict[str, Any]]:
        metadata = _document(self.url)
        keys_url = metadata.get("jwks_uri")
        if not isinstance(keys_url, str) or not keys_url:
            raise KeysUnavailable(f"the OpenID metadata at {self.url} names no jwks_uri")
        keys = _document(keys_url).get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, dict) and "kid" in k for k in keys):
            raise KeysUnavailable(f"the key set at {keys_url} holds no list of keys")
        return keys


def _document(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT)
        response.raise_for_status()
        data = response.json()
    except requests.RequestException as exc:  # refused, timed out, an error status, not JSON
        raise KeysUnavailable(f"could not read {url}: {type(exc).__name__}") from exc
    if not isinstance(data, dict):
        raise KeysUnavailable(f"{url} did not answer a JSON object")
    return data


def use_checked_keys(configuration: Any) -> None:
    """Make botbuilder read the keys of every metadata URL `configuration` may use through
    `SigningKeys` (a URL it already read with its own is taken over, keys and all)."""
    urls = {
        getattr(configuration, "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL", None)
        or AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        getattr(configuration, "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL", None)
        or AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        GovernmentConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        GovernmentConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    }
    cache: dict[str, Any] = JwtTokenExtractor.metadataCache
    for url in urls:
        current = cache.get(url)
        if not isinstance(current, SigningKeys):
            keys = SigningKeys(url)
            if current is not None:
                keys.keys, keys.last_updated = current.keys, current.last_updated
            cache[url] = keys


__all__ = ["FETCH_TIMEOUT", "KeysUnavailable", "SigningKeys", "use_checked_keys"]
