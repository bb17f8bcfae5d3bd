"""A fake HubSpot CRM API on 127.0.0.1 for tests that drive the real `hubspot-api-client`.

It answers what the client sends, shaped after HubSpot's public API reference (CRM v3):

- `POST /crm/v3/objects/contacts/search` - filterGroups (EQ, GTE, IN, CONTAINS_TOKEN), sorts by
  one property ascending, `limit`, `after` paging; `{"total", "results", "paging": {"next":
  {"after", "link"}}}`;
- `GET /crm/v3/owners/` - `limit`, `after`; owners with id, email, type;
- `POST /crm/v3/objects/tasks` and `/notes` - properties and associations, 201 with the object;
  `POST /crm/v3/objects/{tasks,notes}/search` for the marker search;
- `PATCH /crm/v3/objects/contacts/{id}` - properties, 200 with the object, 404 for an unknown id.

Every request needs `Authorization: Bearer <token>` (401 otherwise). `limit(...)` turns on
HubSpot's rate limits, counted on the test's clock: a rolling window of `per_window` requests
per `interval_ms` and a daily budget, reported on every answer except searches'
(`X-HubSpot-RateLimit-Max/-Remaining/-Interval-Milliseconds/-Daily/-Daily-Remaining`, as
HubSpot's usage guidelines list them), searches limited to `search_per_second`; a request over
a limit gets HubSpot's 429 (`policyName` TEN_SECONDLY_ROLLING, SECONDLY or DAILY) and is
counted in `throttled`. Failures are scripted per
path: `server.fail("/crm/v3/objects/tasks", 429, {"Retry-After": "2"})` makes the next
matching request fail once with HubSpot's error body (`skip=n`: the one after n more;
`after_processing`: the work is done, then the error is answered - a lost answer). Every request is recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

STAMP = "2026-03-01T00:00:00.000Z"
TOKEN = "pat-test-token"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class Failure:
    path: str
    status: int
    headers: dict[str, str]
    method: str | None = None
    after_processing: bool = False  # do the work, then answer with the error (a lost answer)
    skip: int = 0  # matching requests let through before this one fails


@dataclass
class Limits:
    """HubSpot's rate limits as the fake enforces them, on the test's clock (seconds)."""

    now: Callable[[], float]
    per_window: int
    interval_ms: int = 10_000
    daily: int = 250_000
    daily_used: int = 0
    search_per_second: int = 5
    calls: list[float] = field(default_factory=list)  # times of non-search requests
    searches: list[float] = field(default_factory=list)

    def admit(self, search: bool) -> tuple[str | None, dict[str, str]]:
        """The 429 policy this request breaks (None: admitted), and the headers to answer."""
        now = self.now()
        if self.daily_used >= self.daily:
            return "DAILY", self.headers(now)
        if search:
            recent = [t for t in self.searches if t > now - 1.0]
            if len(recent) >= self.search_per_second:
                return "SECONDLY", {}
            self.searches.append(now)
            self.daily_used += 1
            return None, {}  # the search endpoints send no rate limit headers
        if len(self.in_window(now)) >= self.per_window:
            return "TEN_SECONDLY_ROLLING", self.headers(now)
        self.calls.append(now)
        self.daily_used += 1
        return None, self.headers(now)

    def in_window(self, now: float) -> list[float]:
        return [t for t in self.calls if t > now - self.interval_ms / 1000]

    def headers(self, now: float) -> dict[str, str]:
        return {"X-HubSpot-RateLimit-Interval-Milliseconds": str(self.interval_ms),
                "X-HubSpot-RateLimit-Max": str(self.per_window),
                "X-HubSpot-RateLimit-Remaining": str(max(0, self.per_window
                                                         - len(self.in_window(now)))),
                "X-HubSpot-RateLimit-Daily": str(self.daily),
                "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, self.daily - self.daily_used))}


@dataclass
class FakeHubSpot:
    """The server's state; tests add contacts and owners and read what was written."""

    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    owners: list[dict[str, Any]] = field(default_factory=list)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    base_url: str = ""
    limits: Limits | None = None
    throttled: list[str] = field(default_factory=list)  # paths answered 429 by `limits`
    _ids: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def contact(self, contact_id: str, **properties: str) -> None:
        self.contacts[contact_id] = {"hs_object_id": contact_id, **properties}

    def owner(self, owner_id: str, email: str) -> None:
        self.owners.append({"id": owner_id, "email": email, "firstName": email.split("@")[0],
                            "lastName": "", "userId": int(owner_id), "type": "PERSON",
                            "createdAt": STAMP, "updatedAt": STAMP, "archived": False})

    def fail(self, path: str, status: int, headers: dict[str, str] | None = None,
             times: int = 1, method: str | None = None, after_processing: bool = False,
             skip: int = 0) -> None:
        self.failures += [Failure(path, status, headers or {}, method, after_processing, skip)
                          for _ in range(times)]

    def limit(self, now: Callable[[], float], per_window: int, *, daily: int = 250_000,
              daily_used: int = 0) -> Limits:
        self.limits = Limits(now, per_window, daily=daily, daily_used=daily_used)
        return self.limits

    def calls(self, method: str, prefix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def next_id(self) -> str:
        with self._lock:
            self._ids += 1
            return str(self._ids)


def _matches(props: dict[str, str], flt: dict[str, Any]) -> bool:
    name, op = flt["propertyName"], flt["operator"]
    value = props.get(name)
    if op == "EQ":
        return bool(value == flt["value"])
    if op == "IN":
        return value in flt["values"]
    if op == "GTE":
        return value is not None and int(value) >= int(flt["value"])
    if op == "CONTAINS_TOKEN":
        return value is not None and flt["value"] in value
    raise ValueError(f"operator {op} not supported by the fake")


def _object(object_id: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {"id": object_id, "properties": properties, "createdAt": STAMP, "updatedAt": STAMP,
            "archived": False}


def _search(items: dict[str, dict[str, Any]], body: dict[str, Any], base: str,
            path: str) -> dict[str, Any]:
    groups = body.get("filterGroups") or [{"filters": []}]
    found = [(i, p) for i, p in items.items()
             if any(all(_matches(p, f) for f in g["filters"]) for g in groups)]
    for sort in body.get("sorts") or []:
        key: str = sort["propertyName"] if isinstance(sort, dict) else sort

        def by_key(item: tuple[str, dict[str, Any]], k: str = key) -> int:
            return int(item[1].get(k) or 0)

        found.sort(key=by_key)
    limit, start = int(body.get("limit") or 10), int(body.get("after") or 0)
    page = found[start:start + limit]
    wanted = body.get("properties")
    result: dict[str, Any] = {"total": len(found), "results": [
        _object(i, {k: v for k, v in p.items() if not wanted or k in wanted or k == "hs_object_id"})
        for i, p in page]}
    if start + limit < len(found):
        after = str(start + limit)
        result["paging"] = {"next": {"after": after, "link": f"{base}{path}?after={after}"}}
    return result


def _handler(state: FakeHubSpot) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, category: str,
                   headers: dict[str, str] | None = None) -> None:
            self._answer(status, {"status": "error", "message": message,
                                  "correlationId": "c0ffee", "category": category}, headers)

        def _handle(self, method: str) -> None:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            state.requests.append(Request(method, url.path, parse_qs(url.query), body,
                                          dict(self.headers)))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self._error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION")
            rate: dict[str, str] = {}
            if state.limits is not None:
                policy, rate = state.limits.admit(url.path.endswith("/search"))
                if policy is not None:
                    state.throttled.append(url.path)
                    return self._answer(429, {
                        "status": "error", "message": "You have reached your "
                        + ("daily" if policy == "DAILY" else "secondly") + " limit.",
                        "errorType": "RATE_LIMIT", "correlationId": "c0ffee",
                        "policyName": policy}, rate)
            failure = next((f for f in state.failures if url.path == f.path
                            and (f.method is None or f.method == method)), None)
            if failure is not None and failure.skip:
                failure.skip -= 1
                failure = None
            if failure is not None:
                state.failures.remove(failure)
                if not failure.after_processing:
                    return self._fail(failure)
            status, answer = self._route(method, url.path, url.query, body)
            if failure is not None:
                return self._fail(failure)
            self._answer(status, answer, rate)

        def _fail(self, failure: Failure) -> None:
            category = "RATE_LIMITS" if failure.status == 429 else "INTERNAL_ERROR"
            message = ("You have reached your secondly limit." if failure.status == 429
                       else "internal error")
            self._error(failure.status, message, category, failure.headers)

        def _route(self, method: str, path: str, query: str, body: Any) -> tuple[int, Any]:
            if method == "POST" and path == "/crm/v3/objects/contacts/search":
                return 200, _search(state.contacts, body, state.base_url, path)
            if method == "GET" and path.rstrip("/") == "/crm/v3/owners":
                params = parse_qs(query)
                limit = int(params.get("limit", ["100"])[0])
                start = int(params.get("after", ["0"])[0])
                page: dict[str, Any] = {"results": state.owners[start:start + limit]}
                if start + limit < len(state.owners):
                    page["paging"] = {"next": {"after": str(start + limit)}}
                return 200, page
            for kind, store in (("tasks", state.tasks), ("notes", state.notes)):
                if method == "POST" and path == f"/crm/v3/objects/{kind}":
                    object_id = state.next_id()
                    store[object_id] = {"properties": body["properties"],
                                        "associations": body.get("associations") or []}
                    return 201, _object(object_id, body["properties"])
                if method == "POST" and path == f"/crm/v3/objects/{kind}/search":
                    flat = {i: o["properties"] for i, o in store.items()}
                    return 200, _search(flat, body, state.base_url, path)
            if method == "PATCH" and path.startswith("/crm/v3/objects/contacts/"):
                contact_id = path.rsplit("/", 1)[1]
                if contact_id not in state.contacts:
                    return 404, {"status": "error", "message": "resource not found",
                                 "correlationId": "c0ffee", "category": "OBJECT_NOT_FOUND"}
                state.contacts[contact_id].update(body["properties"])
                return 200, _object(contact_id, state.contacts[contact_id])
            return 404, {"status": "error", "message": f"no route {method} {path}",
                         "correlationId": "c0ffee", "category": "OBJECT_NOT_FOUND"}

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

    return Handler


@contextmanager
def fake_hubspot() -> Iterator[FakeHubSpot]:
    """A running fake on a free port; `state.base_url` is what the client's `host` should be."""
    state = FakeHubSpot()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
