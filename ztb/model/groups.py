"""The privileged security groups: who the privileged policies include and who they never touch.

Every group carries its owners, and its members where the stack declares them, because both are
tamper paths: an owner of a role-assignable group can change its membership, and one account
added to the emergency-access group is excluded from every privileged policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ztb.config import BaselineConfig
from ztb.model import stacks
from ztb.model.controls import Control, Kind, group_ref
from ztb.model.meta import GroupMeta

PRIVILEGED = "privilegedUsers"
EMERGENCY = "emergencyAccess"
CA_EXCLUSION = "caExclusion"

#: The stack output that maps group key -> object ID (``__main__.py`` exports it, review reads it
#: from a preview to resolve ``${group:...}`` references).
GROUP_IDS_OUTPUT = "groupIds"


@dataclass(frozen=True)
class EmergencyAccess:
    """The emergency-access (break-glass) exclusion: one value every consumer reads.

    Every privileged policy excludes it, so it has four names that must agree: the config keys
    (``ztb:emergencyAccessGroupId``, ``ztb:emergencyAccessUserIds``), the group key other controls
    reference (``${group:emergencyAccess}``), the control ID drift and review report
    (``PRIV-GRP-02``; the policy pack in policy/ holds a copy, tests/test_policy_pack.py ties them)
    and its entry in the :data:`GROUP_IDS_OUTPUT` stack output.
    """

    GROUP_KEY: ClassVar[str] = EMERGENCY
    CONTROL_ID: ClassVar[str] = "PRIV-GRP-02"
    #: Config keys, as messages name them.
    GROUP_ID_KEY: ClassVar[str] = "ztb:emergencyAccessGroupId"
    USER_IDS_KEY: ClassVar[str] = "ztb:emergencyAccessUserIds"

    #: An existing group the config names (looked up); ``None`` when the stack creates it.
    group_id: str | None
    #: The break-glass accounts: members of a created group, and excluded by ID from every policy.
    user_ids: tuple[str, ...]

    @classmethod
    def of(cls, cfg: BaselineConfig) -> EmergencyAccess:
        return cls(group_id=cfg.emergencyAccessGroupId, user_ids=tuple(cfg.emergencyAccessUserIds))

    @property
    def ref(self) -> str:
        """How a policy's ``excludeGroups`` names the group before apply: its ID, or the reference."""
        return self.group_id or group_ref(self.GROUP_KEY)

    @property
    def known_ids(self) -> set[str]:
        """Object IDs the config knows for the exclusion (users, and an existing group)."""
        return set(self.user_ids) | ({self.group_id} if self.group_id else set())

RING_KEYS = {"evaluate": "ringEvaluate", "pilot": "ringPilot", "full": "ringFull"}
RING_IDS = {"evaluate": "PRIV-GRP-11", "pilot": "PRIV-GRP-12", "full": "PRIV-GRP-13"}

#: How drift reads a group's members (see /tmp interfaces: exclusion, included, ring).
EXCLUSION, INCLUDED, RING = "exclusion", "included", "ring"

#: Group properties the stack sets when it creates a group and never changes afterwards.
#: ``mailNickname`` is ForceNew in pulumi-azuread: changing it would replace the group (and fail on
#: the protected emergency-access group), so the component ignores later changes to it.
CREATE_ONLY = ("mailNickname",)
#: Ring groups are role-assignable from issue 13 on. ``isAssignableToRole`` is ForceNew in
#: pulumi-azuread: an existing stack's rings would be *replaced* (new object IDs, members lost),
#: so the component ignores a change of it until the stack opts in with ``ztb:replaceRingGroups``.
#: A new stack creates its rings role-assignable either way (ignore_changes does not affect create).
RING_CREATE_ONLY = CREATE_ONLY + ("assignableToRole",)

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
            managed: bool, membership: str, members: list[dict[str, str]] | None, existing_id: str | None = None,
            create_only: tuple[str, ...] = CREATE_ONLY) -> None:
        desired = dict(desired)
        if members is not None:
            desired["members"] = members
        desired["owners"] = list(owned)
        meta = GroupMeta(
            group_key=key, membership=membership, members_declared=members is not None, owners_declared=True,
            object_id=existing_id or None, create_only=() if existing_id else create_only,
        )
        out.append(
            Control(
                id=cid, kind=Kind.GROUP, title=title, display_name=desired.get("displayName", title),
                step=1, principle=principle, level="specialized", rationale=rationale,
                source=SOURCE, desired=desired, managed=managed, meta=meta,
            )
        )

    emergency = EmergencyAccess.of(cfg)
    breakglass = [{"@odata.type": USER_TYPE, "id": u} for u in emergency.user_ids]

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

    if emergency.group_id:
        add(EmergencyAccess.CONTROL_ID, EMERGENCY, "Emergency-access exclusion group (existing)", "Assume breach",
            "Break-glass accounts are excluded from every policy so a misconfiguration can never lock the tenant out.",
            {"id": emergency.group_id}, False, EXCLUSION, breakglass or None, emergency.group_id)
    else:
        add(EmergencyAccess.CONTROL_ID, EMERGENCY, "Emergency-access exclusion group", "Assume breach",
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

    for ring, ring_data in stacks.rings().items():
        existing = getattr(cfg.ringGroupIds, ring)
        title = f"Rollout ring group: {ring_data['title']}"
        # Members are not declared: people are moved into rings outside the stack.
        if existing:
            add(RING_IDS[ring], RING_KEYS[ring], title + " (existing)", "Verify explicitly",
                "Phased rollout: each phase includes only the rings it has reached.", {"id": existing}, False, RING, None, existing)
        else:
            add(RING_IDS[ring], RING_KEYS[ring], title, "Verify explicitly",
                "Phased rollout (Evaluate, Pilot, Full deployment): each phase includes only the rings it has reached; "
                "role-assignable like the privileged group, so only Privileged Role Administrators and the declared owners "
                "change who the policies cover.",
                _group(cfg, f"Privileged {ring_data['title']}", f"Privileged baseline rollout ring: {ring_data['title']}. Managed by ztb.", True),
                True, RING, None, create_only=CREATE_ONLY if cfg.replaceRingGroups else RING_CREATE_ONLY)
    return out


def refs(controls: list[Control]) -> dict[str, str]:
    """Group key -> how other controls name it: the config's object ID, else ``${group:<key>}``."""
    return {c.meta.group_key: c.meta.object_id or group_ref(c.meta.group_key) for c in controls if c.kind == Kind.GROUP}


def known_ids(controls: list[Control]) -> dict[str, str]:
    """Group key -> object ID for the groups the config names; created ones are known after apply."""
    return {c.meta.group_key: c.meta.object_id for c in controls if c.kind == Kind.GROUP and c.meta.object_id}
