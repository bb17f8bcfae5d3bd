"""The token endpoint a Teams bot gets its Bot Connector access token from (Azure AD), on
127.0.0.1 over HTTPS - msal accepts nothing else - as an ADFS-style authority, which msal uses
without asking login.microsoftonline.com to validate it first.

`aad_token_server(client_secret)` yields the authority URL to put in botbuilder's
`TO_CHANNEL_FROM_BOT_LOGIN_URL`; the server's self-signed certificate is trusted by pointing
`REQUESTS_CA_BUNDLE` (msal and botbuilder use `requests`) at it for the duration. A token is issued
only for the right client secret, and every request is recorded.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import parse_qs

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ISSUED_ACCESS_TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJib3RmcmFtZXdvcmsifQ.Issued-Connector-Token"


@dataclass
class AadTokenServer:
    authority: str
    client_secret: str
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@contextmanager
def aad_token_server(client_secret: str) -> Iterator[AadTokenServer]:
    with TemporaryDirectory() as tmp:
        cert_file, key_file = _certificate(Path(tmp))
        state = AadTokenServer("", client_secret)

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # the ADFS authority's OpenID configuration
                base = state.authority
                self._send(200, {"issuer": base, "token_endpoint": f"{base}/oauth2/token",
                                 "authorization_endpoint": f"{base}/oauth2/authorize"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                state.token_requests.append(form)
                if form.get("client_secret") != [state.client_secret]:
                    self._send(401, {"error": "invalid_client", "error_description": "bad secret"})
                    return
                self._send(200, {"access_token": ISSUED_ACCESS_TOKEN, "token_type": "Bearer",
                                 "expires_in": 3600})

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        state.authority = f"https://127.0.0.1:{server.server_address[1]}/adfs"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        before = os.environ.get("REQUESTS_CA_BUNDLE")
        os.environ["REQUESTS_CA_BUNDLE"] = str(cert_file)
        try:
            yield state
        finally:
            if before is None:
                os.environ.pop("REQUESTS_CA_BUNDLE", None)
            else:
                os.environ["REQUESTS_CA_BUNDLE"] = before
            server.shutdown()
            server.server_close()
