"""The privileged security groups: who the privileged policies include and who they never touch."""

from __future__ import annotations

from ..config import BaselineConfig
from . import stacks
from .controls import Control

PRIVILEGED = "privilegedUsers"
EMERGENCY = "emergencyAccess"
CA_EXCLUSION = "caExclusion"
RING_KEYS = {"evaluate": "ringEvaluate", "pilot": "ringPilot", "full": "ringFull"}
RING_IDS = {"evaluate": "PRIV-GRP-11", "pilot": "PRIV-GRP-12", "full": "PRIV-GRP-13"}

SOURCE = "ENTRA pim-how-to-change-default-settings.md; SEC zero-trust-identity-device-access-policies-common.md"


def _nickname(name: str) -> str:
    return "".join(c for c in name.lower().replace(" ", "-") if c.isalnum() or c == "-")[:64]


def _group(display_name: str, description: str, role_assignable: bool) -> dict:
    return {
        "displayName": display_name,
        "description": description,
        "mailEnabled": False,
        "mailNickname": _nickname(display_name),
        "securityEnabled": True,
        "groupTypes": [],
        "isAssignableToRole": role_assignable,
    }


def build(cfg: BaselineConfig) -> list[Control]:
    p = cfg.namePrefix
    out: list[Control] = []

    def add(cid, key, title, step, principle, rationale, desired, managed, existing_id=None):
        meta = {"groupKey": key}
        if existing_id:
            meta["objectId"] = existing_id
        out.append(
            Control(
                id=cid, kind="group", title=title, display_name=desired.get("displayName", title),
                step=step, principle=principle, level="specialized", rationale=rationale,
                source=SOURCE, desired=desired, managed=managed, meta=meta,
            )
        )

    if cfg.privilegedGroupId:
        add("PRIV-GRP-01", PRIVILEGED, "Privileged users group (existing)", 1, "Use least privilege access",
            "Policies target this group as well as the roles, because role-targeted policies miss PIM-eligible users until they activate.",
            {"id": cfg.privilegedGroupId}, False, cfg.privilegedGroupId)
    else:
        add("PRIV-GRP-01", PRIVILEGED, "Privileged users group", 1, "Use least privilege access",
            "Role-assignable, so only Privileged Role Administrators can change who the privileged policies cover; "
            "policies target it as well as the roles because role-targeted policies miss PIM-eligible users until they activate.",
            _group(f"{p} Privileged Users", "Admin and SecOps accounts covered by the privileged Zero Trust baseline. Managed by ztb.", True),
            True)

    if cfg.emergencyAccessGroupId:
        add("PRIV-GRP-02", EMERGENCY, "Emergency-access exclusion group (existing)", 1, "Assume breach",
            "Break-glass accounts are excluded from every policy so a misconfiguration can never lock the tenant out.",
            {"id": cfg.emergencyAccessGroupId}, False, cfg.emergencyAccessGroupId)
    else:
        desired = _group(f"{p} Emergency Access Exclusion",
                         "Break-glass accounts excluded from every Conditional Access policy. Managed by ztb.", True)
        desired["members"] = [{"@odata.type": "#microsoft.graph.user", "id": u} for u in cfg.emergencyAccessUserIds]
        add("PRIV-GRP-02", EMERGENCY, "Emergency-access exclusion group", 1, "Assume breach",
            "Break-glass accounts are excluded from every policy so a misconfiguration can never lock the tenant out; "
            "role-assignable so that only Privileged Role Administrators can change it.",
            desired, True)

    if cfg.conditionalAccessExclusionGroupId:
        add("PRIV-GRP-03", CA_EXCLUSION, "Conditional Access exclusion group (existing)", 1, "Assume breach",
            "Microsoft's policy set recommends one audited exclusion group beside the break-glass accounts.",
            {"id": cfg.conditionalAccessExclusionGroupId}, False, cfg.conditionalAccessExclusionGroupId)

    for ring, meta in stacks.rings().items():
        existing = getattr(cfg.ringGroupIds, ring)
        title = f"Rollout ring group: {meta['title']}"
        if existing:
            add(RING_IDS[ring], RING_KEYS[ring], title + " (existing)", 1, "Verify explicitly",
                "Phased rollout: each phase includes only the rings it has reached.", {"id": existing}, False, existing)
        else:
            add(RING_IDS[ring], RING_KEYS[ring], title, 1, "Verify explicitly",
                "Phased rollout (Evaluate, Pilot, Full deployment): each phase includes only the rings it has reached.",
                _group(f"{p} Privileged {meta['title']}", f"Privileged baseline rollout ring: {meta['title']}. Managed by ztb.", False),
                True)
    return out


def ids_for(controls: list[Control]) -> dict[str, str]:
    """Object IDs the config already knows (referenced groups); created ones appear after apply."""
    return {c.meta["groupKey"]: c.meta["objectId"] for c in controls if c.kind == "group" and "objectId" in c.meta}
