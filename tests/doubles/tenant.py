"""A whole tenant, from a ztb snapshot, served by the shared Graph double (tests/doubles/graph.py).

:func:`serve` seeds the double's state from a snapshot and adds the read endpoints `ztb export`
uses, answering them the way Graph documents: the PIM policy list requires the scope filter and
returns rules only with ``$expand=rules``; compliance policies carry their assignments only with
``$expand=assignments``; groups are filtered with ``id in (...)`` / ``displayName in (...)`` (at
most 15 values, Graph's default limit); ``$select`` is honoured. Each collection can also be read
one object at a time (``GET <collection>/{id}``), which the benchmark's naive reader uses.

Standing access (the snapshot's role schedule instances, activation requests and principals) is
served as Graph lists it: the instances by ``roleDefinitionId in (...)``, the requests by
``action eq 'selfActivate'``, the principals as ``/users`` and ``/groups`` by ``id in (...)``.

Groups' ``members`` and ``owners`` in the snapshot are served as ``/groups/{id}/members`` and
``/owners`` (never inside ``/groups``, as Graph does; a group without them has none), and
``/organization`` names the snapshot's tenant.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone
from typing import Any

from tests.doubles.graph import GraphDouble, _Fail
from tests.doubles.readiness import _in, iso
from ztb.tenant.role_access import parse_time

IN_FILTER = re.compile(r"^(id|displayName) in \((.*)\)$")
VALUE = re.compile(r"'((?:[^']|'')*)'")
COLLECTIONS = {
    "conditionalAccessPolicies": "/identity/conditionalAccess/policies",
    "namedLocations": "/identity/conditionalAccess/namedLocations",
    "authenticationStrengthPolicies": "/policies/authenticationStrengthPolicies",
    "groups": "/groups",
    "roleDefinitions": "/roleManagement/directory/roleDefinitions",
    "roleAssignments": "/roleManagement/directory/roleAssignments",
}
#: A snapshot's app protection policy type -> the collection Graph lists it in.
APP_PROTECTION = {"#microsoft.graph.iosManagedAppProtection": "iosManagedAppProtections",
                  "#microsoft.graph.androidManagedAppProtection": "androidManagedAppProtections"}

OPTIONAL = {
    "accessReviewDefinitions": "/identityGovernance/accessReviews/definitions",
    "authenticationContextClassReferences": "/identity/conditionalAccess/authenticationContextClassReferences",
    "roleManagementAlertConfigurations": "/identityGovernance/roleManagementAlerts/alertConfigurations",
}


def _select(items: list[dict], query: dict[str, str]) -> list[dict]:
    fields = [f for f in query.get("$select", "").split(",") if f]
    if not fields:
        return items
    return [{k: v for k, v in x.items() if k in fields or k == "@odata.type"} for x in items]


def _aged(activations: list[dict], exported_at: Any) -> list[dict]:
    """The activations as old now as they were when the snapshot was taken (the ideal's are dated 2024)."""
    exported = parse_time(exported_at)
    if exported is None:
        return activations
    now = datetime.now(timezone.utc)
    return [{**a, "createdDateTime": iso(now - (exported - when))} if (when := parse_time(a.get("createdDateTime"))) else a
            for a in activations]


class DriftTenant:
    def __init__(self, double: GraphDouble, snapshot: dict[str, Any]) -> None:
        self.double = double
        # The double's own copy, made in one go from the JSON text (a snapshot is all JSON, and
        # this is a few times faster than deep copies of each part; many tests seed a tenant).
        snapshot = json.loads(json.dumps(snapshot))
        for key, path in COLLECTIONS.items():
            double.collections[path] = snapshot[key]
        for policy in snapshot.get("managedAppPolicies") or []:
            body = {k: v for k, v in copy.deepcopy(policy).items() if not k.startswith("assignments")}
            double.app_protection[APP_PROTECTION[body["@odata.type"]]][body["id"]] = body
            double.app_protection_assignments[body["id"]] = copy.deepcopy(policy["assignments"])
        for settings in (snapshot.get("deviceManagementSettings") or [])[:1]:
            double.device_settings = copy.deepcopy(settings)
        for group in double.collections["/groups"]:
            double.members[group["id"]] = group.pop("members", None) or []
            double.owners[group["id"]] = group.pop("owners", None) or []
        double.organization_id = snapshot.get("tenantId") or None
        for policy in snapshot["roleManagementPolicies"]:
            double.pim_policies[policy["id"]] = policy
        double.pim_assignments = snapshot["roleManagementPolicyAssignments"]
        # The optional collections (access reviews, authentication contexts, PIM for Groups), when the snapshot has them.
        for key, path in OPTIONAL.items():
            if snapshot.get(key) is not None:
                double.collections[path] = copy.deepcopy(snapshot[key])
        double.group_pim_assignments = copy.deepcopy(snapshot.get("groupRoleManagementPolicyAssignments") or [])
        for policy in snapshot["deviceCompliancePolicies"]:
            body = {k: v for k, v in policy.items() if not k.startswith("assignments")}
            double.compliance[body["id"]] = body
            double.compliance_assignments[body["id"]] = policy["assignments"]
        # Standing access: what the role schedules hold (an older snapshot has none: nobody holds a role).
        self.instances = {"roleAssignmentScheduleInstances": snapshot.get("roleAssignmentScheduleInstances") or [],
                          "roleEligibilityScheduleInstances": snapshot.get("roleEligibilityScheduleInstances") or []}
        self.activations = _aged(snapshot.get("roleActivationRequests") or [], snapshot.get("exportedAt"))
        principals = snapshot.get("rolePrincipals") or []
        self.users = [{k: v for k, v in p.items() if k != "@odata.type"} for p in principals if p["@odata.type"] == "#microsoft.graph.user"]
        known = {str(g["id"]).lower() for g in double.collections["/groups"]}
        double.collections["/groups"] += [{k: v for k, v in p.items() if k not in ("@odata.type", "members")} for p in principals
                                          if p["@odata.type"] == "#microsoft.graph.group" and str(p["id"]).lower() not in known]
        #: A role-holding group's transitive user members, as /groups/{id}/transitiveMembers answers them.
        self.role_group_members = {str(p["id"]).lower(): list(p.get("members") or []) for p in principals
                                   if p["@odata.type"] == "#microsoft.graph.group"}
        routes = self.routes()
        original = double._routes
        double._routes = lambda: routes + original()  # type: ignore[method-assign]

    def routes(self):
        return [
            (r"GET v1\.0 /groups/([^/]+)/transitiveMembers", self._transitive_members),
            (r"GET v1\.0 /policies/roleManagementPolicies", self._pim_policies),
            (r"GET beta /deviceManagement/deviceCompliancePolicies", self._compliance),
            (r"GET v1\.0 /roleManagement/directory/roleAssignments", self._role_assignments),
            (r"GET v1\.0 /roleManagement/directory/(roleAssignmentScheduleInstances|roleEligibilityScheduleInstances)", self._instances),
            (r"GET v1\.0 /roleManagement/directory/roleAssignmentScheduleRequests", self._activations),
            (r"GET v1\.0 /users", self._users),
            (r"GET (?:v1\.0|beta) /groups", self._groups),
            (r"GET (?:v1\.0|beta) (%s)/([^/]+)" % "|".join(re.escape(p) for p in COLLECTIONS.values()), self._one),
            (r"GET (?:v1\.0|beta) (%s)" % "|".join(re.escape(p) for k, p in COLLECTIONS.items() if k != "groups"), self._selected),
        ]

    def _transitive_members(self, version, path, query, body, group_id):
        members = self.role_group_members.get(group_id.lower())
        if members is None:
            raise _Fail(404, "Request_ResourceNotFound",
                        f"Resource '{group_id}' does not exist or one of its queried reference-property objects are not present.")
        return self.double._collection(version, path, query, [{"@odata.type": "#microsoft.graph.user", "id": m} for m in members])

    def _pim_policies(self, version, path, query, body):
        f = self.double._filter(query)
        if f.get("scopeId") != "/" or f.get("scopeType") not in ("DirectoryRole", "Directory"):
            raise _Fail(400, "BadRequest", "The filter must scope the request to a scopeId and a scopeType.")
        items = copy.deepcopy(list(self.double.pim_policies.values()))
        if query.get("$expand") != "rules":
            for p in items:
                p.pop("rules", None)
        return self.double._collection(version, path, query, items)

    def _by(self, items: list[dict], query: dict[str, str], field: str) -> list[dict]:
        name, wanted = _in(query.get("$filter", ""))
        if name != field:
            raise _Fail(400, "BadRequest", "Invalid filter clause")
        return _select(copy.deepcopy([x for x in items if str(x.get(field, "")).lower() in wanted]), query)

    def _instances(self, version, path, query, body, collection):
        return self.double._collection(version, path, query, self._by(self.instances[collection], query, "roleDefinitionId"))

    def _activations(self, version, path, query, body):
        if query.get("$filter") != "action eq 'selfActivate'":
            raise _Fail(400, "BadRequest", "Invalid filter clause")
        return self.double._collection(version, path, query, _select(copy.deepcopy(self.activations), query))

    def _users(self, version, path, query, body):
        return self.double._collection(version, path, query, self._by(self.users, query, "id"))

    def _compliance(self, version, path, query, body):
        items = []
        for pid, policy in self.double.compliance.items():
            p = copy.deepcopy(policy)
            if query.get("$expand") == "assignments":
                p["assignments"] = copy.deepcopy(self.double.compliance_assignments.get(pid, []))
            items.append(p)
        return self.double._collection(version, path, query, items)

    def _role_assignments(self, version, path, query, body):
        """``$expand=principal($select=id)`` as Graph answers it: the principal's id and type."""
        items = _select(copy.deepcopy(self.double.collections[path]), query)
        if query.get("$expand", "").startswith("principal"):
            for a in items:
                a["principal"] = {"@odata.type": (a.get("principal") or {}).get("@odata.type", "#microsoft.graph.user"),
                                  "id": a["principalId"]}
        return self.double._collection(version, path, query, items)

    def _groups(self, version, path, query, body):
        groups = self.double.collections["/groups"]
        text = query.get("$filter", "")
        if text:
            m = IN_FILTER.match(text)
            if not m:
                raise _Fail(400, "BadRequest", "Invalid filter clause")
            values = [v.replace("''", "'") for v in VALUE.findall(m.group(2))]
            if len(values) > 15:
                raise _Fail(400, "BadRequest", "Too many expressions in the 'in' operator: the limit is 15.")
            field = m.group(1)
            wanted = {v.lower() for v in values}
            groups = [x for x in groups if str(x.get(field, "")).lower() in wanted]
        return self.double._collection(version, path, query, _select(copy.deepcopy(groups), query))

    def _selected(self, version, path, query, body, _path):
        items = self.double.listed(path, copy.deepcopy(self.double.collections[path]))
        return self.double._collection(version, path, query, _select(items, query))

    def _one(self, version, path, query, body, collection, object_id):
        items = self.double.collections.get(collection)
        if items is None:
            raise _Fail(400, "BadRequest", f"Resource not found for the segment '{object_id}'.")
        found = next((x for x in items if str(x.get("id")).lower() == object_id.lower()), None)
        if found is None:
            raise _Fail(404, "ResourceNotFound", f"Resource '{object_id}' does not exist.")
        return self.double._json(copy.deepcopy(found))


def serve(double: GraphDouble, snapshot: dict[str, Any]) -> DriftTenant:
    """Make ``double`` answer as the tenant that ``snapshot`` describes."""
    return DriftTenant(double, snapshot)
