"""PIM for Groups: role-assignable groups that hold privileged roles get the roles' PIM settings.

A role can be held, actively or as an eligibility, through a role-assignable group; whoever
activates membership (or ownership, which can add members) of that group holds the role. PIM
for Groups gives each such group a member policy and an owner policy that default to what PIM's
own defaults are (no MFA, no approval, eight-hour activation, permanent eligibility), so the
group would be the way around every setting of the role. Each gets the rules of the strictest
role it holds (approval if any of them needs it; ScubaGear issue #376).

The groups are ``ztb:pim.groups`` (group object ID -> the roles it holds).
"""

from __future__ import annotations

from ztb.catalogue.roles import GLOBAL_ADMINISTRATOR, resolve
from ztb.config import BaselineConfig
from ztb.model.controls import Control, Kind
from ztb.model.meta import GroupPimMeta
from ztb.model.pim import rules

ACCESS = ("member", "owner")
SOURCE = "ENTRA groups-role-settings.md (PIM for Groups); GRAPH api/resources/privilegedidentitymanagement-for-groups-api-overview.md; CISA ScubaGear issue #376"


def control_id(group_id: str, access: str) -> str:
    """``PRIV-PIMG-<group object ID>-<MEMBER|OWNER>``: the whole ID, as eligibility IDs are."""
    return f"PRIV-PIMG-{group_id}-{access.upper()}"


def build(cfg: BaselineConfig) -> list[Control]:
    approval_ids = {resolve(n).template_id for n in cfg.pim.approvalRoles}
    out = []
    for gid, names in sorted(cfg.pim.groups.items()):
        held = [resolve(n) for n in names]
        approval = any(r.template_id in approval_ids for r in held)
        global_admin = any(r.template_id == GLOBAL_ADMINISTRATOR for r in held)
        role_names = tuple(r.name for r in held)
        for access in ACCESS:
            out.append(Control(
                id=control_id(gid, access), kind=Kind.GROUP_ROLE_MANAGEMENT_POLICY,
                title=f"PIM for Groups: {access} of {gid}", display_name=f"PIM {access} policy of group {gid}",
                step=2, principle="Use least privilege access", level="specialized",
                rationale=(f"The group holds {', '.join(role_names)}; its {access}s get that role's activation rules (time-bound, "
                           "MFA or the authentication context, justification" + (", approval" if approval else "")
                           + ", notifications), or the group is the way around them."),
                source=SOURCE,
                desired={"scopeId": gid, "scopeType": "Group", "roleDefinitionId": access,
                         "rules": rules(cfg, approval, global_admin)},
                meta=GroupPimMeta(group_id=gid, access=access, role_names=role_names, approval=approval),
            ))
    return out
