"""Build the whole baseline from a validated stack config: the one source every consumer reads."""

from __future__ import annotations

from dataclasses import dataclass, field

from ztb.catalogue import crosswalk
from ztb.catalogue import roles as rc
from ztb.config import BaselineConfig
from ztb.model import auth_context, compliance, conditional_access, groups, manual, pim, pim_alerts, pim_groups, reviews, stacks
from ztb.model.controls import Control, Kind
from ztb.model.groups import EmergencyAccess


@dataclass(frozen=True)
class Baseline:
    config: BaselineConfig
    controls: list[Control]
    scope: list[rc.Role]
    warnings: list[str] = field(default_factory=list)
    #: What `ztb plan` says about a deliberate, safe state (not a warning every command repeats),
    #: e.g. MFA kept on PIM activation while the authentication-context policy is report-only.
    notes: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, Control]:
        return {c.id: c for c in self.controls}

    def of_kind(self, kind: Kind | str) -> list[Control]:
        return [c for c in self.controls if c.kind == kind]

    @property
    def allowed_platforms(self) -> tuple[str, ...]:
        """The device platforms the policies let privileged users in from: those PRIV-CA-07 does not
        block (Conditional Access names: windows, macOS, iOS, android). Every one of them has a
        compliance policy (``ztb.model.compliance.policies_for``); readiness and drift read it here."""
        block = self.by_id().get("PRIV-CA-07")
        platforms = ((block.desired.get("conditions") or {}).get("platforms") or {}) if block else {}
        return tuple(platforms.get("excludePlatforms") or self.config.devicePlatforms)

    @property
    def emergency(self) -> EmergencyAccess:
        """The break-glass exclusion every privileged policy carries (see :class:`EmergencyAccess`)."""
        return EmergencyAccess.of(self.config)

    @property
    def emergency_ids(self) -> set[str]:
        """Object IDs the config knows for the break-glass exclusion (users, or an existing group)."""
        return self.emergency.known_ids


def role_scope(cfg: BaselineConfig) -> tuple[list[rc.Role], list[str]]:
    """Default union of the four authorities, plus additions, minus removals (warned)."""
    removed = {rc.resolve(n).template_id for n in cfg.roles.remove}
    scope: dict[str, rc.Role] = {r.template_id: r for r in rc.default_scope()}
    for name in cfg.roles.add:
        role = rc.resolve(name)
        scope.setdefault(role.template_id, role)
    warnings = []
    for tid in sorted(removed):
        role = rc.resolve(tid)
        if role.counted_privileged_by:
            warnings.append(
                f"role '{role.name}' is removed from scope although {' and '.join(role.counted_privileged_by)} "
                "count it privileged; its holders get no privileged policies or PIM settings from this baseline"
            )
    return [r for tid, r in scope.items() if tid not in removed], warnings


def build(cfg: BaselineConfig) -> Baseline:
    scope, warnings = role_scope(cfg)
    group_controls = groups.build(cfg)
    refs = groups.refs(group_controls)
    controls: list[Control] = []
    controls += group_controls
    controls += conditional_access.build(cfg, scope, refs)
    controls += auth_context.build(cfg, refs)
    controls += pim.build(cfg, scope)
    controls += pim_groups.build(cfg)
    controls += pim_alerts.build(cfg)
    controls += pim.eligibility_controls(cfg)
    controls += reviews.build(cfg, scope)
    controls += compliance.build(cfg, refs)
    controls += manual.build()
    controls = crosswalk.apply(controls)

    phase = stacks.phase(cfg.phase)
    if not phase["includePrivilegedScope"]:
        warnings.append(
            f"phase '{cfg.phase}': the privileged policies include only the rings "
            f"{', '.join(phase['rings'])}; the privileged group and roles are covered from phase 'full'"
        )
    if not cfg.deviceCompliance.enabled:
        # Accepted (a tenant without Intune, or one whose own policies are assigned by ID), but said.
        warnings.append(
            f"ztb:deviceCompliance.enabled is false: the allowed platforms ({', '.join(cfg.devicePlatforms)}) get no "
            "compliance policy from this baseline, so PRIV-CA-03 relies on policies assigned outside it"
        )
    context = auth_context.warning(cfg)
    notes = [context] if context else []
    scope_ids = {r.template_id for r in scope}
    for name in cfg.pim.approvalRoles:
        role = rc.resolve(name)
        if role.template_id not in scope_ids:
            warnings.append(f"approval role '{role.name}' is not in scope, so no PIM settings require approval for it")
    return Baseline(config=cfg, controls=controls, scope=scope, warnings=warnings, notes=notes)
