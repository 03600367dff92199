"""A local stand-in for Microsoft Graph, driven by Microsoft's documented payloads.

It runs on pytest-httpserver's server (127.0.0.1), so tests exercise the real msgraph-sdk stack
(auth header, retry middleware, redirects) through :class:`ztb.graph.client.GraphClient`. State is
seeded from the documented examples vendored in ``tests/fixtures/graph`` (its README names each
source page), and the double answers the way the docs
say Graph does: PATCH of a PIM rule answers 204, a GET omits the write-only compliance block
action, eligibility expirations come back as ``afterDateTime``, list endpoints page with
``@odata.nextLink`` when ``page_size`` is set.

Use it through the ``graph`` fixture (``pytest_plugins = ["tests.doubles.graph"]``, or that line in
``tests/conftest.py``), which also
points ``ZTB_GRAPH_URL``/``ZTB_ACCESS_TOKEN`` at the double and replaces the retry handler's
sleep (delays are recorded in ``graph.sleeps``)::

    def test_x(graph):
        policy_id = graph.add_role_policy(GLOBAL_ADMIN)
        graph.fail("GET", r"/roleManagementPolicyAssignments", 429, headers={"Retry-After": "2"})
        ...
        assert [r.path for r in graph.sent("PATCH")] == [...]

Faults (:meth:`GraphDouble.fail`) answer the next ``times`` matching requests with any status,
body (Graph's error shape by default, or ``raw`` bytes) and headers. Hostile or unlucky Graph
behaviour has its own helpers: :meth:`~GraphDouble.repeat_page` (page 1 served again in place of
page 2), :meth:`~GraphDouble.endless_next_links`, :meth:`~GraphDouble.trickle` (a body one byte at a
time), :meth:`~GraphDouble.redirect` (e.g. to the ``other_host`` fixture, a second server),
:meth:`~GraphDouble.echo_authorization` (an error that quotes the Authorization header). Faults
apply to ``$batch`` sub-requests too (recorded in ``graph.batched``; ``graph.requests`` holds the
HTTP requests only).

Also served: group members and owners (``graph.members`` / ``graph.owners`` by group ID,
documented directoryObject shape, ``$select`` honoured), ``POST /$batch`` (concepts/json-batching.md:
relative URLs, at most 20 requests, unique ids, answers out of order), ``GET /organization``
(``graph.organization_id``; None answers 403). :func:`access_token` makes a JWT-shaped token with a
``tid`` claim (unsigned: neither ztb nor the double checks signatures).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ztb.graph.client import GraphClient, StaticTokenCredential
from ztb.compare.normalize import duration_seconds

TESTS = Path(__file__).resolve().parent.parent
REPO = TESTS.parent
#: Microsoft's documented payloads, vendored into the repo (the folder's README names each source).
GRAPH_SAMPLES = TESTS / "fixtures" / "graph"

#: The tenant ID in the documented PIM examples.
TENANT = "cab01047-8ad9-4792-8e42-569340767f1b"
TOKEN = "double-token-not-a-secret"
RULE_TYPE = "#microsoft.graph.unifiedRoleManagementPolicy{}Rule"


def access_token(tenant: Optional[str] = TENANT, **claims: Any) -> str:
    """A JWT-shaped access token as Entra issues for Graph (v1 claims), unsigned, random signature.

    ``tenant=None`` leaves out the ``tid`` claim. Every call gives a new token (new signature).
    """
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()

    now = int(time.time())
    payload: dict[str, Any] = {"aud": "https://graph.microsoft.com", "iat": now, "nbf": now, "exp": now + 3600,
                               "oid": str(uuid.uuid4()), "roles": ["Policy.Read.All"], "ver": "1.0"}
    if tenant is not None:
        payload.update(iss=f"https://sts.windows.net/{tenant}/", tid=tenant)
    payload.update(claims)
    return f"{part({'typ': 'JWT', 'alg': 'RS256', 'kid': 'double'})}.{part(payload)}.{secrets.token_urlsafe(192)}"


def sample(name: str) -> Any:
    """A documented Graph payload from tests/fixtures/graph, by file name."""
    return json.loads((GRAPH_SAMPLES / name).read_text(encoding="utf-8"))


def documented_directory_rules() -> list[dict]:
    """The 17 rules of a DirectoryRole PIM policy as Graph documents them (tenant defaults)."""
    return copy.deepcopy(sample("pim-policy-list-rules-ex1-directoryrole.response.json")["value"])


#: Graph's error codes for the statuses faults use by default (concepts/errors.md, json-batching.md).
ERROR_CODES = {400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Authorization_RequestDenied",
               404: "ResourceNotFound", 429: "TooManyRequests", 503: "ServiceUnavailable"}


def graph_error(code: str, message: str) -> dict:
    """Graph's documented error body (concepts/errors.md)."""
    return {"error": {"code": code, "message": message, "innerError": {"request-id": str(uuid.uuid4()), "date": _now()}}}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_duration(value: str) -> str:
    """How the double stores a duration (as .NET writes TimeSpans): PT60M -> PT1H, PT24H -> P1D."""
    seconds = duration_seconds(value)
    if seconds is None:
        return value
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    if hours or minutes or secs:
        out += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return out if out != "P" else "PT0S"


def _strip_types(obj: Any) -> Any:
    """Graph's GET omits the ``@odata.type`` of rule targets and approval settings the PATCH carried."""
    if isinstance(obj, dict):
        return {k: _strip_types(v) for k, v in obj.items() if k != "@odata.type"}
    if isinstance(obj, list):
        return [_strip_types(v) for v in obj]
    return obj


@dataclass
class Recorded:
    method: str
    version: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Incoming:
    """What a fault's ``respond`` sees: an HTTP request or a ``$batch`` sub-request."""
    method: str
    version: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    in_batch: bool = False


@dataclass
class Fault:
    method: str
    pattern: str
    status: int
    body: Any = None
    raw: Optional[bytes] = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    content_type: str = "application/json"
    respond: Optional[Callable[[Incoming], Response]] = None


#: Compliance @odata.type -> (documented create response for its defaults, the version that has the type).
COMPLIANCE_SAMPLES = {
    "#microsoft.graph.windows10CompliancePolicy": ("intune-windows10compliancepolicy-create.response.json", "v1.0"),
    "#microsoft.graph.macOSCompliancePolicy": ("intune-macoscompliancepolicy-create.response.json", "v1.0"),
    "#microsoft.graph.iosCompliancePolicy": ("intune-ioscompliancepolicy-create.response.json", "v1.0"),
    "#microsoft.graph.androidWorkProfileCompliancePolicy": ("intune-androidworkprofilecompliancepolicy-create.response.json", "v1.0"),
    "#microsoft.graph.androidDeviceOwnerCompliancePolicy": ("intune-androiddeviceownercompliancepolicy-create.response.json", "beta"),
}
#: App protection collection -> (@odata.type, documented create response or None).
APP_PROTECTION_SAMPLES = {
    "iosManagedAppProtections": ("#microsoft.graph.iosManagedAppProtection", "intune-iosmanagedappprotection-create.response.json"),
    "androidManagedAppProtections": ("#microsoft.graph.androidManagedAppProtection", None),
}


class GraphDouble:
    """Stateful fake of the Graph endpoints ztb uses, on a pytest-httpserver ``HTTPServer``."""

    def __init__(self, server) -> None:
        self.server = server
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.sleeps: list[float] = []
        #: When set, collections are answered in pages of this size with @odata.nextLink.
        self.page_size: Optional[int] = None
        #: When true, stored PIM durations are respelled as Graph might (PT60M -> PT1H).
        self.respell_durations = True
        self.pim_policies: dict[str, dict] = {}
        self.pim_assignments: list[dict] = []
        #: PIM for Groups policy assignments, each with its policy and rules (as ``$expand=policy($expand=rules)`` answers).
        self.group_pim_assignments: list[dict] = []
        self.compliance: dict[str, dict] = {}
        #: Conditional Access policies by ID (POST/GET/PATCH/DELETE /identity/conditionalAccess/policies/{id}).
        self.ca_policies: dict[str, dict] = {}
        self.compliance_assignments: dict[str, list[dict]] = {}
        #: App protection: collection name (iosManagedAppProtections, ...) -> policy ID -> policy.
        self.app_protection: dict[str, dict[str, dict]] = {c: {} for c in APP_PROTECTION_SAMPLES}
        self.app_protection_assignments: dict[str, list[dict]] = {}
        #: deviceManagement.settings, as the documented GET shows it.
        self.device_settings: dict = copy.deepcopy(sample("intune-devicemanagement-get.response.json")["value"]["settings"])
        self.schedules: list[dict] = []
        self.collections: dict[str, list[dict]] = {}
        #: Group ID -> directory objects, as GET /groups/{id}/members and /owners list them.
        self.members: dict[str, list[dict]] = {}
        self.owners: dict[str, list[dict]] = {}
        #: The tenant GET /organization names; None answers 403 (no Organization.Read.All).
        self.organization_id: Optional[str] = TENANT
        #: Sub-requests received inside POST /$batch (``requests`` holds the HTTP requests).
        self.batched: list[Recorded] = []
        self._repeat: list[str] = []
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    # ------------------------------------------------------------------ client side

    @property
    def root(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def client(self) -> GraphClient:
        return GraphClient(self.root, StaticTokenCredential(TOKEN))

    def sent(self, method: Optional[str] = None, path: Optional[str] = None) -> list[Recorded]:
        """Requests received (faulted ones included), optionally by method and path regex."""
        return [
            r for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or re.search(path, r.path))
        ]

    def sent_in_batch(self, method: Optional[str] = None, path: Optional[str] = None) -> list[Recorded]:
        """Sub-requests received inside ``$batch``, optionally by method and path regex."""
        return [
            r for r in self.batched
            if (method is None or r.method == method.upper()) and (path is None or re.search(path, r.path))
        ]

    def fail(self, method: str, pattern: str, status: int, body: Any = None, *, raw: Optional[bytes] = None,
             headers: Optional[dict[str, str]] = None, times: int = 1, content_type: str = "application/json",
             respond: Optional[Callable[[Incoming], Response]] = None) -> None:
        """Answer the next ``times`` requests whose path (with query) matches ``pattern`` with a fault."""
        if body is None and raw is None and respond is None:
            body = graph_error(ERROR_CODES.get(status, "UnknownError"), f"fault injected by the Graph double (HTTP {status})")
        self.faults.append(Fault(method.upper(), pattern, status, body, raw, dict(headers or {}), times, content_type, respond))

    # -- hostile or unlucky Graph

    def repeat_page(self, pattern: str) -> None:
        """Collections whose path matches answer the request for page 2 with page 1's items again
        (and a nextLink to page 3), as a Graph front end that lost the skiptoken might."""
        self._repeat.append(pattern)

    def endless_next_links(self, pattern: str, method: str = "GET") -> None:
        """Every matching request answers one new object and a new @odata.nextLink, forever."""
        counter = iter(range(10**9))

        def respond(req: Incoming) -> Response:
            n = next(counter)
            link = f"{self.root}/{req.version}{req.path}?$skiptoken=endless-{n + 1}"
            return self._json({"value": [{"id": str(uuid.uuid4())}], "@odata.nextLink": link})

        self.fail(method, pattern, 200, respond=respond, times=10**9)

    def trickle(self, pattern: str, body: bytes = b'{"value": []}', interval: float = 2.0, method: str = "GET",
                times: int = 1, padding: int = 64) -> None:
        """Answer 200 at once, then the body one byte every ``interval`` seconds (``padding``
        spaces first: the JSON stays valid, it just never arrives in time)."""
        payload = b" " * padding + body

        def respond(req: Incoming) -> Response:
            def drip() -> Iterator[bytes]:
                for i in range(len(payload)):
                    time.sleep(interval)
                    yield payload[i:i + 1]

            return Response(drip(), status=200, content_type="application/json", direct_passthrough=True)

        self.fail(method, pattern, 200, respond=respond, times=times)

    def redirect(self, pattern: str, location: str, status: int = 307, method: str = "GET", times: int = 1) -> None:
        """Answer with a redirect to ``location`` (absolute: another host; relative: the same one)."""
        self.fail(method, pattern, status, raw=b"", headers={"Location": location}, times=times)

    def echo_authorization(self, pattern: str, status: int = 401, method: str = "GET", times: int = 1) -> None:
        """An error whose message quotes the request's Authorization header (a misbehaving proxy)."""
        def respond(req: Incoming) -> Response:
            header = req.headers.get("Authorization", "")
            code = ERROR_CODES.get(status, "UnknownError")
            body = graph_error(code, f"Access token validation failure for header 'Authorization: {header}' (token {header[7:]}).")
            body["error"]["innerError"]["request-id"] = header[7:]
            return Response(json.dumps(body), status=status, content_type="application/json",
                            headers={"WWW-Authenticate": f'Bearer error="invalid_token", token="{header[7:]}"'})

        self.fail(method, pattern, status, respond=respond, times=times)

    # ------------------------------------------------------------------ seeding

    def add_role_policy(self, role_definition_id: str, rules: Optional[list[dict]] = None) -> str:
        """A DirectoryRole policy and its assignment, shaped like the documented examples."""
        template = sample("pim-list-rolemanagementpolicies-ex1-directoryrole.response.json")["value"][0]
        policy_id = f"DirectoryRole_{TENANT}_{uuid.uuid5(uuid.NAMESPACE_URL, role_definition_id)}"
        policy = {**copy.deepcopy(template), "id": policy_id, "rules": rules if rules is not None else documented_directory_rules()}
        self.pim_policies[policy_id] = policy
        self.pim_assignments.append({
            "id": f"{policy_id}_{role_definition_id}",
            "policyId": policy_id,
            "scopeId": "/",
            "scopeType": "DirectoryRole",
            "roleDefinitionId": role_definition_id,
        })
        return policy_id

    def rule(self, policy_id: str, rule_id: str) -> dict:
        return next(r for r in self.pim_policies[policy_id]["rules"] if r["id"] == rule_id)

    def add_compliance_policy(self, policy: Optional[dict] = None, assignments: Optional[list[dict]] = None) -> str:
        body = copy.deepcopy(policy) if policy is not None else sample("intune-windows10compliancepolicy-create.response.json")
        body.setdefault("id", str(uuid.uuid4()))
        body.setdefault("roleScopeTagIds", ["0"])
        self.compliance[body["id"]] = body
        self.compliance_assignments[body["id"]] = [self._assignment(body["id"], a) for a in (assignments or [])]
        return body["id"]

    def add_schedule(self, principal_id: str, role_definition_id: str, end: Optional[str] = "2099-01-01T00:00:00Z") -> dict:
        """An eligibility schedule shaped like the documented list example (end None: permanent)."""
        schedule = copy.deepcopy(sample("roleeligibilityschedules-list.response.json")["value"][0])
        schedule.update(id=str(uuid.uuid4()), principalId=principal_id, roleDefinitionId=role_definition_id, directoryScopeId="/")
        schedule["createdUsing"] = schedule["id"]
        schedule["scheduleInfo"]["expiration"] = (
            {"type": "afterDateTime", "endDateTime": end, "duration": None} if end else {"type": "noExpiration", "endDateTime": None, "duration": None}
        )
        self.schedules.append(schedule)
        return schedule

    # ------------------------------------------------------------------ server side

    def _fault(self, incoming: Incoming, full: str) -> Optional[Response]:
        for fault in self.faults:
            if fault.times > 0 and fault.method == incoming.method and re.search(fault.pattern, full):
                fault.times -= 1
                if fault.respond is not None:
                    return fault.respond(incoming)
                payload = fault.raw if fault.raw is not None else json.dumps(fault.body)
                return Response(payload, status=fault.status, headers=fault.headers, content_type=fault.content_type)
        return None

    def _handle(self, request: Request) -> Response:
        version, _, path = request.path.lstrip("/").partition("/")
        path = "/" + path
        body = request.get_json(silent=True) if request.data else None
        query = {k: v for k, v in request.args.items()}
        incoming = Incoming(request.method, version, path, query, dict(request.headers))
        self._incoming = incoming
        self.requests.append(Recorded(request.method, version, path, query, body, incoming.headers))
        full = path + ("?" + request.query_string.decode() if request.query_string else "")
        faulted = self._fault(incoming, full)
        if faulted is not None:
            return faulted
        if not request.headers.get("Authorization", "").startswith("Bearer ") or len(request.headers["Authorization"]) < 8:
            return self._error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if version not in ("v1.0", "beta"):
            return self._error(400, "BadRequest", f"Invalid version: {version}")
        if request.method == "POST" and path == "/$batch":
            return self._batch(version, body, incoming.headers)
        try:
            return self._route(request.method, version, path, query, body)
        except _Fail as f:
            return self._error(f.status, f.code, f.message)

    # -- JSON batching (concepts/json-batching.md)

    def _batch(self, version: str, body: Any, headers: dict[str, str]) -> Response:
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            return self._error(400, "BadRequest", "Invalid batch payload format.")
        if len(requests) > 20:
            return self._error(400, "BadRequest", "The number of requests in a batch exceeds the limit of 20.")
        ids = [str(r.get("id")) for r in requests if isinstance(r, dict)]
        if len(ids) != len(requests) or len(set(i.lower() for i in ids)) != len(ids):
            return self._error(400, "BadRequest", "Batch request ids must be unique.")
        answers = []
        for r in requests:
            url = str(r.get("url") or "")
            if not r.get("method") or not url or re.match(r"^[a-z]+://", url, re.I):
                return self._error(400, "BadRequest", "Invalid request URL in batch: it must be relative.")
            parts = urlsplit(url if url.startswith("/") else "/" + url)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            method = str(r["method"]).upper()
            self.batched.append(Recorded(method, version, parts.path, query, r.get("body")))
            full = parts.path + ("?" + parts.query if parts.query else "")
            answer = self._fault(Incoming(method, version, parts.path, query, headers, True), full)
            if answer is None:
                try:
                    answer = self._route(method, version, parts.path, query, r.get("body"))
                except _Fail as f:
                    answer = self._error(f.status, f.code, f.message)
            data = answer.get_data()
            try:
                sub_body = json.loads(data) if data else None
            except ValueError:
                sub_body = data.decode("utf-8", "replace")
            keep = {k: v for k, v in answer.headers.items() if k.lower() in ("retry-after", "location", "content-type", "www-authenticate")}
            answers.append({"id": r["id"], "status": answer.status_code, "headers": keep, "body": sub_body})
        # Graph may answer in any order; the ids correlate.
        return self._json({"responses": list(reversed(answers))})

    def _error(self, status: int, code: str, message: str) -> Response:
        return Response(json.dumps(graph_error(code, message)), status=status, content_type="application/json")

    @staticmethod
    def _json(obj: Any, status: int = 200) -> Response:
        return Response(json.dumps(obj), status=status, content_type="application/json")

    def _collection(self, version: str, path: str, query: dict[str, str], items: list[dict]) -> Response:
        skip = int(query.get("$skiptoken", "0"))
        size = self.page_size or len(items) or 1
        window = items[skip: skip + size]
        if skip == size and any(re.search(p, path) for p in self._repeat):
            window = items[:size]  # page 1 again, in place of page 2
        page = {"@odata.context": f"{self.root}/{version}/$metadata#{path.lstrip('/')}", "value": window}
        if skip + size < len(items):
            rest = {k: v for k, v in query.items() if k != "$skiptoken"}
            rest["$skiptoken"] = str(skip + size)
            page["@odata.nextLink"] = f"{self.root}/{version}{path}?{urlencode(rest)}"
        return self._json(page)

    def _route(self, method: str, version: str, path: str, query: dict[str, str], body: Any) -> Response:
        for pattern, handler in self._routes():
            m = re.fullmatch(pattern, f"{method} {version} {path}")
            if m:
                return handler(version, path, query, body, *m.groups())
        segment = path.strip("/").split("/")[-1]
        raise _Fail(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    def _routes(self):
        v1 = r"v1\.0"
        return [
            (rf"GET {v1} /policies/roleManagementPolicyAssignments", self._pim_assignments),
            (rf"GET {v1} /policies/roleManagementPolicies/([^/]+)", self._pim_policy),
            (rf"GET {v1} /policies/roleManagementPolicies/([^/]+)/rules", self._pim_rules),
            (rf"PATCH {v1} /policies/roleManagementPolicies/([^/]+)/rules/([^/]+)", self._pim_patch_rule),
            (r"POST (v1\.0|beta) /deviceManagement/deviceCompliancePolicies", self._dc_create),
            (r"GET (?:v1\.0|beta) /deviceManagement/deviceCompliancePolicies", self._dc_list),
            (r"GET (?:v1\.0|beta) /deviceManagement/deviceCompliancePolicies/([^/]+)", self._dc_get),
            (r"PATCH (?:v1\.0|beta) /deviceManagement/deviceCompliancePolicies/([^/]+)", self._dc_patch),
            (r"DELETE (?:v1\.0|beta) /deviceManagement/deviceCompliancePolicies/([^/]+)", self._dc_delete),
            (r"GET (?:v1\.0|beta) /deviceManagement/deviceCompliancePolicies/([^/]+)/assignments", self._dc_assignments),
            (r"POST (?:v1\.0|beta) /deviceManagement/deviceCompliancePolicies/([^/]+)/assign", self._dc_assign),
            (r"POST beta /deviceAppManagement/(\w+ManagedAppProtections)", self._mam_create),
            (r"GET beta /deviceAppManagement/(\w+ManagedAppProtections)", self._mam_list),
            (r"GET beta /deviceAppManagement/(\w+ManagedAppProtections)/([^/]+)", self._mam_get),
            (r"PATCH beta /deviceAppManagement/(\w+ManagedAppProtections)/([^/]+)", self._mam_patch),
            (r"DELETE beta /deviceAppManagement/(\w+ManagedAppProtections)/([^/]+)", self._mam_delete),
            (r"GET beta /deviceAppManagement/(\w+ManagedAppProtections)/([^/]+)/assignments", self._mam_assignments),
            (r"POST beta /deviceAppManagement/(\w+ManagedAppProtections)/([^/]+)/assign", self._mam_assign),
            (r"GET v1\.0 /deviceManagement", self._dm_get),
            (r"PATCH v1\.0 /deviceManagement", self._dm_patch),
            (rf"POST {v1} /identity/conditionalAccess/policies", self._ca_create),
            (rf"GET {v1} /identity/conditionalAccess/policies/([^/]+)", self._ca_get),
            (rf"PATCH {v1} /identity/conditionalAccess/policies/([^/]+)", self._ca_patch),
            (rf"DELETE {v1} /identity/conditionalAccess/policies/([^/]+)", self._ca_delete),
            (rf"POST {v1} /roleManagement/directory/roleEligibilityScheduleRequests", self._elig_request),
            (rf"GET {v1} /roleManagement/directory/roleEligibilitySchedules", self._elig_list),
            (rf"GET {v1} /roleManagement/directory/roleEligibilitySchedules/([^/]+)", self._elig_get),
            (r"GET (?:v1\.0|beta) /groups/([^/]+)/(members|owners)", self._group_objects),
            (rf"GET {v1} /organization", self._organization),
            (r"GET (?:v1\.0|beta) (/.+)", self._generic_collection),
        ]

    # -- PIM

    @staticmethod
    def _filter(query: dict[str, str]) -> dict[str, str]:
        text = query.get("$filter", "")
        clause = r"(\w+) eq '([^']*)'"
        if text and not re.fullmatch(rf"{clause}(?: and {clause})*", text):
            raise _Fail(400, "BadRequest", "Invalid filter clause")
        return dict(re.findall(clause, text))

    def _pim_assignments(self, version, path, query, body):
        f = self._filter(query)
        if "scopeId" not in f or "scopeType" not in f:
            raise _Fail(400, "BadRequest", "The filter must scope the request to a scopeId and a scopeType.")
        if f["scopeType"] == "Group":
            expand = query.get("$expand", "")
            out = []
            for a in self.group_pim_assignments:
                if a["scopeId"].lower() == f["scopeId"].lower():
                    a = copy.deepcopy(a)
                    if not expand.startswith("policy"):
                        a.pop("policy", None)
                    elif "rules" not in expand:
                        a["policy"].pop("rules", None)
                    out.append(a)
            return self._collection(version, path, query, out)
        if f["scopeType"] not in ("DirectoryRole", "Directory"):
            raise _Fail(400, "BadRequest", f"Invalid scopeType '{f['scopeType']}'")
        items = [a for a in self.pim_assignments if a["scopeId"] == f["scopeId"]
                 and all(a.get(k) == v for k, v in f.items() if k not in ("scopeId", "scopeType"))]
        expand = query.get("$expand", "")
        out = []
        for a in items:
            a = copy.deepcopy(a)
            if expand.startswith("policy"):
                policy = copy.deepcopy(self.pim_policies[a["policyId"]])
                if "rules" not in expand:
                    policy.pop("rules")
                a["policy"] = policy
            out.append(a)
        return self._collection(version, path, query, out)

    def _policy(self, policy_id: str) -> dict:
        if policy_id not in self.pim_policies:
            raise _Fail(404, "ResourceNotFound", f"No policy found with id '{policy_id}'.")
        return self.pim_policies[policy_id]

    def _pim_policy(self, version, path, query, body, policy_id):
        policy = copy.deepcopy(self._policy(policy_id))
        if "rules" not in query.get("$expand", ""):
            policy.pop("rules")
        return self._json(policy)

    def _pim_rules(self, version, path, query, body, policy_id):
        return self._collection(version, path, query, copy.deepcopy(self._policy(policy_id)["rules"]))

    def _pim_patch_rule(self, version, path, query, body, policy_id, rule_id):
        rules = self._policy(policy_id)["rules"]
        rule = next((r for r in rules if r["id"] == rule_id), None)
        if rule is None:
            raise _Fail(404, "ResourceNotFound", f"Rule '{rule_id}' was not found in policy '{policy_id}'.")
        if not isinstance(body, dict) or "@odata.type" not in body:
            raise _Fail(400, "BadRequest", "The @odata.type property is required in the body of a rule update.")
        if body["@odata.type"] != rule["@odata.type"]:
            raise _Fail(400, "BadRequest", f"Rule '{rule_id}' is of type {rule['@odata.type']}, not {body['@odata.type']}.")
        if body.get("id", rule_id) != rule_id:
            raise _Fail(400, "BadRequest", "The rule id in the body does not match the URL.")
        for key, value in body.items():
            if key in ("@odata.type", "id"):
                continue
            value = _strip_types(value)
            if key == "target":
                value = {**value, "operations": [o.lower() for o in value.get("operations", [])]}
            if key == "maximumDuration" and self.respell_durations:
                value = canonical_duration(value)
            rule[key] = value
        return Response(status=204)

    # -- Conditional Access policies (v1.0)
    #
    # Graph's evolvable enums (Microsoft Graph best practices, "Handling future members in evolvable
    # enumerations"): members after ``unknownFutureValue``, such as the grant control
    # ``riskRemediation``, are returned only to a client that sends ``Prefer:
    # include-unknown-enum-members``; any other client reads ``unknownFutureValue`` in their place.
    # The double also refuses such a member in a write without the header (an assumption about
    # Graph: it keeps a client that never sends the header from writing what it cannot read back).

    EVOLVABLE = {"riskRemediation"}

    def _evolvable_ok(self) -> bool:
        prefer = {k.lower(): v for k, v in self._incoming.headers.items()}.get("prefer", "")
        return "include-unknown-enum-members" in prefer

    def _ca(self, policy_id: str) -> dict:
        if policy_id not in self.ca_policies:
            raise _Fail(404, "ResourceNotFound", f"Could not find policy with id '{policy_id}'.")
        return self.ca_policies[policy_id]

    def _ca_write_check(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise _Fail(400, "BadRequest", "The request body must be a conditionalAccessPolicy.")
        builtin = set((body.get("grantControls") or {}).get("builtInControls") or [])
        if builtin & self.EVOLVABLE and not self._evolvable_ok():
            raise _Fail(400, "BadRequest", "Invalid value 'riskRemediation' for grantControls.builtInControls.")

    def _ca_answer(self, policy: dict) -> dict:
        out = copy.deepcopy(policy)
        if not self._evolvable_ok():
            grant = out.get("grantControls") or {}
            grant["builtInControls"] = ["unknownFutureValue" if c in self.EVOLVABLE else c for c in grant.get("builtInControls") or []]
        return {"@odata.context": f"{self.root}/v1.0/$metadata#identity/conditionalAccess/policies/$entity", **out}

    def _ca_create(self, version, path, query, body):
        self._ca_write_check(body)
        # Graph answers 201 with the policy as stored: its id, times and unset conditions as null
        # (conditionalaccess-create-policy-ex1-require-mfa-exo.response.json).
        policy_id = str(uuid.uuid4())
        stored = {"id": policy_id, "templateId": None, "createdDateTime": _now(), "modifiedDateTime": None,
                  "sessionControls": None, **{k: v for k, v in body.items() if k != "id"}}
        cond = stored.setdefault("conditions", {})
        for key in ("platforms", "locations", "devices", "clientApplications", "authenticationFlows", "insiderRiskLevels"):
            cond.setdefault(key, None)
        for key in ("signInRiskLevels", "userRiskLevels", "servicePrincipalRiskLevels"):
            cond.setdefault(key, [])
        self.ca_policies[policy_id] = stored
        return self._json(self._ca_answer(stored), status=201)

    def _ca_get(self, version, path, query, body, policy_id):
        return self._json(self._ca_answer(self._ca(policy_id)))

    def _ca_patch(self, version, path, query, body, policy_id):
        policy = self._ca(policy_id)
        self._ca_write_check(body)
        for key, value in body.items():
            if key not in ("id", "createdDateTime"):
                policy[key] = copy.deepcopy(value)
        policy["modifiedDateTime"] = _now()
        return Response(status=204)

    def _ca_delete(self, version, path, query, body, policy_id):
        self._ca(policy_id)
        del self.ca_policies[policy_id]
        return Response(status=204)

    # -- Intune device compliance (beta)

    def _dc(self, policy_id: str) -> dict:
        if policy_id not in self.compliance:
            raise _Fail(404, "ResourceNotFound", f"DeviceCompliancePolicy with id '{policy_id}' was not found.")
        return self.compliance[policy_id]

    def _dc_create(self, version, path, query, body, api):
        if not isinstance(body, dict) or not body.get("@odata.type"):
            raise _Fail(400, "ModelValidationFailure", "The @odata.type of the policy is required.")
        blocks = [c for rule in body.get("scheduledActionsForRule") or [] for c in rule.get("scheduledActionConfigurations") or []
                  if c.get("actionType") == "block"]
        if len(blocks) != 1:
            raise _Fail(400, "BadRequest", "Compliance policy must have one and only one block scheduled action")
        kind = COMPLIANCE_SAMPLES.get(body["@odata.type"])
        if kind is None or (api == "v1.0" and kind[1] == "beta"):
            raise _Fail(400, "BadRequest", f"Cannot create an abstract type or a type this version lacks: {body['@odata.type']}")
        # Graph answers with every property of the type, unset ones at their defaults.
        documented = sample(kind[0])
        stored = {k: (False if isinstance(v, bool) else None) for k, v in documented.items()}
        for key in ("passwordRequiredType", "passcodeRequiredType"):
            if key in stored:
                stored[key] = "deviceDefault"
        # Other types than Windows (whose beta-only settings the v1.0 page lacks) take only their documented properties.
        unknown = [] if "windows10" in body["@odata.type"] else sorted(set(body) - set(documented) - {"scheduledActionsForRule", "assignments"})
        if unknown:
            raise _Fail(400, "ModelValidationFailure", f"Cannot find property {unknown[0]} on {body['@odata.type']}")
        stored.update({k: v for k, v in body.items() if k not in ("scheduledActionsForRule", "assignments")})
        stored.update(id=str(uuid.uuid4()), createdDateTime=_now(), lastModifiedDateTime=_now(), version=1, roleScopeTagIds=["0"])
        self.compliance[stored["id"]] = stored
        self.compliance_assignments[stored["id"]] = []
        return self._json(stored, 201)

    def _dc_list(self, version, path, query, body):
        return self._collection(version, path, query, [copy.deepcopy(p) for p in self.compliance.values()])

    def _dc_get(self, version, path, query, body, policy_id):
        return self._json(copy.deepcopy(self._dc(policy_id)))

    def _dc_patch(self, version, path, query, body, policy_id):
        policy = self._dc(policy_id)
        if not isinstance(body, dict) or body.get("@odata.type") != policy["@odata.type"]:
            raise _Fail(400, "ModelValidationFailure", "The @odata.type of the policy is required and must match.")
        policy.update({k: v for k, v in body.items() if k not in ("id", "scheduledActionsForRule", "assignments")})
        policy["version"] = policy.get("version", 0) + 1
        policy["lastModifiedDateTime"] = _now()
        return Response(status=204)

    def _dc_delete(self, version, path, query, body, policy_id):
        self._dc(policy_id)
        del self.compliance[policy_id]
        self.compliance_assignments.pop(policy_id, None)
        return Response(status=204)

    @staticmethod
    def _assignment(policy_id: str, a: dict) -> dict:
        target = {**a["target"]}
        target["@odata.type"] = target.get("@odata.type", "").lstrip("#")
        key = target.get("groupId") or target.get("collectionId") or "all"
        return {"@odata.type": "#microsoft.graph.deviceCompliancePolicyAssignment", "id": a.get("id") or f"{policy_id}_{key}", "target": target}

    def _dc_assignments(self, version, path, query, body, policy_id):
        self._dc(policy_id)
        return self._collection(version, path, query, copy.deepcopy(self.compliance_assignments[policy_id]))

    def _dc_assign(self, version, path, query, body, policy_id):
        self._dc(policy_id)
        if not isinstance(body, dict) or not isinstance(body.get("assignments"), list):
            raise _Fail(400, "ModelValidationFailure", "The assignments parameter is required.")
        self.compliance_assignments[policy_id] = [self._assignment(policy_id, a) for a in body["assignments"]]
        return self._json({"value": copy.deepcopy(self.compliance_assignments[policy_id])})

    # -- Intune app protection (beta)

    def _mam(self, collection: str, policy_id: Optional[str] = None) -> dict:
        if collection not in self.app_protection:
            raise _Fail(400, "BadRequest", f"Resource not found for the segment '{collection}'.")
        policies = self.app_protection[collection]
        if policy_id is None:
            return policies
        if policy_id not in policies:
            raise _Fail(404, "ResourceNotFound", f"ManagedAppProtection with id '{policy_id}' was not found.")
        return policies[policy_id]

    def _mam_create(self, version, path, query, body, collection):
        policies = self._mam(collection)
        if not isinstance(body, dict) or body.get("@odata.type") != APP_PROTECTION_SAMPLES[collection][0]:
            raise _Fail(400, "ModelValidationFailure", f"The @odata.type must be {APP_PROTECTION_SAMPLES[collection][0]}.")
        documented = sample(APP_PROTECTION_SAMPLES[collection][1]) if APP_PROTECTION_SAMPLES[collection][1] else {}
        stored = {k: (False if isinstance(v, bool) else None) for k, v in documented.items()}
        stored.update({k: v for k, v in body.items() if k != "assignments"})
        stored.update(id=str(uuid.uuid4()), createdDateTime=_now(), lastModifiedDateTime=_now(), version='"1"', isAssigned=False)
        policies[stored["id"]] = stored
        self.app_protection_assignments[stored["id"]] = []
        return self._json(stored, 201)

    def _mam_list(self, version, path, query, body, collection):
        items = []
        for pid, p in self._mam(collection).items():
            p = copy.deepcopy(p)
            if query.get("$expand") == "assignments":
                p["assignments"] = copy.deepcopy(self.app_protection_assignments.get(pid, []))
            items.append(p)
        return self._collection(version, path, query, items)

    def _mam_get(self, version, path, query, body, collection, policy_id):
        return self._json(copy.deepcopy(self._mam(collection, policy_id)))

    def _mam_patch(self, version, path, query, body, collection, policy_id):
        policy = self._mam(collection, policy_id)
        if not isinstance(body, dict) or body.get("@odata.type") != policy["@odata.type"]:
            raise _Fail(400, "ModelValidationFailure", "The @odata.type of the policy is required and must match.")
        policy.update({k: v for k, v in body.items() if k not in ("id", "assignments")})
        return Response(status=204)

    def _mam_delete(self, version, path, query, body, collection, policy_id):
        self._mam(collection, policy_id)
        del self.app_protection[collection][policy_id]
        self.app_protection_assignments.pop(policy_id, None)
        return Response(status=204)

    def _mam_assignments(self, version, path, query, body, collection, policy_id):
        self._mam(collection, policy_id)
        return self._collection(version, path, query, copy.deepcopy(self.app_protection_assignments[policy_id]))

    def _mam_assign(self, version, path, query, body, collection, policy_id):
        policy = self._mam(collection, policy_id)
        if not isinstance(body, dict) or not isinstance(body.get("assignments"), list):
            raise _Fail(400, "ModelValidationFailure", "The assignments parameter is required.")
        self.app_protection_assignments[policy_id] = [
            {"id": f"{policy_id}_{a['target'].get('groupId')}", "source": "direct", "sourceId": policy_id, "target": {**a["target"]}}
            for a in body["assignments"]]
        policy["isAssigned"] = bool(body["assignments"])
        return Response(status=204)

    # -- deviceManagement (v1.0): the settings singleton

    def _dm_get(self, version, path, query, body):
        whole = copy.deepcopy(sample("intune-devicemanagement-get.response.json")["value"])
        whole["settings"] = copy.deepcopy(self.device_settings)
        if query.get("$select"):
            whole = {k: v for k, v in whole.items() if k in query["$select"].split(",") or k.startswith("@odata")}
        return self._json(whole)

    def _dm_patch(self, version, path, query, body):
        if not isinstance(body, dict) or not isinstance(body.get("settings"), dict):
            raise _Fail(400, "BadRequest", "The request body must hold the settings to change.")
        # A complex value is replaced whole: what the body leaves out is reset, as Graph does.
        self.device_settings = {"@odata.type": "microsoft.graph.deviceManagementSettings",
                                **{k: v for k, v in body["settings"].items() if not k.startswith("@odata")}}
        return Response(status=204)

    # -- PIM eligibility

    def _find_schedule(self, principal: str, role: str, scope: str) -> Optional[dict]:
        return next((s for s in self.schedules if (s["principalId"], s["roleDefinitionId"], s["directoryScopeId"]) == (principal, role, scope)), None)

    def _max_eligibility(self, role: str) -> tuple[bool, Optional[float]]:
        for a in self.pim_assignments:
            if a["roleDefinitionId"] == role:
                rule = self.rule(a["policyId"], "Expiration_Admin_Eligibility")
                return bool(rule.get("isExpirationRequired")), duration_seconds(rule.get("maximumDuration") or "")
        return False, None

    def _elig_request(self, version, path, query, body):
        if not isinstance(body, dict):
            raise _Fail(400, "BadRequest", "A request body is required.")
        action = body.get("action")
        if action not in ("adminAssign", "adminUpdate", "adminRemove", "adminExtend", "adminRenew"):
            raise _Fail(400, "BadRequest", f"Invalid action '{action}'.")
        for key in ("principalId", "roleDefinitionId", "directoryScopeId"):
            if not body.get(key):
                raise _Fail(400, "BadRequest", f"The property '{key}' is required.")
        principal, role, scope = body["principalId"], body["roleDefinitionId"], body["directoryScopeId"]
        existing = self._find_schedule(principal, role, scope)
        if action == "adminRemove":
            if existing is None:
                raise _Fail(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.")
            self.schedules.remove(existing)
            answer = sample("roleeligibilityschedulerequest-create-ex2-adminremove.response.json")
            answer.update(id=str(uuid.uuid4()), principalId=principal, roleDefinitionId=role, directoryScopeId=scope, createdDateTime=_now())
            return self._json(answer, 201)
        if action == "adminAssign" and existing is not None:
            raise _Fail(400, "RoleAssignmentExists", "The Role assignment already exists.")
        if action != "adminAssign" and existing is None:
            raise _Fail(400, "RoleAssignmentDoesNotExist", "The Role assignment does not exist.")
        expiration = ((body.get("scheduleInfo") or {}).get("expiration")) or {"type": "noExpiration"}
        required, maximum = self._max_eligibility(role)
        start = datetime.now(timezone.utc)
        if expiration.get("type") == "noExpiration":
            if required:
                raise _Fail(400, "RoleAssignmentRequestPolicyValidationFailed", 'The following policy rules failed: ["ExpirationRule"]')
            end = None
        elif expiration.get("type") == "afterDuration":
            seconds = duration_seconds(expiration.get("duration") or "")
            if seconds is None or (maximum is not None and seconds > maximum):
                raise _Fail(400, "RoleAssignmentRequestPolicyValidationFailed", 'The following policy rules failed: ["ExpirationRule"]')
            end = (start + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            end = expiration.get("endDateTime")
        if existing is None:
            existing = self.add_schedule(principal, role, end)
        else:
            existing["scheduleInfo"]["expiration"] = (
                {"type": "afterDateTime", "endDateTime": end, "duration": None} if end else {"type": "noExpiration", "endDateTime": None, "duration": None}
            )
        answer = sample("roleeligibilityschedulerequest-create-ex1-adminassign.response.json")
        answer.update(
            id=str(uuid.uuid4()), action=action, principalId=principal, roleDefinitionId=role, directoryScopeId=scope,
            targetScheduleId=existing["id"], justification=body.get("justification"), createdDateTime=_now(),
        )
        answer["scheduleInfo"] = copy.deepcopy(existing["scheduleInfo"])
        return self._json(answer, 201)

    def _elig_list(self, version, path, query, body):
        f = self._filter(query)
        items = [copy.deepcopy(s) for s in self.schedules if all(s.get(k) == v for k, v in f.items())]
        return self._collection(version, path, query, items)

    def _elig_get(self, version, path, query, body, schedule_id):
        found = next((s for s in self.schedules if s["id"] == schedule_id), None)
        if found is None:
            raise _Fail(404, "ResourceNotFound", f"No schedule found with id '{schedule_id}'.")
        return self._json(copy.deepcopy(found))

    # -- groups' members and owners, the organization

    def _group_objects(self, version, path, query, body, group_id, relation):
        store = self.members if relation == "members" else self.owners
        known = {str(g.get("id", "")).lower() for g in self.collections.get("/groups", [])} | set(self.members) | set(self.owners)
        if group_id.lower() not in {k.lower() for k in known}:
            raise _Fail(404, "Request_ResourceNotFound",
                        f"Resource '{group_id}' does not exist or one of its queried reference-property objects are not present.")
        items = next((v for k, v in store.items() if k.lower() == group_id.lower()), [])
        items = copy.deepcopy(items)
        fields = [f for f in query.get("$select", "").split(",") if f]
        if fields:
            items = [{k: v for k, v in x.items() if k in fields or k == "@odata.type"} for x in items]
        return self._collection(version, path, query, items)

    def _organization(self, version, path, query, body):
        if self.organization_id is None:
            raise _Fail(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        org = sample("organization-list.response.json")["value"][0]
        org["id"] = self.organization_id
        if query.get("$select"):
            org = {k: v for k, v in org.items() if k in query["$select"].split(",")}
        return self._collection(version, path, query, [org])

    # -- anything else seeded as a plain collection (paging tests, drift snapshots)

    def _generic_collection(self, version, path, query, body, _path):
        if path not in self.collections:
            segment = path.strip("/").split("/")[-1]
            raise _Fail(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
        return self._collection(version, path, query, self.listed(path, copy.deepcopy(self.collections[path])))

    def listed(self, path: str, items: list[dict]) -> list[dict]:
        """A collection's items as Graph lists them to this request: CA policies with evolvable enums."""
        if path != "/identity/conditionalAccess/policies":
            return items
        return [{k: v for k, v in self._ca_answer(p).items() if k != "@odata.context"} for p in items]


class _Fail(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _local_server():
    """An HTTP server on 127.0.0.1 (a free port) for the session, stopped at its end."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(scope="session")
def graph_server():
    """One HTTP server for the session; each test gets fresh handlers on it."""
    yield from _local_server()


@pytest.fixture
def graph(graph_server, monkeypatch) -> GraphDouble:
    """A fresh Graph double; ZTB_GRAPH_URL and ZTB_ACCESS_TOKEN point at it, retry sleeps are recorded."""
    graph_server.clear()
    double = GraphDouble(graph_server)

    async def no_wait(delay: float, *args: Any, **kwargs: Any) -> None:
        double.sleeps.append(delay)

    monkeypatch.setattr("kiota_http.middleware.retry_handler.asyncio.sleep", no_wait)
    monkeypatch.setattr("ztb.graph.batch._sleep", no_wait)
    monkeypatch.setenv("ZTB_GRAPH_URL", double.root)
    monkeypatch.setenv("ZTB_ACCESS_TOKEN", TOKEN)
    yield double
    graph_server.clear()


class OtherHost:
    """A second local server, another origin than the double: where a hostile redirect points."""

    def __init__(self, server) -> None:
        self.server = server
        self.requests: list[dict[str, Any]] = []
        server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    @property
    def root(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def _handle(self, request: Request) -> Response:
        self.requests.append({"method": request.method, "path": request.path, "headers": dict(request.headers)})
        # Plausible tenant data, so a followed redirect would be exported without complaint.
        return Response(json.dumps({"value": [{"id": "0e0e0e0e-0000-4000-8000-000000000666", "displayName": "Not from Graph"}]}),
                        status=200, content_type="application/json")


@pytest.fixture(scope="session")
def other_server():
    """A second server: another port, so another origin than the double."""
    yield from _local_server()


@pytest.fixture
def other_host(other_server) -> OtherHost:
    """A fresh second server (another port: another origin) that records what reaches it."""
    other_server.clear()
    yield OtherHost(other_server)
    other_server.clear()
