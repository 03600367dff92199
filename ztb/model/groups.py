"""The privileged security groups: who the privileged policies include and who they never touch.

Every group carries its owners, and its members where the stack declares them, because both are
tamper paths: an owner of a role-assignable group can change its membership, and one account
added to the emergency-access group is excluded from every privileged policy.
"""

from __future__ import annotations

from typing import Any

from ztb.config import BaselineConfig
from ztb.model import stacks
from ztb.model.controls import Control

PRIVILEGED = "privilegedUsers"
EMERGENCY = "emergencyAccess"
CA_EXCLUSION = "caExclusion"
RING_KEYS = {"evaluate": "ringEvaluate", "pilot": "ringPilot", "full": "ringFull"}
RING_IDS = {"evaluate": "PRIV-GRP-11", "pilot": "PRIV-GRP-12", "full": "PRIV-GRP-13"}

#: How drift reads a group's members (see /tmp interfaces: exclusion, included, ring).
EXCLUSION, INCLUDED, RING = "exclusion", "included", "ring"

#: Group properties the stack sets when it creates a group and never changes afterwards.
#: ``mailNickname`` is ForceNew in pulumi-azuread: changing it would replace the group (and fail on
#: the protected emergency-access group), so the component ignores later changes to it.
CREATE_ONLY = ("mailNickname",)

#: Fixed prefix of every nickname. Not ``ztb:namePrefix``: a nickname must not follow a rename.
NICKNAME_PREFIX = "ztb"

USER_TYPE = "#microsoft.graph.user"

SOURCE = "ENTRA pim-how-to-change-default-settings.md; SEC zero-trust-identity-device-access-policies-common.md"


def nickname(stem: str) -> str:
    """``mailNickname`` from the prefix-free part of a display name.

    Equal to what earlier versions derived from the display name when the prefix was the default
    ``ZTB``, so those groups keep their nickname; any other prefix no longer reaches it.
    """
    name = f"{NICKNAME_PREFIX} {stem}"
    return "".join(c for c in name.lower().replace(" ", "-") if c.isalnum() or c == "-")[:64]


def owners(cfg: BaselineConfig) -> list[dict[str, str]]:
    """Declared owners of every group: ``ztb:groupOwners``, else the break-glass accounts.

    Validation refuses a config where both are empty, so this is never empty: pulumi-azuread makes
    the deploying principal the owner of a group created without owners.
    """
    return [{"id": i} for i in cfg.owner_ids]


def _group(cfg: BaselineConfig, stem: str, description: str, role_assignable: bool) -> dict[str, Any]:
    return {
        "displayName": f"{cfg.namePrefix} {stem}",
        "description": description,
        "mailEnabled": False,
        "mailNickname": nickname(stem),
        "securityEnabled": True,
        "groupTypes": [],
        "isAssignableToRole": role_assignable,
    }


def build(cfg: BaselineConfig) -> list[Control]:
    out: list[Control] = []
    owned = owners(cfg)

    def add(cid: str, key: str, title: str, principle: str, rationale: str, desired: dict[str, Any],
            managed: bool, membership: str, members: list[dict[str, str]] | None, existing_id: str | None = None) -> None:
        desired = dict(desired)
        if members is not None:
            desired["members"] = members
        desired["owners"] = list(owned)
        meta: dict[str, Any] = {
            "groupKey": key,
            "membership": membership,
            "membersDeclared": members is not None,
            "ownersDeclared": True,
        }
        if existing_id:
            meta["objectId"] = existing_id
        else:
            meta["createOnly"] = list(CREATE_ONLY)
        out.append(
            Control(
                id=cid, kind="group", title=title, display_name=desired.get("displayName", title),
                step=1, principle=principle, level="specialized", rationale=rationale,
                source=SOURCE, desired=desired, managed=managed, meta=meta,
            )
        )

    breakglass = [{"@odata.type": USER_TYPE, "id": u} for u in cfg.emergencyAccessUserIds]

    if cfg.privilegedGroupId:
        add("PRIV-GRP-01", PRIVILEGED, "Privileged users group (existing)", "Use least privilege access",
            "Policies target this group as well as the roles, because role-targeted policies miss PIM-eligible users until they activate.",
            {"id": cfg.privilegedGroupId}, False, INCLUDED, None, cfg.privilegedGroupId)
    else:
        # The admins the stack makes eligible are the members: the model decides, components follow.
        add("PRIV-GRP-01", PRIVILEGED, "Privileged users group", "Use least privilege access",
            "Role-assignable, so only Privileged Role Administrators and the declared owners can change who the privileged "
            "policies cover; policies target it as well as the roles because role-targeted policies miss PIM-eligible users "
            "until they activate.",
            _group(cfg, "Privileged Users", "Admin and SecOps accounts covered by the privileged Zero Trust baseline. Managed by ztb.", True),
            True, INCLUDED, [{"id": p} for p in sorted(cfg.eligibility)])

    if cfg.emergencyAccessGroupId:
        add("PRIV-GRP-02", EMERGENCY, "Emergency-access exclusion group (existing)", "Assume breach",
            "Break-glass accounts are excluded from every policy so a misconfiguration can never lock the tenant out.",
            {"id": cfg.emergencyAccessGroupId}, False, EXCLUSION, breakglass or None, cfg.emergencyAccessGroupId)
    else:
        add("PRIV-GRP-02", EMERGENCY, "Emergency-access exclusion group", "Assume breach",
            "Break-glass accounts are excluded from every policy so a misconfiguration can never lock the tenant out; "
            "role-assignable so that only Privileged Role Administrators and the declared owners can change it.",
            _group(cfg, "Emergency Access Exclusion", "Break-glass accounts excluded from every Conditional Access policy. Managed by ztb.", True),
            True, EXCLUSION, breakglass)

    if cfg.conditionalAccessExclusionGroupId:
        add("PRIV-GRP-03", CA_EXCLUSION, "Conditional Access exclusion group (existing)", "Assume breach",
            "Microsoft's policy set recommends one audited exclusion group beside the break-glass accounts; its audited "
            "members are declared in the stack.",
            {"id": cfg.conditionalAccessExclusionGroupId}, False, EXCLUSION,
            [{"id": m} for m in cfg.conditionalAccessExclusionMemberIds], cfg.conditionalAccessExclusionGroupId)

    for ring, meta in stacks.rings().items():
        existing = getattr(cfg.ringGroupIds, ring)
        title = f"Rollout ring group: {meta['title']}"
        # Members are not declared: people are moved into rings outside the stack.
        if existing:
            add(RING_IDS[ring], RING_KEYS[ring], title + " (existing)", "Verify explicitly",
                "Phased rollout: each phase includes only the rings it has reached.", {"id": existing}, False, RING, None, existing)
        else:
            add(RING_IDS[ring], RING_KEYS[ring], title, "Verify explicitly",
                "Phased rollout (Evaluate, Pilot, Full deployment): each phase includes only the rings it has reached.",
                _group(cfg, f"Privileged {meta['title']}", f"Privileged baseline rollout ring: {meta['title']}. Managed by ztb.", False),
                True, RING, None)
    return out


def ids_for(controls: list[Control]) -> dict[str, str]:
    """Object IDs the config already knows (referenced groups); created ones appear after apply."""
    return {c.meta["groupKey"]: c.meta["objectId"] for c in controls if c.kind == "group" and "objectId" in c.meta}
