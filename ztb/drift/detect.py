"""Drift: the baseline's desired state against a tenant snapshot, one verdict per control.

Matching is by what the stack controls and Graph keeps stable: groups the stack creates by their
deterministic display names (then every ``${group:...}`` reference is resolved from the snapshot),
CA policies and the privileged compliance policy by display name, PIM policies through their
assignment's roleDefinitionId, referenced objects by ID. What "equal" means is asked of
:mod:`ztb.compare.normalize` and what a difference does of :mod:`ztb.compare.classify`; nothing here second-guesses
either, so drift, review and the providers agree.

Group members and owners are compared in :mod:`ztb.drift.members`. Which tenant group each group
control is, and so every group key's object ID, is resolved once, before any comparison
(:mod:`ztb.tenant.groups`, the matcher export and the ideal snapshot use too), and with it the
classifier's context (the break-glass objects, the emergency-access group included): the kinds
are then compared in any order.

Fails closed: a reference that cannot be resolved, a name that matches two groups, a watched group
without its members or owners, or a ``--previous`` file of another tenant raises
:class:`DriftError` (exit 1) instead of comparing against an empty or guessed list.
"""

from __future__ import annotations

from typing import Any

from ztb.catalogue.roles import resolve as resolve_role
from ztb.compare import classify as cl
from ztb.compare.normalize import canonical, compare
from ztb.drift import governance
from ztb.drift.history import load_previous, mark_history
from ztb.drift.members import group_fields, membership_changes
from ztb.drift.report import CHANGED, MISSING, NOT_ENFORCED, UNCOVERED, UNMANAGED, DriftError, Finding, Report
from ztb.model import apps
from ztb.model import groups as g
from ztb.model import stacks
from ztb.model.baseline import Baseline
from ztb.model.controls import Control, UnresolvedReferenceError, iter_refs, resolve_refs
from ztb.render.plan import truncate
from ztb.tenant.groups import by_display_name, group_ids, match_groups
from ztb.tenant.snapshot import OPTIONAL_COLLECTIONS

ENABLED, REPORT_ONLY = "enabled", "enabledforreportingbutnotenforced"
#: Groups whose members are privileged users (or the break-glass accounts): a policy that includes
#: one of them reaches privileged users.
PRIVILEGED_GROUP_KEYS = (g.PRIVILEGED, g.EMERGENCY, *g.RING_KEYS.values())
#: ``ztb drift`` finds the whole pipeline here: detection, its result types and ``--previous``.
__all__ = ["DriftError", "Finding", "Report", "detect", "load_previous", "mark_history", "not_checked"]


class _Drift:
    """One comparison of a baseline with a snapshot: the findings and accepted policies it collects."""

    def __init__(self, b: Baseline, snap: dict[str, Any]) -> None:
        self.b, self.snap = b, snap
        self.findings: list[Finding] = []
        self.accepted: list[dict[str, Any]] = []
        # Resolved once, before any kind is compared: which group each group control is, every
        # group key's object ID, and the classifier's context with the emergency-access group.
        self.matches = match_groups(b, snap["groups"])
        for c, found in self.matches:
            if c.managed and len(found) > 1:
                raise DriftError(
                    f"{c.id}: {len(found)} groups are named '{c.desired['displayName']}' ({', '.join(x['id'] for x in found)}), "
                    "so drift cannot tell which one the stack manages; rename or delete the extra group"
                )
        self.ids = group_ids(self.matches)
        emergency = self.ids.get(g.EMERGENCY)
        self.ctx = cl.Context.of((b.emergency_ids | {emergency}) if emergency else b.emergency_ids)

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
            grp = next(x for x in self.b.of_kind("group") if x.meta.group_key == key)
            raise DriftError(
                f"{c.id} references the group {grp.id} '{grp.desired.get('displayName', key)}', which is not in the snapshot "
                "(deleted or renamed in the tenant), so its members and exclusions cannot be compared; restore the group "
                "(`pulumi up`) or re-export if the snapshot predates it"
            ) from None

    # -- kinds -------------------------------------------------------------------------------
    def groups(self) -> None:
        for c, found in self.matches:
            if not found:
                why = f"group {c.meta.object_id} is not in the tenant" if not c.managed else f"no group named '{c.desired['displayName']}'"
                self._missing(c, why)
        for c, found in self.matches:
            if found:
                # A group the config names by ID is referenced, not managed: only members and owners count.
                desired = group_fields(c) if c.managed else {}
                self._compare(c, desired, found[0], membership_changes(c, found[0], self.ctx))

    def conditional_access(self) -> list[dict[str, Any]]:
        """Compare the baseline's policies; return the snapshot's policies no control matched."""
        by_name = by_display_name(self.snap["conditionalAccessPolicies"])
        matched: set[str] = set()
        for c in self.b.of_kind("conditionalAccessPolicy"):
            desired = self._resolve(c)
            found = by_name.get(c.display_name.casefold(), [])
            if not found:
                self._missing(c, f"no Conditional Access policy named '{c.display_name}'")
                continue
            # Same name twice: the closest is the stack's; the other is judged as unmanaged.
            best = min(found, key=lambda p: len(compare(c.kind, apps.bind_live(desired, p), p)))
            matched.add(best["id"])
            self._compare(c, apps.bind_live(desired, best), best)
        return [p for p in self.snap["conditionalAccessPolicies"] if p["id"] not in matched]

    def pim(self) -> None:
        policies = {p["id"]: p for p in self.snap["roleManagementPolicies"]}
        assigned = {a["roleDefinitionId"].lower(): a["policyId"] for a in self.snap["roleManagementPolicyAssignments"]
                    if a.get("scopeId") == "/"}
        for c in self.b.of_kind("roleManagementPolicy"):
            policy = policies.get(assigned.get(c.desired["roleDefinitionId"].lower(), ""))
            if policy is None:
                self._missing(c, f"no PIM policy assigned to role {c.meta.role_name} ({c.desired['roleDefinitionId']})")
                continue
            self._compare(c, self._resolve(c), policy)

    def compliance(self) -> None:
        by_id = {str(p["id"]).lower(): p for p in self.snap["deviceCompliancePolicies"]}
        by_name = by_display_name(self.snap["deviceCompliancePolicies"])
        for c in self.b.of_kind("deviceCompliancePolicy"):
            desired = self._resolve(c)
            if c.meta.assign_only:
                found = [by_id[c.meta.policy_id]] if c.meta.policy_id in by_id else []
                why = f"compliance policy {c.meta.policy_id} is not in the tenant"
            else:
                found = by_name.get(c.display_name.casefold(), [])
                why = f"no compliance policy named '{c.display_name}'"
            if not found:
                self._missing(c, why)
                continue
            self._compare(c, desired, min(found, key=lambda p: len(compare(c.kind, desired, p))))

    def app_protection(self) -> None:
        policies = self.snap.get("managedAppPolicies") or []
        by_name = by_display_name(policies)
        for c in self.b.of_kind("managedAppProtection"):
            desired = self._resolve(c)
            found = [p for p in by_name.get(c.display_name.casefold(), []) if _same_type(p, desired)]
            if not found:
                self._missing(c, f"no app protection policy named '{c.display_name}'")
                continue
            self._compare(c, desired, min(found, key=lambda p: len(compare(c.kind, desired, p))))

    def device_settings(self) -> None:
        settings = self.snap.get("deviceManagementSettings") or []
        for c in self.b.of_kind("deviceManagementSettings"):
            if not settings:
                self._missing(c, "the snapshot holds no Intune deviceManagement settings")
                continue
            self._compare(c, c.desired, settings[0])
            if not c.managed:
                for f in self.findings[-1:]:
                    if f.control_id == c.id:
                        f.reason += "; set ztb:deviceCompliance.secureByDefault: true to have the stack turn it on (tenant-wide)"

    def role_holders(self) -> None:
        """Users holding a role the policies target by role must be members of the privileged group:
        compliance and app protection are assigned to the group, so a holder outside it has devices
        no privileged policy judges (read-only: drift reports, the stack does not add members)."""
        assignments = self.snap.get("roleAssignments")
        if assignments is None or not stacks.phase(self.b.config.phase)["includePrivilegedScope"]:
            return
        group = next((grp for c, found in self.matches if c.meta.group_key == g.PRIVILEGED for grp in found[:1]), None)
        if group is None:
            return  # the group itself is missing: reported by groups()
        if not isinstance(group.get("members"), list):
            raise DriftError(f"the snapshot holds the privileged group {group['id']} without its members, so role holders "
                             "cannot be checked; re-export with `ztb export --config ... --out FILE`")
        members = {str(m.get("id", "")).lower() for m in group["members"]}
        exempt = {x.lower() for x in self.b.emergency_ids | set(self.b.config.conditionalAccessExclusionMemberIds)}
        roles = {r.template_id: r.name for r in self.b.scope}
        missing: dict[str, list[str]] = {}
        for a in assignments:
            role, principal = str(a.get("roleDefinitionId", "")).lower(), str(a.get("principalId", "")).lower()
            typ = str((a.get("principal") or {}).get("@odata.type") or "#microsoft.graph.user").lower()
            if role in roles and typ.endswith(".user") and principal not in members | exempt:
                missing.setdefault(principal, []).append(roles[role])
        v = cl.Verdict(cl.WEAKENS, "the devices of a privileged role holder outside the privileged group are judged by no "
                       "privileged compliance or app protection policy")
        for principal, names in sorted(missing.items()):
            self.findings.append(Finding(
                f"ROLE-HOLDER-{principal[:8]}", "roleAssignment", principal, UNCOVERED, v.impact,
                f"user {principal} holds {', '.join(sorted(set(names)))} but is not a member of the privileged group: {v.reason}; "
                "add them to the privileged group (ztb:eligibility) or remove the assignment", [], principal,
            ))

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


def _same_type(policy: dict[str, Any], desired: dict[str, Any]) -> bool:
    return str(policy.get("@odata.type", "")).lstrip("#").lower() == str(desired.get("@odata.type", "")).lstrip("#").lower()


def not_checked(b: Baseline) -> dict[str, str]:
    out = {}
    for c in b.controls:
        if c.kind == "manualCheck":
            out[c.id] = f"manual check: {c.instructions}"
        elif c.kind == "roleEligibility":
            out[c.id] = ("eligible assignments are read from the role schedules, which this snapshot does not hold (exported by an "
                         "older ztb): re-export it, or add `--standing-access`")
    from ztb.drift.standing import GLOBAL_ADMIN_CHECK, NOT_CHECKED

    if GLOBAL_ADMIN_CHECK in out:
        out[GLOBAL_ADMIN_CHECK] = NOT_CHECKED
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
             "roleManagementPolicyAssignments": "roleManagementPolicy", "deviceCompliancePolicies": "deviceCompliancePolicy",
             "managedAppPolicies": "managedAppProtection", "deviceManagementSettings": "deviceManagementSettings"}
    if stacks.phase(b.config.phase)["includePrivilegedScope"]:
        # Role holders outside the privileged group, whose devices no compliance policy judges
        # (role_holders): a snapshot without the assignments must not pass as "no such holder".
        needs["roleAssignments"] = "deviceCompliancePolicy"
    for collection, why in (snap.get("skipped") or {}).items():
        if collection == "roleDefinitions" or (collection in needs and b.of_kind(needs[collection])):
            raise DriftError(f"the snapshot skipped {collection} ({truncate(why, 120)}), which this stack's controls are compared "
                             "against; export with this stack's config (`ztb export --config ... --out FILE`)")
    for collection in OPTIONAL_COLLECTIONS:
        if snap.get(collection) is None and collection in needs and b.of_kind(needs[collection]):
            # An older export: absent is not "nothing there"; comparing would report every object missing.
            raise DriftError(f"the snapshot has no {collection} (exported by an older ztb), which this stack's controls are "
                             "compared against; re-export with `ztb export --config ... --out FILE`")
    d = _Drift(b, snap)
    try:
        d.groups()
        others = d.conditional_access()
        d.pim()
        d.compliance()
        d.app_protection()
        d.device_settings()
        d.role_holders()
        governance.access_reviews(d)
        governance.auth_contexts(d)
        governance.group_pim(d)
        governance.pim_alerts(d)
        d.unmanaged(others)
        d.uncovered()
    except RecursionError:
        # Only an unvalidated snapshot gets here: ztb.tenant.snapshot.validate bounds the depth.
        raise DriftError("the snapshot nests too deeply to compare; read it with `ztb drift --snapshot FILE`, "
                         "which checks the format first") from None
    report = Report(d.findings, list(b.controls), not_checked(b), snap.get("tenantId", ""), snap.get("exportedAt", ""), d.accepted)
    from ztb.drift import standing

    if standing.in_snapshot(snap):  # an older snapshot leaves standing access and PRIV-MAN-04 not checked
        standing.apply(report, b, standing.from_snapshot(snap), snap)
    return report
