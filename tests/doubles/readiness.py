"""A tenant for `ztb readiness`, served by the shared Graph double from Microsoft's documented payloads.

:func:`serve` seeds the double with the sample stack's groups and Conditional Access policies as
deployed (the ideal snapshot), and answers the reads readiness makes the way Graph documents them:

- ``/users`` and ``/groups`` filtered by ``id in (...)`` / ``displayName in (...)`` (at most 15
  values, Graph's limit), ``$select`` honoured;
- ``/groups/{id}/transitiveMembers`` (nested groups expanded) and ``/users/{id}/transitiveMemberOf``;
- ``/reports/authenticationMethods/userRegistrationDetails``: ``$filter`` only; a ``$select`` is
  refused, as the page says the report supports only ``$filter`` and ``$orderby``;
- ``/deviceManagement/managedDevices`` by ``userId in (...)``, ``$select`` honoured;
- ``/auditLogs/signIns`` by ``createdDateTime ge <t> and userId in (...)``, newest first;
- role assignment and eligibility schedule instances by ``roleDefinitionId in (...)``, and
  ``roleAssignmentScheduleRequests`` by ``action eq 'selfActivate'``.

Every object is a copy of the documented example (tests/fixtures/graph/README.md names the pages)
with only its identifiers and the values a case is about changed.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from tests.doubles.graph import GraphDouble, _Fail, sample

IN = re.compile(r"^(\w+) in \((.*)\)$")
VALUE = re.compile(r"'((?:[^']|'')*)'")
WINDOW = re.compile(r"^createdDateTime ge (\S+) and (userId in \(.*\))$")
IN_MAX = 15


def uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ztb-readiness/{name}"))


def _in(text: str) -> tuple[str, set[str]]:
    m = IN.match(text)
    if not m:
        raise _Fail(400, "BadRequest", "Invalid filter clause")
    values = [v.replace("''", "'") for v in VALUE.findall(m.group(2))]
    if len(values) > IN_MAX:
        raise _Fail(400, "BadRequest", f"Too many expressions in the 'in' operator: the limit is {IN_MAX}.")
    return m.group(1), {v.lower() for v in values}


def _select(items: list[dict], query: dict[str, str]) -> list[dict]:
    fields = [f for f in query.get("$select", "").split(",") if f]
    return [{k: v for k, v in x.items() if k in fields or k == "@odata.type"} for x in items] if fields else items


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


class ReadinessTenant:
    def __init__(self, double: GraphDouble, snapshot: dict[str, Any]) -> None:
        self.double = double
        self.groups = [{k: v for k, v in g.items() if k not in ("members", "owners")} for g in copy.deepcopy(snapshot["groups"])]
        #: Group ID -> direct members (directory objects with @odata.type).
        self.members: dict[str, list[dict]] = {g["id"].lower(): list(g.get("members") or []) for g in snapshot["groups"]}
        self.users: dict[str, dict] = {}
        self.registration: dict[str, dict] = {}
        self.devices: list[dict] = []
        self.sign_ins: list[dict] = []
        self.assignments: list[dict] = []
        self.eligibilities: list[dict] = []
        self.activations: list[dict] = []
        self.policies = copy.deepcopy(snapshot["conditionalAccessPolicies"])
        self.now = datetime.now(timezone.utc)
        double.organization_id = snapshot["tenantId"]
        routes = self.routes()
        original = double._routes
        double._routes = lambda: routes + original()  # type: ignore[method-assign]

    # ------------------------------------------------------------------ seeding

    def user(self, oid: str, upn: str, name: str = "", synced: bool = False, methods: Optional[list[str]] = None) -> str:
        """A member user; ``methods`` seeds its registration details (None: no entry in the report)."""
        oid = oid.lower()
        self.users[oid] = {"id": oid, "displayName": name or upn.split("@")[0], "userPrincipalName": upn,
                           "onPremisesSyncEnabled": True if synced else None, "accountEnabled": True}
        if methods is not None:
            details = copy.deepcopy(sample("userregistrationdetails-list.response.json")["value"][0])
            details.update(id=oid, userPrincipalName=upn, userDisplayName=name or upn, methodsRegistered=list(methods),
                           isMfaRegistered=bool(methods), isMfaCapable=bool(methods), isAdmin=True)
            self.registration[oid] = details
        return oid

    def add_member(self, group_id: str, member_id: str, odata_type: str = "#microsoft.graph.user") -> None:
        self.members.setdefault(group_id.lower(), []).append({"@odata.type": odata_type, "id": member_id.lower()})

    def group(self, gid: str, name: str) -> str:
        self.groups.append({"id": gid, "displayName": name, "securityEnabled": True, "mailEnabled": False, "groupTypes": []})
        self.members.setdefault(gid.lower(), [])
        return gid

    def device(self, user_id: str, operating_system: str, state: str, name: str = "") -> dict:
        d = copy.deepcopy(sample("intune-manageddevice-list.response.json")["value"][0])
        d.update(id=str(uuid.uuid4()), userId=user_id, operatingSystem=operating_system, complianceState=state,
                 deviceName=name or f"{operating_system}-{user_id[:4]}", userPrincipalName=self.users.get(user_id, {}).get("userPrincipalName", ""))
        self.devices.append(d)
        return d

    def sign_in(self, user_id: str, applied: list[tuple[str, str, str]], hours_ago: float = 1, risk: str = "none") -> dict:
        """A sign-in with ``appliedConditionalAccessPolicies`` of (policy id, display name, result)."""
        s = copy.deepcopy(sample("signin-list.response.json")["value"][0])
        template = s["appliedConditionalAccessPolicies"][0]
        user = self.users.get(user_id, {})
        s.update(id=str(uuid.uuid4()), userId=user_id, userPrincipalName=user.get("userPrincipalName", ""),
                 userDisplayName=user.get("displayName", ""), createdDateTime=iso(self.now - timedelta(hours=hours_ago)),
                 riskLevelDuringSignIn=risk, conditionalAccessStatus="notApplied")
        s["appliedConditionalAccessPolicies"] = [{**template, "id": pid, "displayName": name, "result": result} for pid, name, result in applied]
        self.sign_ins.append(s)
        return s

    def assignment(self, principal: str, role: str, permanent: bool = True, via_pim: bool = False, activated: bool = False) -> dict:
        a = copy.deepcopy(sample("roleassignmentscheduleinstances-list.response.json")["value"][0])
        a.update(id=str(uuid.uuid4()), principalId=principal, roleDefinitionId=role,
                 startDateTime=iso(self.now - timedelta(days=1)) if (via_pim or activated) else None,
                 endDateTime=None if permanent and not activated else iso(self.now + timedelta(hours=2)),
                 assignmentType="Activated" if activated else "Assigned")
        self.assignments.append(a)
        return a

    def eligibility(self, principal: str, role: str, activated_hours_ago: Optional[float] = None) -> dict:
        e = copy.deepcopy(sample("roleeligibilityscheduleinstances-list.response.json")["value"][0])
        e.update(id=str(uuid.uuid4()), principalId=principal, roleDefinitionId=role,
                 startDateTime=iso(self.now - timedelta(days=30)), endDateTime=iso(self.now + timedelta(days=150)))
        self.eligibilities.append(e)
        if activated_hours_ago is not None:
            self.activations.append({"id": str(uuid.uuid4()), "principalId": principal, "roleDefinitionId": role, "action": "selfActivate",
                                     "createdDateTime": iso(self.now - timedelta(hours=activated_hours_ago))})
        return e

    def policy_id(self, control_id: str) -> str:
        return next(p["id"] for p in self.policies if f" {control_id} " in p["displayName"])

    def policy_name(self, control_id: str) -> str:
        return next(p["displayName"] for p in self.policies if f" {control_id} " in p["displayName"])

    # ------------------------------------------------------------------ serving

    def routes(self):
        v1 = r"v1\.0"
        return [
            (rf"GET {v1} /groups", self._groups),
            (rf"GET {v1} /groups/([^/]+)/transitiveMembers", self._transitive_members),
            (rf"GET {v1} /users/([^/]+)/transitiveMemberOf", self._member_of),
            (rf"GET {v1} /users", self._users),
            (rf"GET {v1} /identity/conditionalAccess/policies", self._policies),
            (rf"GET {v1} /reports/authenticationMethods/userRegistrationDetails", self._registration),
            (rf"GET {v1} /deviceManagement/managedDevices", self._devices),
            (rf"GET {v1} /auditLogs/signIns", self._sign_ins),
            (rf"GET {v1} /roleManagement/directory/roleAssignmentScheduleInstances", self._instances(lambda: self.assignments)),
            (rf"GET {v1} /roleManagement/directory/roleEligibilityScheduleInstances", self._instances(lambda: self.eligibilities)),
            (rf"GET {v1} /roleManagement/directory/roleAssignmentScheduleRequests", self._activations),
        ]

    def _page(self, version, path, query, items):
        # Only the page served is serialised (the double's paging slices first): no copy of the whole list per page.
        return self.double._collection(version, path, query, _select(items, query))

    def _filtered(self, items: list[dict], query: dict[str, str]) -> list[dict]:
        if not query.get("$filter"):
            return items
        field, wanted = _in(query["$filter"])
        return [x for x in items if str(x.get(field, "")).lower() in wanted]

    def _groups(self, version, path, query, body):
        return self._page(version, path, query, self._filtered(self.groups, query))

    def _users(self, version, path, query, body):
        return self._page(version, path, query, self._filtered(list(self.users.values()), query))

    def _expand(self, gid: str, seen: set[str]) -> list[dict]:
        out = []
        for m in self.members.get(gid.lower(), []):
            out.append(m)
            if m["@odata.type"] == "#microsoft.graph.group" and m["id"] not in seen:
                seen.add(m["id"])
                out += self._expand(m["id"], seen)
        return list({m["id"]: m for m in out}.values())

    def _transitive_members(self, version, path, query, body, gid):
        if gid.lower() not in self.members:
            raise _Fail(404, "Request_ResourceNotFound", f"Resource '{gid}' does not exist or one of its queried reference-property objects are not present.")
        return self._page(version, path, query, self._expand(gid, set()))

    def _member_of(self, version, path, query, body, user_id):
        groups = [{"@odata.type": "#microsoft.graph.group", "id": gid} for gid in self.members
                  if any(m["id"] == user_id.lower() for m in self._expand(gid, set()))]
        return self._page(version, path, query, groups)

    def _policies(self, version, path, query, body):
        return self._page(version, path, query, self.policies)

    def _registration(self, version, path, query, body):
        if "$select" in query:
            raise _Fail(400, "BadRequest", "Query option '$select' is not supported for this resource.")
        return self._page(version, path, query, self._filtered(list(self.registration.values()), query))

    def _devices(self, version, path, query, body):
        field, wanted = _in(query.get("$filter", ""))
        by_user = self._index(self.devices, field)
        return self._page(version, path, query, [d for u in sorted(wanted) for d in by_user.get(u, [])])

    def _index(self, items: list[dict], field: str) -> dict[str, list[dict]]:
        """``items`` by ``field`` (lower case), rebuilt when the list grew: the benchmark's 50,000 sign-ins."""
        cache = self.__dict__.setdefault("_indexes", {})
        key = (id(items), field)
        if key not in cache or cache[key][0] != len(items):
            out: dict[str, list[dict]] = {}
            for x in items:
                out.setdefault(str(x.get(field, "")).lower(), []).append(x)
            cache[key] = (len(items), out)
        return cache[key][1]

    def _sign_ins(self, version, path, query, body):
        m = WINDOW.match(query.get("$filter", ""))
        if not m:
            raise _Fail(400, "BadRequest", "Invalid filter clause: sign-ins are read with a createdDateTime window here")
        since = m.group(1).replace("Z", "")
        field, wanted = _in(m.group(2))
        by_user = self._index(self.sign_ins, "userId")
        # ISO timestamps in UTC compare as text; the stored ones carry 7 fractional digits.
        items = [s for u in wanted for s in by_user.get(u, []) if s["createdDateTime"][:19] >= since]
        return self._page(version, path, query, sorted(items, key=lambda s: s["createdDateTime"], reverse=True))

    def _instances(self, items):
        def handler(version, path, query, body):
            return self._page(version, path, query, self._filtered(items(), query))
        return handler

    def _activations(self, version, path, query, body):
        if query.get("$filter") != "action eq 'selfActivate'":
            raise _Fail(400, "BadRequest", "Invalid filter clause")
        return self._page(version, path, query, self.activations)


def serve(double: GraphDouble, snapshot: dict[str, Any]) -> ReadinessTenant:
    return ReadinessTenant(double, snapshot)
