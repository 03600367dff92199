"""Access reviews as code: a recurring review of every privileged role in scope, and of the CA exclusion group.

Step 2 of the guidance asks for access reviews "to ensure admin and SecOps staff user accounts
still need their assigned roles". Each review is a Graph v1.0 ``accessReviewScheduleDefinition``:

* a role's review scopes ``/roleManagement/directory/roleDefinitions/{id}``, which Graph's scope
  concept page documents as "all active and eligible assignments" of the role;
* the exclusion group's review scopes ``/groups/{id}/transitiveMembers``: everyone the privileged
  policies skip must still be meant to.

Reviewers, cadence, what silence decides and reminders come from ``ztb:accessReviews``. One safety
exception: the Global Administrator review never removes on no response, because the break-glass
accounts hold that role permanently and an unanswered review must not lock the tenant out; its
reviewers' explicit decisions still apply.
"""

from __future__ import annotations

import copy
from typing import Any

from ztb.catalogue.roles import GLOBAL_ADMINISTRATOR, Role
from ztb.config import BaselineConfig
from ztb.model.controls import Control, Kind
from ztb.model.meta import ReviewMeta

EXCLUSION_ID = "PRIV-REV-EXCL"
SOURCE = ("SEC zero-trust-microsoft-copilot-for-security.md (step 2: access reviews); "
          "ENTRA pim-create-roles-and-resource-roles-review.md; GRAPH accessreviews-scope-concept.md (example 9)")
#: ``ztb:accessReviews.recurrence`` -> months between reviews (Graph pattern absoluteMonthly).
MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
QUERY_SCOPE = "#microsoft.graph.accessReviewQueryScope"
REMOVE_ACCESS = "#microsoft.graph.removeAccessApplyAction"


def without_start(body: dict[str, Any]) -> dict[str, Any]:
    """A review's body without the recurrence start date, which is set at creation only: what diff and drift compare."""
    out = copy.deepcopy(body)
    rng = ((out.get("settings") or {}).get("recurrence") or {}).get("range")
    if isinstance(rng, dict):
        rng.pop("startDate", None)
    return out


def control_id(role: Role) -> str:
    return f"PRIV-REV-{role.short_id}"


def reviewer_group(cfg: BaselineConfig) -> str | None:
    return cfg.accessReviews.reviewerGroupId or cfg.pim.approverGroupId


def _settings(cfg: BaselineConfig, decision: str) -> dict[str, Any]:
    ar = cfg.accessReviews
    settings: dict[str, Any] = {
        "mailNotificationsEnabled": True,
        "reminderNotificationsEnabled": ar.reminders,
        "justificationRequiredOnApproval": True,
        "defaultDecisionEnabled": decision != "None",
        "defaultDecision": decision,
        "instanceDurationInDays": ar.durationInDays,
        "autoApplyDecisionsEnabled": ar.autoApply,
        "recommendationsEnabled": True,
        "recurrence": {
            "pattern": {"type": "absoluteMonthly", "interval": MONTHS[ar.recurrence]},
            "range": {"type": "noEnd", "startDate": ar.startDate},
        },
    }
    if ar.autoApply:
        settings["applyActions"] = [{"@odata.type": REMOVE_ACCESS}]
    return settings


def _review(cfg: BaselineConfig, cid: str, subject: str, query: str, decision: str, template_id: str | None,
            rationale: str) -> Control:
    display = f"{cfg.namePrefix} {cid} Privileged: access review of {subject}"
    reviewers = [{"query": f"/groups/{reviewer_group(cfg)}/transitiveMembers", "queryType": "MicrosoftGraph"}]
    return Control(
        id=cid, kind=Kind.ACCESS_REVIEW, title=f"Access review: {subject}", display_name=display,
        step=2, principle="Use least privilege access", level="specialized", rationale=rationale, source=SOURCE,
        desired={
            "displayName": display,
            "descriptionForAdmins": f"Recurring review of {subject} managed by ztb ({cid}).",
            "descriptionForReviewers": f"Confirm that each account still needs {subject}; deny what is no longer needed.",
            "scope": {"@odata.type": QUERY_SCOPE, "query": query, "queryType": "MicrosoftGraph"},
            "reviewers": reviewers,
            "settings": _settings(cfg, decision),
        },
        meta=ReviewMeta(subject=subject, template_id=template_id),
    )


def build(cfg: BaselineConfig, scope: list[Role]) -> list[Control]:
    ar = cfg.accessReviews
    if not ar.enabled or not reviewer_group(cfg):
        return []  # validation refuses enabled reviews without reviewers; disabled ones declare nothing
    out = []
    for role in scope:
        ga = role.template_id == GLOBAL_ADMINISTRATOR
        decision = "None" if ga and ar.defaultDecision == "Deny" else ar.defaultDecision
        out.append(_review(
            cfg, control_id(role), role.name, f"/roleManagement/directory/roleDefinitions/{role.template_id}", decision, role.template_id,
            "Every active and eligible assignment of the role is re-confirmed by a reviewer on a schedule, so access nobody still "
            "needs is removed" + (" (no response changes nothing here: the break-glass accounts hold this role)" if decision != ar.defaultDecision else "")
            + ".",
        ))
    if cfg.conditionalAccessExclusionGroupId:
        out.append(_review(
            cfg, EXCLUSION_ID, "the Conditional Access exclusion group", f"/groups/{cfg.conditionalAccessExclusionGroupId}/transitiveMembers",
            ar.defaultDecision, None,
            "Members of the exclusion group skip every privileged policy; each must be re-confirmed on a schedule, as Microsoft's "
            "policy set asks of its one audited exclusion group.",
        ))
    return out
