"""The Bot Framework channel's side of authentication, on 127.0.0.1: an OpenID metadata document
and JWKS publishing a test signing key (as login.botframework.com does), and tokens signed with
it - or with any other key, to forge one. botbuilder fetches the keys with `requests`, so the
server runs in its own thread."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

APP_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
SERVICE_URL = "https://smba.trafficmanager.net/amer/"
ISSUER = "https://api.botframework.com"
KID = "test-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@contextmanager
def openid_server(key: rsa.RSAPrivateKey, trouble: dict[str, str] | None = None) -> Iterator[str]:
    """Serves the metadata (at the yielded URL) and the JWKS holding `key`'s public half.

    `trouble` (changed by the caller while it runs) breaks a path ("/openid" or "/keys"): "500"
    answers an error, "not json" a page that is not JSON, "empty" a JSON object without the
    expected field, "list" a JSON array, "no kid" (on "/keys") a key without its id, "not a
    list" (on "/keys") a key set whose keys are one object, "odd jwks_uri" (on "/openid") a
    metadata document naming its key set in a list."""
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=KID, use="sig", endorsements=["msteams"])
    broken = trouble if trouble is not None else {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{cast(ThreadingHTTPServer, self.server).server_port}"
            body: object = ({"issuer": ISSUER, "jwks_uri": f"{base}/keys",
                             "id_token_signing_alg_values_supported": ["RS256"]}
                            if self.path == "/openid" else {"keys": [jwk]})
            status, mode = 200, broken.get(self.path)
            if mode == "500":
                status, body = 500, {"error": "internal"}
            elif mode == "empty":
                body = {}
            elif mode == "list":
                body = [body]
            elif mode == "no kid":
                body = {"keys": [jwk, {k: v for k, v in jwk.items() if k != "kid"}]}
            elif mode == "not a list":
                body = {"keys": jwk}
            elif mode == "odd jwks_uri":
                body = {"issuer": ISSUER, "jwks_uri": [f"{base}/keys"]}
            data = b"<html>maintenance</html>" if mode == "not json" else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/openid"
    finally:
        server.shutdown()
        server.server_close()


def token(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    """A channel token for APP_ID signed with `key` (claims override the valid defaults)."""
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 10,
               "exp": now + 600, **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": KID})
