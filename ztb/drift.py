"""Drift: the baseline's desired state against a tenant snapshot, one verdict per control.

Matching is by what the stack controls and Graph keeps stable: groups the stack creates by their
deterministic display names (then every ``${group:...}`` reference is resolved from the snapshot),
CA policies and the privileged compliance policy by display name, PIM policies through their
assignment's roleDefinitionId, referenced objects by ID. What "equal" means is asked of
:mod:`ztb.normalize` and what a difference does of :mod:`ztb.classify`; nothing here second-guesses
either, so drift, review and the providers agree.

Fails closed: a reference that cannot be resolved or a name that matches two groups raises
:class:`DriftError` (exit 1) instead of comparing against an empty or guessed list.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import classify as cl
from .model import groups as g
from .model.baseline import Baseline
from .model.controls import Control, UnresolvedReferenceError, iter_refs, resolve_refs
from .normalize import compare
from .roles import resolve as resolve_role

MISSING, CHANGED, NOT_ENFORCED, UNMANAGED, UNCOVERED = "missing", "changed", "notEnforced", "unmanaged", "uncovered"
NEW, PERSISTING, FIXED = "new", "persisting", "fixed"
ENABLED, REPORT_ONLY = "enabled", "enabledforreportingbutnotenforced"
#: Groups whose members are privileged users (or the break-glass accounts): a policy that includes
#: one of them reaches privileged users.
PRIVILEGED_GROUP_KEYS = (g.PRIVILEGED, g.EMERGENCY, *g.RING_KEYS.values())


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

    def _compare(self, c: Control, desired: dict[str, Any], actual: dict[str, Any]) -> None:
        changes, verdicts = [], []
        for ch in compare(c.kind, desired, actual):
            v = cl.classify(c.kind, ch.path, ch.desired, ch.actual, self.ctx)
            verdicts.append(v)
            changes.append({**ch.as_dict(), "impact": v.impact, "reason": v.reason})
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
        for c in self.b.of_kind("group"):
            key = c.meta["groupKey"]
            if not c.managed:
                self.ids[key] = c.meta["objectId"]
                if c.meta["objectId"].lower() not in by_id:
                    self._missing(c, f"group {c.meta['objectId']} is not in the tenant")
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
            self._compare(c, c.desired, found[0])
        if self.ids.get(g.EMERGENCY):
            self.ctx = cl.Context.of(self.b.emergency_ids | {self.ids[g.EMERGENCY]})

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
            v = cl.classify_unmanaged(p, self.ctx)
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
    configured, exported = (b.config.tenantId or "").lower(), str(snap.get("tenantId") or "").lower()
    if configured and exported and configured != exported:
        # Comparing one tenant with another tenant's stack is never a meaningful "in sync".
        raise DriftError(f"the snapshot is of tenant {exported} but the stack config names tenant {configured}; "
                         "export the right tenant or pass the right --config")
    d = _Drift(b, snap)
    d.groups()
    others = d.conditional_access()
    d.pim()
    d.compliance()
    d.unmanaged(others)
    d.uncovered()
    return Report(d.findings, list(b.controls), not_checked(b), snap.get("tenantId", ""), snap.get("exportedAt", ""), d.accepted)


# --- history --------------------------------------------------------------------------------

def load_previous(path: str) -> list[dict[str, Any]]:
    """The findings of an earlier `ztb drift --format json` run."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DriftError(f"previous result {path}: no such file; pass the JSON of an earlier `ztb drift --format json --out FILE`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise DriftError(f"previous result {path}: not readable JSON ({getattr(e, 'msg', None) or e}); pass the output of `ztb drift --format json`") from None
    findings = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(findings, list) or not all(isinstance(f, dict) and isinstance(f.get("controlId"), str) for f in findings):
        raise DriftError(f"previous result {path}: no 'findings' list with a controlId in each; pass the output of `ztb drift --format json`")
    return findings


def mark_history(report: Report, previous: list[dict[str, Any]]) -> None:
    """Mark each finding new or persisting, and add the previous ones that are gone as fixed."""
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
