"""Fixtures shared by the adapter tests: the Bot Framework channel's signing key and the local
OpenID metadata / JWKS endpoint publishing it (as login.botframework.com does)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.bot_framework_auth import new_key, openid_server


@pytest.fixture(scope="module")
def channel_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture(scope="module")
def openid(channel_key: rsa.RSAPrivateKey) -> Iterator[str]:
    """The metadata document and JWKS botbuilder reads."""
    with openid_server(channel_key) as url:
        yield url
