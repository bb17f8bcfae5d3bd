"""Reading the channel's signing keys (adapters/teams/signing_keys.py) from a local key server:
keys are kept only when both documents were read and make sense, and any failure is
`KeysUnavailable` - which the endpoint answers with 503, so Bot Framework retries - with the next
request trying again rather than an hour without keys. (tests/adapters/teams/test_auth.py checks
the 503 and the retry over HTTP.)"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from botframework.connector.auth import AuthenticationConstants, GovernmentConstants
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor, _OpenIdMetadata
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.teams.signing_keys import KeysUnavailable, SigningKeys, use_checked_keys
from tests.support.bot_framework_auth import KID, new_key, openid_server


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def trouble() -> dict[str, str]:
    return {}


@pytest.fixture
def url(key: rsa.RSAPrivateKey, trouble: dict[str, str]) -> Iterator[str]:
    with openid_server(key, trouble) as served:
        yield served


async def test_the_published_key_is_found(url: str, key: rsa.RSAPrivateKey) -> None:
    keys = SigningKeys(url)
    found = await keys.get(KID)
    assert found is not None and found.endorsements == ["msteams"]
    assert found.public_key.public_numbers() == key.public_key().public_numbers()
    assert keys.last_updated > datetime(2000, 1, 1)


@pytest.mark.parametrize(("path", "mode"), [
    ("/openid", "500"), ("/openid", "not json"), ("/openid", "empty"), ("/openid", "list"),
    ("/keys", "500"), ("/keys", "not json"), ("/keys", "empty"), ("/keys", "list"),
    ("/keys", "no kid"), ("/keys", "not a list"),
])
async def test_keys_that_cannot_be_read_are_unavailable_and_tried_again_next_time(
        url: str, trouble: dict[str, str], path: str, mode: str) -> None:
    keys = SigningKeys(url)
    trouble[path] = mode
    with pytest.raises(KeysUnavailable) as failed:
        await keys.get(KID)
    assert isinstance(failed.value, requests.RequestException)  # the endpoint's 503, not a 401
    assert (keys.keys, keys.last_updated) == ([], datetime.min)  # nothing half-read is kept
    trouble.clear()  # the key server is back: the next request reads the keys
    assert await keys.get(KID) is not None


@pytest.mark.parametrize("mode", ["empty", "odd jwks_uri"])
async def test_metadata_without_a_key_set_address_says_so(
        url: str, trouble: dict[str, str], mode: str) -> None:
    """The reason is logged with the 503: "names no jwks_uri" points at the metadata document,
    not at the network."""
    trouble["/openid"] = mode
    with pytest.raises(KeysUnavailable, match=r"/openid names no jwks_uri$"):
        await SigningKeys(url).get(KID)


async def test_a_key_server_that_is_down_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(KeysUnavailable, match="could not read"):
        await SigningKeys(f"http://127.0.0.1:{port}/openid").get(KID)


class Configuration:
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = "http://127.0.0.1:9/channel"
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = None  # not set: botbuilder's default applies


def test_every_metadata_url_the_configuration_may_use_reads_through_checked_keys(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cache: dict[str, Any] = {}
    monkeypatch.setattr(JwtTokenExtractor, "metadataCache", cache)
    read_before = _OpenIdMetadata(AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL)
    read_before.keys, read_before.last_updated = [{"kid": "k"}], datetime(2026, 3, 2)
    cache[read_before.url] = read_before
    use_checked_keys(Configuration())
    assert set(cache) == {
        "http://127.0.0.1:9/channel",
        AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        GovernmentConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
        GovernmentConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
    }
    assert all(type(k) is SigningKeys and k.url == url for url, k in cache.items())
    taken_over = cache[read_before.url]
    assert (taken_over.keys, taken_over.last_updated) == ([{"kid": "k"}], datetime(2026, 3, 2))
    assert cache["http://127.0.0.1:9/channel"].last_updated == datetime.min
    kept = cache["http://127.0.0.1:9/channel"]
    use_checked_keys(Configuration())  # again: the checked ones stay as they are
    assert cache["http://127.0.0.1:9/channel"] is kept
