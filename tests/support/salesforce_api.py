"""A fake Salesforce on 127.0.0.1 over TLS, for tests that drive the real `simple-salesforce`.

It answers what the client sends, shaped after Salesforce's public SOAP and REST references:

- `POST /services/Soap/u/{version}` - the SOAP `login` (username, password + security token);
  a `loginResponse` with `sessionId` and `serverUrl` pointing back here, or a SOAP fault
  `INVALID_LOGIN`;
- `POST /services/oauth2/token` - the OAuth 2.0 JWT bearer flow: a form with `grant_type`
  `urn:ietf:params:oauth:grant-type:jwt-bearer` and an `assertion` whose RS256 signature is
  verified with `jwt_public_key` (and its `iss` = `consumer_key`, `sub` = the username, `aud` =
  `audience`, an `exp` not passed); `{"access_token", "instance_url", ...}` pointing back here,
  or 400 `{"error": "invalid_grant", "error_description": ...}` as Salesforce answers;
- `GET /services/data/v{version}/query/?q=SOQL` - the Lead query the connector builds (the
  `LastModifiedDate >=`, `Status IN (...)` and `IsConverted` conditions are applied, rows ordered
  by LastModifiedDate), `{"totalSize", "done", "records", "nextRecordsUrl"}` pages of `page_size`;
  `GET .../query/<locator>-<offset>` for the next page; the User and Task queries;
- `POST .../sobjects/Task/` (201 `{"id", "success", "errors"}`), `PATCH .../sobjects/Lead/<id>`
  and `.../sobjects/Contact/<id>` (204; 404 NOT_FOUND for an unknown id; a Contact has no
  Status: 400 INVALID_FIELD);
- the Contact query (`FROM Contact`), with the `Account` relationship of each Contact; a Lead-only
  field in it (Company, Status, Industry, IsConverted) gets 400 INVALID_FIELD.

Every REST request needs `Authorization: Bearer <session id>`; `expire()` makes the current
session invalid (401 INVALID_SESSION_ID, as Salesforce answers), `fail(path, status, code)` makes
the next request to a path fail once with Salesforce's error list (`skip=n`: the one after n
more), `refuse_sessions` answers every REST request 401. Requests are recorded.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import jwt
import trustme

USERNAME, PASSWORD, TOKEN = "bot@example.com", "pw", "tok"
VERSION = "59.0"


@dataclass
class FakeSalesforce:
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # id -> email
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    failures: list[list[Any]] = field(default_factory=list)  # path, status, code, after, skip
    logins: int = 0
    jwt_public_key: bytes = b""
    consumer_key: str = "3MVG9fake.consumer.key"
    audience: str = "https://login.salesforce.com"
    assertions: list[dict[str, Any]] = field(default_factory=list)  # verified JWT claims
    refuse_sessions: bool = False
    page_size: int = 2
    base_url: str = ""
    ca_file: str = ""
    _session: str = ""
    _ids: int = 0

    def lead(self, lead_id: str, **fields: Any) -> None:
        self.leads[lead_id] = {"Id": lead_id, "IsConverted": False, **fields}

    def contact(self, contact_id: str, **fields: Any) -> None:
        self.contacts[contact_id] = {"Id": contact_id, **fields}

    def account(self, account_id: str, **fields: Any) -> None:
        self.accounts[account_id] = {"Id": account_id, **fields}

    def user(self, user_id: str, email: str) -> None:
        self.users[user_id] = email

    def expire(self) -> None:
        self._session = ""

    def fail(self, path_part: str, status: int, code: str, after_processing: bool = False,
             skip: int = 0) -> None:
        """The next request whose path contains `path_part` fails once (`after_processing`: it
        is carried out first, and its answer lost; `skip`: that many matching requests first
        go through)."""
        self.failures.append([path_part, status, code, after_processing, skip])

    def _new_session(self) -> str:
        self.logins += 1
        self._session = f"00Dfake!session{self.logins}"
        return self._session

    def queries(self) -> list[str]:
        return [body for method, path, body in self.requests
                if method == "GET" and "/query" in path and isinstance(body, str)]


def _row(state: FakeSalesforce, sobject: str, row: dict[str, Any]) -> dict[str, Any]:
    """A record as the REST query answers it: relationships (Owner, a Contact's Account) as
    nested records."""
    out = {k: v for k, v in row.items() if k not in ("OwnerId", "IsConverted", "AccountId")}
    out["Owner"] = {"attributes": {"type": "User"}, "Email": state.users.get(row.get("OwnerId", ""))}
    if sobject == "Contact":
        account = state.accounts.get(row.get("AccountId", ""))
        out["AccountId"] = row.get("AccountId")
        out["Account"] = {"attributes": {"type": "Account"}, **{
            k: v for k, v in account.items() if k != "Id"}} if account else None
    out["attributes"] = {"type": sobject,
                         "url": f"/services/data/v{VERSION}/sobjects/{sobject}/{row['Id']}"}
    return out


LEAD_ONLY_FIELDS = ("Company", "Status", "Industry", "IsConverted")


def _lead_only_field(soql: str) -> str | None:
    """A Lead field a Contact query names (Contacts have none of these)."""
    found = re.match(r"SELECT (.*) FROM Contact WHERE (.*)", soql)
    if not found:
        return None
    names = re.findall(r"[\w.]+", found.group(1) + " " + found.group(2))
    return next((n for n in names if n in LEAD_ONLY_FIELDS), None)


def _record_query(state: FakeSalesforce, soql: str) -> list[dict[str, Any]]:
    sobject = re.search(r" FROM (\w+) ", soql)
    assert sobject and sobject.group(1) in ("Lead", "Contact"), soql
    records = state.leads if sobject.group(1) == "Lead" else state.contacts
    since = re.search(r"LastModifiedDate >= (\S+)", soql)
    statuses = re.search(r"Status IN \(([^)]*)\)", soql)
    wanted = re.findall(r"'((?:[^'\\]|\\.)*)'", statuses.group(1)) if statuses else None
    converted = "IsConverted = false" in soql
    rows = [r for r in records.values() if not (converted and r.get("IsConverted"))
            and (since is None or r["LastModifiedDate"][:19] >= since.group(1)[:19])
            and (wanted is None or r.get("Status") in wanted)]
    return [_row(state, sobject.group(1), r)
            for r in sorted(rows, key=lambda r: r["LastModifiedDate"])]


def _handler(state: FakeSalesforce) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any = None, content_type: str = "application/json") -> None:
            data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            self.send_response(status)
            if data:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, message: str) -> None:
            self._send(status, [{"message": message, "errorCode": code}])

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_POST(self) -> None:
            url = urlparse(self.path)
            raw = self._body()
            if url.path.startswith("/services/Soap/u/"):
                return self._login(raw.decode())
            if url.path == "/services/oauth2/token":
                return self._token(parse_qs(raw.decode()))
            self._rest("POST", url, json.loads(raw) if raw else None)

        def do_GET(self) -> None:
            self._rest("GET", urlparse(self.path), None)

        def do_PATCH(self) -> None:
            url = urlparse(self.path)
            raw = self._body()
            self._rest("PATCH", url, json.loads(raw) if raw else None)

        def _login(self, body: str) -> None:
            user = re.search(r"<n1:username>(.*?)</n1:username>", body)
            secret = re.search(r"<n1:password>(.*?)</n1:password>", body)
            state.requests.append(("POST", "login", user.group(1) if user else None))
            if not user or not secret or (user.group(1), secret.group(1)) != (USERNAME, PASSWORD + TOKEN):
                fault = ("<?xml version=\"1.0\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas."
                         "xmlsoap.org/soap/envelope/\" xmlns:sf=\"urn:fault.partner.soap.sforce.com\">"
                         "<soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode>"
                         "<faultstring>INVALID_LOGIN: Invalid username, password, security token;"
                         " or user locked out.</faultstring><detail><sf:LoginFault><sf:exceptionCode>"
                         "INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username,"
                         " password, security token; or user locked out.</sf:exceptionMessage>"
                         "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>")
                return self._send(500, fault.encode(), "text/xml")
            state._new_session()
            server = f"{state.base_url}/services/Soap/u/{VERSION}/00Dfake"
            ok = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv="
                  "\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns=\"urn:partner.soap.sforce.com\">"
                  "<soapenv:Body><loginResponse><result><metadataServerUrl>" + server +
                  "</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false"
                  "</sandbox><serverUrl>" + server + "</serverUrl><sessionId>" + state._session +
                  "</sessionId><userId>005fake</userId></result></loginResponse></soapenv:Body>"
                  "</soapenv:Envelope>")
            self._send(200, ok.encode(), "text/xml")

        def _token(self, form: dict[str, list[str]]) -> None:
            state.requests.append(("POST", "token", form.get("grant_type", [""])[0]))
            if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
                return self._send(400, {"error": "unsupported_grant_type",
                                        "error_description": "grant type not supported"})
            try:
                claims = jwt.decode(form.get("assertion", [""])[0], state.jwt_public_key,
                                    algorithms=["RS256"], audience=state.audience,
                                    options={"require": ["iss", "sub", "aud", "exp"]})
            except (jwt.PyJWTError, ValueError) as exc:
                return self._send(400, {"error": "invalid_grant",
                                        "error_description": f"invalid assertion: {exc}"})
            if claims["iss"] != state.consumer_key:
                return self._send(400, {"error": "invalid_client_id",
                                        "error_description": "client identifier invalid"})
            if claims["sub"] != USERNAME:
                return self._send(400, {"error": "invalid_grant",
                                        "error_description": "user hasn't approved this consumer"})
            state.assertions.append(claims)
            self._send(200, {"access_token": state._new_session(), "instance_url": state.base_url,
                             "id": f"{state.base_url}/id/00Dfake/005fake", "token_type": "Bearer",
                             "scope": "api", "issued_at": "1772458200000",
                             "signature": "c2lnbmF0dXJl"})

        def _rest(self, method: str, url: Any, body: Any) -> None:
            path = url.path
            query = parse_qs(url.query)
            soql = unquote(query["q"][0]) if "q" in query else None
            state.requests.append((method, path, soql if soql is not None else body))
            if (state.refuse_sessions or not state._session
                    or self.headers.get("Authorization") != f"Bearer {state._session}"):
                return self._error(401, "INVALID_SESSION_ID", "Session expired or invalid")
            failure = next((f for f in state.failures if f[0] in path), None)
            if failure is not None and failure[4]:
                failure[4] -= 1
                failure = None
            if failure is not None:
                state.failures.remove(failure)
                if failure[3]:  # carry it out, then lose the answer
                    self._route(method, path, soql, body)
                return self._error(failure[1], failure[2], "scripted failure")
            status, answer = self._route(method, path, soql, body)
            self._send(status, answer)

        def _route(self, method: str, path: str, soql: str | None, body: Any) -> tuple[int, Any]:
            base = f"/services/data/v{VERSION}"
            if method == "GET" and path.startswith(f"{base}/query"):
                if soql and (wrong := _lead_only_field(soql)):  # as Salesforce refuses them
                    return 400, [{"message": f"No such column '{wrong}' on entity 'Contact'.",
                                  "errorCode": "INVALID_FIELD"}]
                return 200, self._query(path, soql)
            if method == "POST" and path == f"{base}/sobjects/Task/":
                state._ids += 1
                task_id = f"00T{state._ids:015d}"
                state.tasks[task_id] = body
                return 201, {"id": task_id, "success": True, "errors": []}
            for sobject, records in (("Lead", state.leads), ("Contact", state.contacts)):
                if method == "PATCH" and path.startswith(f"{base}/sobjects/{sobject}/"):
                    record_id = path.rstrip("/").rsplit("/", 1)[1]
                    if record_id not in records:
                        return 404, [{"message": "The requested resource does not exist",
                                      "errorCode": "NOT_FOUND"}]
                    unknown = [k for k in body if sobject == "Contact" and k == "Status"]
                    if unknown:
                        return 400, [{"message": f"No such column '{unknown[0]}' on sobject of"
                                      " type Contact", "errorCode": "INVALID_FIELD"}]
                    records[record_id].update(body)
                    return 204, None
            return 404, [{"message": f"no route {method} {path}", "errorCode": "NOT_FOUND"}]

        def _query(self, path: str, soql: str | None) -> dict[str, Any]:
            locator = path.rstrip("/").rsplit("/", 1)[1]
            if soql is None and "-" in locator:  # the next page of an earlier query
                key, offset = locator.rsplit("-", 1)
                soql, start = bytes.fromhex(key).decode(), int(offset)
            else:
                start = 0
            assert soql is not None
            if " FROM User " in soql:
                email = re.search(r"Email = '([^']*)'", soql)
                rows: list[dict[str, Any]] = [{"Id": i} for i, e in state.users.items()
                                              if email and e == email.group(1)]
            elif " FROM Task " in soql:
                rows = [{"Id": i, "Description": t.get("Description")} for i, t in state.tasks.items()]
            else:
                rows = _record_query(state, soql)
            page = rows[start:start + state.page_size]
            answer: dict[str, Any] = {"totalSize": len(rows), "done": True, "records": page}
            if start + state.page_size < len(rows):
                answer["done"] = False
                answer["nextRecordsUrl"] = (f"/services/data/v{VERSION}/query/"
                                            f"{soql.encode().hex()}-{start + state.page_size}")
            return answer

    return Handler


@contextmanager
def fake_salesforce() -> Iterator[FakeSalesforce]:
    """The fake on a free port over TLS (a trustme CA; `ca_file` for REQUESTS_CA_BUNDLE)."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    state = FakeSalesforce()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.base_url = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    with TemporaryDirectory() as folder:
        state.ca_file = str(Path(folder) / "ca.pem")
        ca.cert_pem.write_to_path(state.ca_file)
        try:
            yield state
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
