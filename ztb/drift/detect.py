"""Drift: the baseline's desired state against a tenant snapshot, one verdict per control.

Matching is by what the stack controls and Graph keeps stable: groups the stack creates by their
deterministic display names (then every ``${group:...}`` reference is resolved from the snapshot),
CA policies and the privileged compliance policy by display name, PIM policies through their
assignment's roleDefinitionId, referenced objects by ID. What "equal" means is asked of
:mod:`ztb.compare.normalize` and what a difference does of :mod:`ztb.compare.classify`; nothing here second-guesses
either, so drift, review and the providers agree.

Group members and owners are tamper paths, compared by object ID (types ignored) according to the
group's ``meta["membership"]``: an exclusion group (emergency access, the audited CA exclusion
group) weakens with any member the stack does not declare (excluded from every privileged policy)
and with a declared break-glass member missing (lockout risk); the privileged (included) group
weakens with a declared member missing and strengthens with an extra one; rollout rings compare
owners only. Every group weakens with an owner the stack does not declare: an owner can change
the membership.

Fails closed: a reference that cannot be resolved, a name that matches two groups, a watched group
without its members or owners, or a ``--previous`` file of another tenant raises
:class:`DriftError` (exit 1) instead of comparing against an empty or guessed list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, StringConstraints, TypeAdapter, ValidationError

from ztb.compare import classify as cl
from ztb.model import groups as g
from ztb.model.baseline import Baseline
from ztb.model.controls import Control, UnresolvedReferenceError, iter_refs, resolve_refs
from ztb.compare.normalize import canonical, compare
from ztb.render.plan import truncate
from ztb.catalogue.roles import resolve as resolve_role

MISSING, CHANGED, NOT_ENFORCED, UNMANAGED, UNCOVERED = "missing", "changed", "notEnforced", "unmanaged", "uncovered"
NEW, PERSISTING, FIXED = "new", "persisting", "fixed"
ENABLED, REPORT_ONLY = "enabled", "enabledforreportingbutnotenforced"
#: Groups whose members are privileged users (or the break-glass accounts): a policy that includes
#: one of them reaches privileged users.
PRIVILEGED_GROUP_KEYS = (g.PRIVILEGED, g.EMERGENCY, *g.RING_KEYS.values())
EXCLUSION, INCLUDED, RING = "exclusion", "included", "ring"
#: How a group's members are read when the model does not say (``meta["membership"]``).
MEMBERSHIP = {g.EMERGENCY: EXCLUSION, g.CA_EXCLUSION: EXCLUSION, g.PRIVILEGED: INCLUDED,
              **{k: RING for k in g.RING_KEYS.values()}}
#: The config key that declares a group's members, named in the fix of an undeclared member.
MEMBER_KEYS = {g.EMERGENCY: "ztb:emergencyAccessUserIds", g.CA_EXCLUSION: "ztb:conditionalAccessExclusionMemberIds",
               g.PRIVILEGED: "ztb:eligibility"}
#: What an owner the stack does not declare can do, by membership.
OWNER_POWER = {
    EXCLUSION: "can add accounts that every privileged policy then excludes",
    INCLUDED: "can change who the privileged policies cover",
    RING: "can move accounts into or out of a rollout ring",
}


class DriftError(ValueError):
    """Drift cannot be told from this snapshot: one line naming the problem and the fix."""


@dataclass
class Finding:
    control_id: str
    kind: str
    display_name: str
    status: str
    impact: str
    reason: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    object_id: Optional[str] = None
    trend: Optional[str] = None
    previous_status: Optional[str] = None

    def as_dict(self) -> dict[str, Any]:
        out = {
            "controlId": self.control_id, "kind": self.kind, "displayName": self.display_name,
            "status": self.status, "impact": self.impact, "reason": self.reason, "changes": self.changes,
            "objectId": self.object_id,
        }
        if self.trend:
            out["trend"] = self.trend
        if self.previous_status and self.previous_status != self.status:
            out["previousStatus"] = self.previous_status
        return out


@dataclass
class Report:
    findings: list[Finding]
    controls: list[Control]
    not_checked: dict[str, str]
    tenant_id: str = ""
    exported_at: str = ""
    #: Unmanaged policies the stack accepts (ztb:acceptedUnmanagedPolicies) that do not weaken.
    accepted: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> list[Finding]:
        return [f for f in self.findings if f.trend != FIXED]

    @property
    def in_sync(self) -> bool:
        return not self.current

    def as_dict(self) -> dict[str, Any]:
        return {
            "inSync": self.in_sync,
            "findings": [f.as_dict() for f in self.findings],
            "tenantId": self.tenant_id,
            "exportedAt": self.exported_at,
            "notChecked": [{"controlId": k, "reason": v} for k, v in self.not_checked.items()],
            "accepted": self.accepted,
        }


class _Drift:
    def __init__(self, b: Baseline, snap: dict[str, Any]):
        self.b, self.snap = b, snap
        self.findings: list[Finding] = []
        self.ids: dict[str, str] = {}
        self.ctx = cl.Context.of(b.emergency_ids)
        self.accepted: list[dict[str, Any]] = []

    # -- helpers -----------------------------------------------------------------------------
    def _missing(self, c: Control, why: str) -> None:
        v = cl.classify_operation("delete", c.kind)
        self.findings.append(Finding(c.id, c.kind, c.display_name, MISSING, v.impact, f"{why}: {v.reason}"))

    def _compare(self, c: Control, desired: dict[str, Any], actual: dict[str, Any],
                 extra: list[tuple[dict[str, Any], cl.Verdict]] | None = None) -> None:
        changes, verdicts = [], []
        for ch in compare(c.kind, desired, actual):
            v = cl.classify(c.kind, ch.path, ch.desired, ch.actual, self.ctx)
            verdicts.append(v)
            changes.append({**ch.as_dict(), "impact": v.impact, "reason": v.reason})
        for change, v in extra or []:
            verdicts.append(v)
            changes.append({**change, "impact": v.impact, "reason": v.reason})
        if not changes:
            return
        enforced = str(desired.get("state", "")).lower() == ENABLED and str(actual.get("state", "")).lower() != ENABLED
        status = NOT_ENFORCED if c.kind == "conditionalAccessPolicy" and enforced else CHANGED
        reason = "; ".join(dict.fromkeys(v.reason for v in verdicts))
        self.findings.append(Finding(c.id, c.kind, c.display_name, status, cl.worst(v.impact for v in verdicts),
                                     reason, changes, actual.get("id")))

    def _resolve(self, c: Control) -> dict[str, Any]:
        try:
            return resolve_refs(c.desired, self.ids)
        except UnresolvedReferenceError:
            key = next(k for k in iter_refs(c.desired) if not self.ids.get(k))
            grp = next(x for x in self.b.of_kind("group") if x.meta["groupKey"] == key)
            raise DriftError(
                f"{c.id} references the group {grp.id} '{grp.desired.get('displayName', key)}', which is not in the snapshot "
                "(deleted or renamed in the tenant), so its members and exclusions cannot be compared; restore the group "
                "(`pulumi up`) or re-export if the snapshot predates it"
            ) from None

    @staticmethod
    def _by_name(objs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for o in objs:
            out[str(o.get("displayName") or "").casefold()].append(o)
        return out

    # -- kinds -------------------------------------------------------------------------------
    def groups(self) -> None:
        by_id = {str(x["id"]).lower(): x for x in self.snap["groups"]}
        by_name = self._by_name(self.snap["groups"])
        matched: list[tuple[Control, dict[str, Any], dict[str, Any]]] = []
        for c in self.b.of_kind("group"):
            key = c.meta["groupKey"]
            if not c.managed:
                self.ids[key] = c.meta["objectId"]
                found_id = by_id.get(c.meta["objectId"].lower())
                if found_id is None:
                    self._missing(c, f"group {c.meta['objectId']} is not in the tenant")
                else:
                    matched.append((c, {}, found_id))  # referenced, not managed: only members and owners count
                continue
            found = by_name.get(c.desired["displayName"].casefold(), [])
            if len(found) > 1:
                raise DriftError(
                    f"{c.id}: {len(found)} groups are named '{c.desired['displayName']}' ({', '.join(x['id'] for x in found)}), "
                    "so drift cannot tell which one the stack manages; rename or delete the extra group"
                )
            if not found:
                self._missing(c, f"no group named '{c.desired['displayName']}'")
                continue
            self.ids[key] = found[0]["id"]
            matched.append((c, self._group_fields(c), found[0]))
        if self.ids.get(g.EMERGENCY):
            self.ctx = cl.Context.of(self.b.emergency_ids | {self.ids[g.EMERGENCY]})
        for c, desired, actual in matched:
            self._compare(c, desired, actual, self._membership(c, actual))

    @staticmethod
    def _group_fields(c: Control) -> dict[str, Any]:
        """The group properties compared field by field: not members and owners (compared as
        sets below), nor what the component sets only at creation (``meta["createOnly"]``)."""
        skip = {"members", "owners", *c.meta.get("createOnly", ())}
        return {k: v for k, v in c.desired.items() if k not in skip}

    def _membership(self, c: Control, actual: dict[str, Any]) -> list[tuple[dict[str, Any], cl.Verdict]]:
        key = c.meta["groupKey"]
        for field_name in ("members", "owners"):
            if not isinstance(actual.get(field_name), list):
                raise DriftError(
                    f"{c.id}: the snapshot's group {actual['id']} carries no '{field_name}' list, so who can bypass or change "
                    "the privileged policies cannot be compared; re-export with `ztb export --out FILE` (a version 2 snapshot "
                    "holds the members and owners of every group the baseline watches)"
                )
        membership = c.meta.get("membership") or MEMBERSHIP.get(key, RING)
        out = []
        if membership in (EXCLUSION, INCLUDED):
            change = self._members(c, actual["members"], membership)
            if change:
                out.append(change)
        change = self._owners(c, actual["owners"], membership)
        if change:
            out.append(change)
        return out

    def _members(self, c: Control, members: list[dict[str, Any]], membership: str) -> tuple[dict[str, Any], cl.Verdict] | None:
        declared = bool(c.meta.get("membersDeclared", "members" in c.desired))
        if not declared and membership == INCLUDED:
            return None  # who the privileged group covers is not the stack's to say: nothing to compare
        want = {str(m["id"]).lower(): m for m in (c.desired.get("members") or [] if declared else [])}
        have = {str(m["id"]).lower(): m for m in members}
        if want.keys() == have.keys():
            return None
        # Same object on both sides where the ID matches, so the classifier's set delta (which
        # keys items by type and ID) sees only the IDs that differ.
        old = [have.get(k, v) for k, v in want.items()]
        ctx = cl.Context(frozenset(self.ctx.emergency_ids), exclusion_group=membership == EXCLUSION)
        v = cl.classify("group", "members", old, list(have.values()), ctx)
        if not declared:
            v = cl.Verdict(v.impact, f"{v.reason}; the stack declares no members for this group: declare the expected ones in "
                                     f"{MEMBER_KEYS.get(c.meta['groupKey'], 'the stack config')}")
        return {"path": "members", "desired": sorted(want) if declared else None, "actual": sorted(have)}, v

    def _owners(self, c: Control, owners: list[dict[str, Any]], membership: str) -> tuple[dict[str, Any], cl.Verdict] | None:
        declared = bool(c.meta.get("ownersDeclared", "owners" in c.desired))
        want = {str(o["id"]).lower() for o in c.desired.get("owners") or []}
        have = {str(o["id"]).lower(): o for o in owners}
        added = [have[k] for k in have if k not in want]
        removed = sorted(want - set(have))
        if not added and not removed:
            return None
        detail = ", ".join([f"+ {self._label(o)}" for o in added] + [f"- {k}" for k in removed])
        if added:
            fix = "declare the intended owners in ztb:groupOwners" if not declared else "remove it, or declare it in ztb:groupOwners"
            v = cl.Verdict(cl.WEAKENS, f"owners: {detail}: an owner the stack does not declare {OWNER_POWER[membership]} ({fix})")
        else:
            v = cl.Verdict(cl.NEUTRAL, f"owners: {detail}: a declared owner is gone (`pulumi up` restores it)")
        return {"path": "owners", "desired": sorted(want) if declared else None, "actual": sorted(have)}, v

    @staticmethod
    def _label(obj: dict[str, Any]) -> str:
        kind = str(obj.get("@odata.type") or "").rsplit(".", 1)[-1]
        return f"{kind} {obj['id']}" if kind else str(obj["id"])

    def conditional_access(self) -> list[dict[str, Any]]:
        """Compare the baseline's policies; return the snapshot's policies no control matched."""
        by_name = self._by_name(self.snap["conditionalAccessPolicies"])
        matched: set[str] = set()
        for c in self.b.of_kind("conditionalAccessPolicy"):
            desired = self._resolve(c)
            found = by_name.get(c.display_name.casefold(), [])
            if not found:
                self._missing(c, f"no Conditional Access policy named '{c.display_name}'")
                continue
            # Same name twice: the closest is the stack's; the other is judged as unmanaged.
            best = min(found, key=lambda p: len(compare(c.kind, desired, p)))
            matched.add(best["id"])
            self._compare(c, desired, best)
        return [p for p in self.snap["conditionalAccessPolicies"] if p["id"] not in matched]

    def pim(self) -> None:
        policies = {p["id"]: p for p in self.snap["roleManagementPolicies"]}
        assigned = {a["roleDefinitionId"].lower(): a["policyId"] for a in self.snap["roleManagementPolicyAssignments"]
                    if a.get("scopeId") == "/"}
        for c in self.b.of_kind("roleManagementPolicy"):
            policy = policies.get(assigned.get(c.desired["roleDefinitionId"].lower(), ""))
            if policy is None:
                self._missing(c, f"no PIM policy assigned to role {c.meta['roleName']} ({c.desired['roleDefinitionId']})")
                continue
            self._compare(c, self._resolve(c), policy)

    def compliance(self) -> None:
        by_id = {str(p["id"]).lower(): p for p in self.snap["deviceCompliancePolicies"]}
        by_name = self._by_name(self.snap["deviceCompliancePolicies"])
        for c in self.b.of_kind("deviceCompliancePolicy"):
            desired = self._resolve(c)
            if c.meta.get("assignOnly"):
                found = [by_id[c.meta["policyId"]]] if c.meta["policyId"] in by_id else []
                why = f"compliance policy {c.meta['policyId']} is not in the tenant"
            else:
                found = by_name.get(c.display_name.casefold(), [])
                why = f"no compliance policy named '{c.display_name}'"
            if not found:
                self._missing(c, why)
                continue
            self._compare(c, desired, min(found, key=lambda p: len(compare(c.kind, desired, p))))

    def unmanaged(self, others: list[dict[str, Any]]) -> None:
        roles = {r.template_id for r in self.b.scope} | {
            str(r.get("templateId") or r["id"]).lower() for r in self.snap["roleDefinitions"] if r.get("isPrivileged")
        }
        groups = {self.ids[k].lower(): k for k in PRIVILEGED_GROUP_KEYS if self.ids.get(k)}
        accepted = {a.id: a.reason for a in self.b.config.acceptedUnmanagedPolicies}
        for p in others:
            if str(p.get("state", "")).lower() not in (ENABLED, REPORT_ONLY):
                continue
            users = (p.get("conditions") or {}).get("users") or {}
            reach = []
            if "all" in {str(u).lower() for u in users.get("includeUsers") or []}:
                reach.append("All users")
            hit_roles = sorted({str(r).lower() for r in users.get("includeRoles") or []} & roles)
            if hit_roles:
                reach.append(f"{len(hit_roles)} privileged role(s)")
            reach += [f"group {groups[x]}" for x in sorted({str(x).lower() for x in users.get("includeGroups") or []} & set(groups))]
            if not reach:
                continue
            v = cl.classify_unmanaged(self._as_normalised(p), self.ctx)
            reason = accepted.get(str(p.get("id", "")).lower())
            if reason and v.impact != cl.WEAKENS:
                # Accepted on purpose, and still harmless: listed, not drift. An accepted policy
                # that starts to weaken (its break-glass exclusion removed) is reported again.
                self.accepted.append({"id": p["id"], "displayName": p.get("displayName", ""), "reason": reason})
                continue
            state = "report-only" if str(p["state"]).lower() == REPORT_ONLY else "enabled"
            self.findings.append(Finding(
                f"UNMANAGED-CA-{str(p['id'])[:8]}", "conditionalAccessPolicy", p.get("displayName", ""), UNMANAGED,
                v.impact, f"{state} policy not in the baseline reaching {', '.join(reach)}: {v.reason}", [], p["id"],
            ))

    @staticmethod
    def _as_normalised(policy: dict[str, Any]) -> dict[str, Any]:
        """The policy with session controls that are all off read as none (what the provider
        writes for every policy), so the classifier does not see an object where there is none."""
        if policy.get("sessionControls") and not canonical("conditionalAccessPolicy", {"sessionControls": policy["sessionControls"]}):
            return {**policy, "sessionControls": None}
        return policy

    def uncovered(self) -> None:
        scope = {r.template_id for r in self.b.scope}
        removed = {r.lower() for r in self._removed()}
        v = cl.classify_operation("uncovered", "roleManagementPolicy")
        for r in self.snap["roleDefinitions"]:
            tid = str(r.get("templateId") or r["id"]).lower()
            if r.get("isPrivileged") is True and r.get("isBuiltIn") is True and tid not in scope and tid not in removed:
                self.findings.append(Finding(
                    f"UNCOVERED-ROLE-{tid[:8]}", "roleDefinition", r.get("displayName", tid), UNCOVERED, v.impact,
                    f"Microsoft labels '{r.get('displayName', tid)}' ({tid}) privileged but the baseline does not cover it: "
                    f"{v.reason}; add it with ztb:roles.add", [], r["id"],
                ))

    def _removed(self) -> set[str]:
        """Roles the stack removes on purpose: `ztb plan` already warns about them."""
        return {resolve_role(n).template_id for n in self.b.config.roles.remove}


def not_checked(b: Baseline) -> dict[str, str]:
    out = {}
    for c in b.controls:
        if c.kind == "manualCheck":
            out[c.id] = f"manual check: {c.instructions}"
        elif c.kind == "roleEligibility":
            out[c.id] = "eligible assignments are not part of the snapshot; check them in PIM"
    return out


def detect(b: Baseline, snap: dict[str, Any]) -> Report:
    """Every difference between the baseline and a (validated) snapshot, one finding per control."""
    configured, exported = (b.config.tenantId or "").lower(), str(snap.get("tenantId") or "").strip().lower()
    if not exported:
        raise DriftError("the snapshot names no tenant (empty tenantId), so it cannot be told which tenant it describes; "
                         "re-export it with `ztb export --out FILE`")
    if configured and configured != exported:
        # Comparing one tenant with another tenant's stack is never a meaningful "in sync".
        raise DriftError(f"the snapshot is of tenant {exported} but the stack config names tenant {configured}; "
                         "export the right tenant or pass the right --config")
    #: The collections each kind of control is compared against (roleDefinitions: uncovered roles).
    needs = {"conditionalAccessPolicies": "conditionalAccessPolicy", "groups": "group", "roleManagementPolicies": "roleManagementPolicy",
             "roleManagementPolicyAssignments": "roleManagementPolicy", "deviceCompliancePolicies": "deviceCompliancePolicy"}
    for collection, why in (snap.get("skipped") or {}).items():
        if collection == "roleDefinitions" or (collection in needs and b.of_kind(needs[collection])):
            raise DriftError(f"the snapshot skipped {collection} ({truncate(why, 120)}), which this stack's controls are compared "
                             "against; export with this stack's config (`ztb export --config ... --out FILE`)")
    d = _Drift(b, snap)
    try:
        d.groups()
        others = d.conditional_access()
        d.pim()
        d.compliance()
        d.unmanaged(others)
        d.uncovered()
    except RecursionError:
        # Only an unvalidated snapshot gets here: ztb.tenant.snapshot.validate bounds the depth.
        raise DriftError("the snapshot nests too deeply to compare; read it with `ztb drift --snapshot FILE`, "
                         "which checks the format first") from None
    return Report(d.findings, list(b.controls), not_checked(b), snap.get("tenantId", ""), snap.get("exportedAt", ""), d.accepted)


# --- history --------------------------------------------------------------------------------

#: The most findings a previous result can hold: every control plus one per policy or role a
#: snapshot may hold (ztb.tenant.snapshot.MAX_ITEMS), with room to spare.
MAX_PREVIOUS_FINDINGS = 10000
MAX_PREVIOUS_BYTES = 16 * 1024 * 1024
_Short = Annotated[str, StringConstraints(strict=True, max_length=4096)]


class _PreviousFinding(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    controlId: Annotated[str, StringConstraints(strict=True, min_length=1, max_length=256)]
    kind: _Short = ""
    displayName: _Short = ""
    status: _Short = ""
    impact: Annotated[str, StringConstraints(strict=True, pattern=r"^(weakens|neutral|strengthens)$")] = cl.NEUTRAL
    reason: Annotated[str, StringConstraints(strict=True, max_length=65536)] = ""
    objectId: Optional[_Short] = None
    trend: Optional[_Short] = None


_FINDINGS = TypeAdapter(list[_PreviousFinding])


@dataclass(frozen=True)
class Previous:
    """An earlier `ztb drift --format json` result: its findings and the tenant they were of."""

    findings: list[dict[str, Any]]
    tenant_id: str


def load_previous(path: str) -> Previous:
    """The findings of an earlier `ztb drift --format json` run, with their tenant (bounded read)."""
    from ztb.tenant.snapshot import InputError, check_tree, read_json

    where = truncate(path, 200)
    fix = "pass the output of `ztb drift --format json --out FILE`"
    try:
        doc = read_json(path, max_bytes=MAX_PREVIOUS_BYTES)
        check_tree(doc)
    except FileNotFoundError:
        raise DriftError(f"previous result {where}: no such file; pass the JSON of an earlier `ztb drift --format json --out FILE`") from None
    except OSError as e:
        raise DriftError(f"previous result {where}: cannot be read ({e.strerror or e}); {fix}") from None
    except InputError as e:
        raise DriftError(f"previous result {where}: {e}; {fix}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise DriftError(f"previous result {where}: no 'findings' list with a controlId in each; {fix}")
    if len(doc["findings"]) > MAX_PREVIOUS_FINDINGS:
        raise DriftError(f"previous result {where}: {len(doc['findings'])} findings, more than the {MAX_PREVIOUS_FINDINGS:,} "
                         f"a drift report can hold; {fix}")
    try:
        findings = _FINDINGS.validate_python(doc["findings"])
    except ValidationError as e:
        err = e.errors()[0]
        if err["loc"][-1] == "controlId" or len(err["loc"]) == 1:
            raise DriftError(f"previous result {where}: no 'findings' list with a controlId in each; {fix}") from None
        loc = "findings" + "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"])
        raise DriftError(f"previous result {where}: '{truncate(loc, 80)}' {err['msg'].lower()}; {fix}") from None
    tenant = doc.get("tenantId")
    if not isinstance(tenant, str) or not tenant.strip():
        raise DriftError(f"previous result {where}: no tenantId, so its findings cannot be matched to this tenant; {fix}")
    return Previous([f.model_dump() for f in findings], tenant.strip().lower())


def mark_history(report: Report, previous: Previous | list[dict[str, Any]]) -> None:
    """Mark each finding new or persisting, and add the previous ones that are gone as fixed.

    A previous result of another tenant is refused: its findings would all turn into "fixed".
    """
    if isinstance(previous, Previous):
        if report.tenant_id and previous.tenant_id != report.tenant_id.strip().lower():
            raise DriftError(f"the previous result is of tenant {truncate(previous.tenant_id, 64)} but this report is of tenant "
                             f"{report.tenant_id}; pass the previous result of the same tenant")
        previous = previous.findings
    before = {f["controlId"]: f for f in previous if f.get("trend") != FIXED}
    for f in report.findings:
        old = before.get(f.control_id)
        f.trend = PERSISTING if old else NEW
        f.previous_status = old.get("status") if old else None
    now = {f.control_id for f in report.findings}
    for cid, old in before.items():
        if cid not in now:
            report.findings.append(Finding(
                cid, old.get("kind", ""), old.get("displayName", ""), old.get("status", ""), old.get("impact", cl.NEUTRAL),
                f"fixed since the previous run: {old.get('reason', '')}".rstrip(": "), [], old.get("objectId"), FIXED,
            ))
